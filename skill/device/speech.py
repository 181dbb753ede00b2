"""SSML -> what a person hears: text, silences and chimes, in order."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

_TIME = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*$")


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Silence:
    seconds: float


@dataclass(frozen=True, slots=True)
class Sound:
    src: str


Segment = Text | Silence | Sound


def break_seconds(value: str | None) -> float:
    match = _TIME.match(value or "")
    if not match:
        return 0.75  # Alexa's default "medium" break
    amount = float(match.group(1))
    return amount / 1000 if match.group(2) == "ms" else amount


def segments(ssml: str) -> list[Segment]:
    """Flatten SSML into spoken text, silences (consecutive breaks merged) and sounds."""
    root = ET.fromstring(ssml if ssml.lstrip().startswith("<speak") else f"<speak>{ssml}</speak>")
    out: list[Segment] = []

    def text(value: str | None) -> None:
        if value and value.strip():
            words = " ".join(value.split())
            if out and isinstance(out[-1], Text):
                out[-1] = Text(f"{out[-1].text} {words}")
            else:
                out.append(Text(words))

    def walk(node: ET.Element) -> None:
        text(node.text)
        for child in node:
            if child.tag == "break":
                seconds = break_seconds(child.get("time"))
                if out and isinstance(out[-1], Silence):
                    out[-1] = Silence(out[-1].seconds + seconds)
                else:
                    out.append(Silence(seconds))
            elif child.tag == "audio":
                out.append(Sound(child.get("src", "")))
            else:
                walk(child)
            text(child.tail)

    walk(root)
    return out


def plain(ssml: str) -> str:
    return " ".join(s.text for s in segments(ssml) if isinstance(s, Text))

"""SSML -> what a person hears: text, silences and chimes, in order.

Text keeps what a voice needs: whether it is the prompt (``<s>`` around it, so the countdown
can show it) and its style from ``<prosody>`` / ``<emphasis>`` (rate and pitch in percent of
normal, volume in dB), nested the way SSML nests them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace

_TIME = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*$")
_PERCENT = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*%\s*$")
_DB = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*dB\s*$", re.IGNORECASE)

RATES = {"x-slow": 60.0, "slow": 80.0, "medium": 100.0, "fast": 125.0, "x-fast": 150.0}
PITCHES = {"x-low": -30.0, "low": -15.0, "medium": 0.0, "high": 15.0, "x-high": 30.0}
VOLUMES = {"silent": -96.0, "x-soft": -9.0, "soft": -4.5, "medium": 0.0, "loud": 4.5}
VOLUMES["x-loud"] = 9.0
# emphasis level -> (rate factor, pitch shift %, volume dB): slower and louder is stronger
EMPHASIS = {
    "strong": (0.85, 10.0, 4.0),
    "moderate": (0.92, 5.0, 2.0),
    "none": (1.0, 0.0, 0.0),
    "reduced": (1.1, -5.0, -4.0),
}


@dataclass(frozen=True, slots=True)
class Style:
    rate: float = 100.0  # percent of the normal speaking rate
    pitch: float = 0.0  # percent above (+) or below (-) the normal pitch
    volume: float = 0.0  # dB relative to normal


@dataclass(frozen=True, slots=True)
class Text:
    text: str
    prompt: bool = False  # inside <s>: the prompt, the last sentence before a pause
    style: Style = Style()


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


def _prosody(style: Style, node: ET.Element) -> Style:
    rate, pitch, volume = style.rate, style.pitch, style.volume
    if (value := node.get("rate")) is not None:
        if value in RATES:
            rate = rate * RATES[value] / 100
        elif m := _PERCENT.match(value):
            rate = rate * max(20.0, float(m.group(1))) / 100
    if (value := node.get("pitch")) is not None:
        if value in PITCHES:
            pitch += PITCHES[value]
        elif m := _PERCENT.match(value):
            pitch += float(m.group(1))
    if (value := node.get("volume")) is not None:
        if value in VOLUMES:
            volume += VOLUMES[value]
        elif m := _DB.match(value):
            volume += float(m.group(1))
    return Style(rate, pitch, volume)


def _emphasis(style: Style, node: ET.Element) -> Style:
    rate, pitch, volume = EMPHASIS.get(node.get("level") or "moderate", EMPHASIS["moderate"])
    return Style(style.rate * rate, style.pitch + pitch, style.volume + volume)


def segments(ssml: str) -> list[Segment]:
    """Flatten SSML into spoken text, silences (consecutive breaks merged) and sounds."""
    root = ET.fromstring(ssml if ssml.lstrip().startswith("<speak") else f"<speak>{ssml}</speak>")
    out: list[Segment] = []

    def text(value: str | None, prompt: bool, style: Style) -> None:
        if value and value.strip():
            words = " ".join(value.split())
            last = out[-1] if out else None
            if isinstance(last, Text) and last.prompt == prompt and last.style == style:
                out[-1] = replace(last, text=f"{last.text} {words}")
            else:
                out.append(Text(words, prompt, style))

    def walk(node: ET.Element, prompt: bool, style: Style) -> None:
        text(node.text, prompt, style)
        for child in node:
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "break":
                seconds = break_seconds(child.get("time"))
                if out and isinstance(out[-1], Silence):
                    out[-1] = Silence(out[-1].seconds + seconds)
                else:
                    out.append(Silence(seconds))
            elif tag == "audio":
                out.append(Sound(child.get("src", "")))
            elif tag == "sub" and child.get("alias"):
                text(child.get("alias"), prompt, style)
            elif tag == "s":
                walk(child, True, style)
            elif tag == "prosody":
                walk(child, prompt, _prosody(style, child))
            elif tag == "emphasis":
                walk(child, prompt, _emphasis(style, child))
            else:
                walk(child, prompt, style)
            text(child.tail, prompt, style)

    walk(root, False, Style())
    return out


def plain(ssml: str) -> str:
    return " ".join(s.text for s in segments(ssml) if isinstance(s, Text))

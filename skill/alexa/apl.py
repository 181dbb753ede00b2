"""Echo Show screens: one APL document (skill/content/apl/turn.json) for every asked prompt.

The document shows whose turn it is, who listens, the prompt in large type, and a countdown
for the listening pause that runs on the device (APL's ``elapsedTime``), so no further request
is needed while the couple talks. Only devices that declare ``Alexa.Presentation.APL`` in
``context.System.device.supportedInterfaces`` (with a runtime new enough for the document)
get the directive; every value shown is text escaped for APL's styled text.
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources
from typing import Any

from ask_sdk_model.interfaces.alexa.presentation.apl import RenderDocumentDirective

from .render import escape

TOKEN = "connection-game-turn"
WORDS_PER_SECOND = 2.5  # Alexa's speaking rate, roughly 150 words a minute


@cache
def document() -> dict[str, Any]:
    """The turn screen's APL document (package data, read once per process on first use)."""
    text = resources.files("skill.content").joinpath("apl", "turn.json").read_text("utf-8")
    doc = json.loads(text)
    if not isinstance(doc, dict) or doc.get("type") != "APL":
        raise ValueError("skill/content/apl/turn.json is not an APL document")
    return doc


def _version(text: Any) -> tuple[int, ...] | None:
    try:
        return tuple(int(part) for part in str(text).split("."))
    except ValueError:
        return None


def supports_apl(envelope: Any) -> bool:
    """Whether the requesting device renders APL (and a runtime at least the document's)."""
    system = getattr(getattr(envelope, "context", None), "system", None)
    interfaces = getattr(getattr(system, "device", None), "supported_interfaces", None)
    apl = getattr(interfaces, "alexa_presentation_apl", None)
    if apl is None:
        return False
    runtime = getattr(getattr(apl, "runtime", None), "max_version", None)
    have, need = _version(runtime), _version(document()["version"])
    return have is None or need is None or have >= need


def lead_seconds(words_before_pause: int) -> int:
    """About how long Alexa speaks before the pause starts (the countdown waits that long)."""
    return math.ceil(max(0, words_before_pause) / WORDS_PER_SECOND)


def turn_screen(
    *,
    title: str,
    speaker: str,
    listener: str,
    prompt: str,
    pause_seconds: int,
    lead: int,
) -> RenderDocumentDirective:
    """The RenderDocument directive for one asked prompt. Text arguments are plain text."""
    return RenderDocumentDirective(
        token=TOKEN,
        document=document(),
        datasources={
            "turn": {
                "type": "object",
                "properties": {
                    "title": escape(title),
                    "speaker": escape(speaker),
                    "listener": escape(listener),
                    "prompt": escape(prompt),
                    "pauseSeconds": int(pause_seconds),
                    "leadSeconds": int(lead),
                },
            }
        },
    )

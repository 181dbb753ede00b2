"""SSML rendering: escaping, pauses, questions, catalog coverage."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from skill import content
from skill.alexa.render import CHIME, Renderer, escape
from skill.core.effects import AskPrompt, End, Listen, Partner, Pause, PromptRef, Say, Theme

CORE = Path(__file__).resolve().parents[2] / "skill" / "core"
R = Renderer("en-US")


def test_escape_covers_xml_specials_and_strips_control_characters() -> None:
    assert escape("Tom & <Jerry>") == "Tom &amp; &lt;Jerry&gt;"
    assert escape("a\x00b\x07c") == "abc"


def test_pause_is_chained_ten_second_breaks_then_one_chime() -> None:
    out = R.render([Pause(95)])
    assert out.speech.count('<break time="10s"/>') == 9
    assert out.speech.count('<break time="5s"/>') == 1
    assert out.speech.endswith(f'<audio src="{CHIME}"/>')


def test_no_more_than_five_audio_clips() -> None:
    out = R.render([Pause(30)] * 7)
    assert out.speech.count("<audio") == 5


def test_listen_sets_question_reprompt_and_open_session() -> None:
    out = R.render([Say("scene.wait"), Listen("scene.question")])
    assert out.end_session is False
    assert out.reprompt == "Ready for the first question?"
    assert out.speech.endswith(out.reprompt)


def test_end_closes_without_reprompt() -> None:
    out = R.render([Say("goodbye"), End()])
    assert out.end_session is True and out.reprompt is None


def test_partner_without_a_name_is_partner_one_or_two() -> None:
    text = R.line("turn.first", {"speaker": Partner(1, "")}, seed=0)
    assert "partner two" in text


def test_prompt_text_and_follow_up_come_from_the_deck() -> None:
    book = content.prompts("en")
    pid = next(iter(book.follow_ups))
    out = R.render(
        [AskPrompt(pid), Say("reflect.suggest", {"follow_up": PromptRef(pid, "follow_up")})]
    )
    assert escape(book.texts[pid]) in out.speech
    assert escape(book.follow_ups[pid]) in out.speech


def test_plural_forms() -> None:
    assert "1 evening together" in R.line("summary.count", {"count": 1})
    assert "3 evenings together" in R.line("summary.count", {"count": 3})


def test_every_line_the_core_can_say_is_in_the_catalog() -> None:
    source = "\n".join(p.read_text() for p in CORE.glob("*.py"))
    keys = set(re.findall(r'(?:Say|Listen)\(\s*"([a-z_.]+)"', source))
    dynamic = set(re.findall(r'(?:Say|Listen)\(\s*f"([a-z_.]+)\{', source))
    assert len(keys) > 40
    lines = content.speech("en-US")
    missing = {k for k in keys if k not in lines}
    assert not missing, missing
    for prefix in dynamic:
        assert any(k.startswith(prefix) for k in lines), prefix
    for kind in ("follow_up", "say_back", "celebrate"):
        assert f"reflect.{kind}" in lines
    for phase in (
        "ready",
        "names",
        "scene",
        "answering",
        "reflecting",
        "closing",
        "paused",
        "forget",
    ):
        assert f"help.{phase}" in lines
    for word in ("lighter", "deeper"):
        for when in ("now", "next", "limit"):
            assert f"depth.{word}_{when}" in lines


@pytest.mark.parametrize("key", sorted(content.speech("en-US")))
def test_every_catalog_line_renders_to_valid_ssml(key: str) -> None:
    params = {
        name: Partner(0, "Sam & Co")
        for name in ("a", "b", "speaker", "listener", "partner", "first", "more", "less", "other")
    }
    params.update(
        count=2,
        minutes=3,
        month=1,
        seconds=45,
        number=4,
        prompt=PromptRef("today.01"),
        follow_up=PromptRef("today.01", "follow_up"),
    )
    out = R.render([Say(key, params)])
    ET.fromstring(f"<speak>{out.speech}</speak>")
    assert "{" not in out.text and "}" not in out.text


def test_unknown_locale_falls_back_to_english() -> None:
    assert Renderer("xx-YY").language == "en"
    assert Renderer(None).line("scene.question") == "Ready for the first question?"


# --- recognised voices and themes ----------------------------------------------------------

PERSON = "amzn1.ask.person.ABCDEF0123456789"


def test_recognised_speaker_is_said_with_alexa_name_when_the_request_has_a_person_id() -> None:
    out = Renderer("en-US", PERSON).render(
        [Say("turn.mine", {"speaker": Partner(1, "Alex", True)})]
    )
    assert f'<alexa:name type="first" personId="{PERSON}"/>' in out.speech
    assert "Alex" not in out.speech, "Alexa says the name; the skill does not"
    assert "Alex" in out.text, "plain text (cards, screens) keeps the name"
    ET.fromstring(f'<speak xmlns:alexa="urn:alexa">{out.speech}</speak>')


def test_a_partner_not_marked_as_the_speaker_is_said_by_name_even_with_a_person_id() -> None:
    out = Renderer("en-US", PERSON).render([Say("turn.mine", {"speaker": Partner(1, "Alex")})])
    assert "alexa:name" not in out.speech and "Alex" in out.speech


def test_without_a_person_id_the_recognised_speaker_is_said_by_name() -> None:
    out = R.render([Say("turn.mine", {"speaker": Partner(0, "Sam & Co", True)})])
    assert "alexa:name" not in out.speech
    assert "Sam &amp; Co" in out.speech


def test_the_person_id_is_escaped_inside_the_attribute() -> None:
    hostile = 'x"/><audio src="evil"/><alexa:name personId="&'
    out = Renderer("en-US", hostile).render(
        [Say("turn.mine", {"speaker": Partner(0, "Sam", True)}), Listen("ready.question")]
    )
    root = ET.fromstring(f'<speak xmlns:alexa="urn:alexa">{out.speech}</speak>')
    names = root.findall("{urn:alexa}name")
    assert len(names) == 1 and names[0].get("personId") == hostile
    assert root.find("audio") is None
    assert "&quot;" in out.speech and "&amp;" in out.speech


def test_the_question_and_reprompt_use_alexa_name_too() -> None:
    r = Renderer("en-US", PERSON)
    out = r.render([Listen("voice.is_this", {"partner": Partner(0, "Sam", True)})])
    assert out.reprompt is not None and "alexa:name" in out.reprompt
    assert out.speech.endswith(out.reprompt)


def test_theme_is_said_by_its_label_from_the_deck() -> None:
    labels = content.prompts("en").themes
    out = R.render([Say("checkin.done", {"theme": Theme("inner_world")})])
    assert labels["inner_world"] in out.text
    assert "inner_world" not in out.text


def test_theme_labels_follow_the_language() -> None:
    for locale in ("de-DE", "es-ES", "fr-FR"):
        r = Renderer(locale)
        label = r.value(Theme("making_space"))
        assert label == r.book.themes["making_space"]
        assert label != content.prompts("en").themes["making_space"]


def test_an_unknown_theme_is_still_readable() -> None:
    assert R.value(Theme("new_theme")) == "new theme"


def test_literal_text_and_plural_forms_are_escaped_around_values() -> None:
    r = Renderer("en-US")
    r.lines = {**r.lines, "test.amp": "Tom & {name} <3 {n} {n|cat|cats}"}
    out = r.render([Say("test.amp", {"name": Partner(0, "<Jo>"), "n": 2})])
    assert out.speech == "Tom &amp; &lt;Jo&gt; &lt;3 2 cats"
    assert out.text == "Tom & <Jo> <3 2 cats"

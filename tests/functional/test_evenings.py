"""The full evening over many sessions and days, through lambda_handler on the embedded store."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill import content
from tests.support.echo import Echo, Reply

TEXT_TO_ID = {text: pid for pid, text in content.prompts("en").texts.items()}
DAY = 24 * 3600


def prompt_in(reply: Reply) -> str | None:
    for sentence in re.findall(r"<s>(.*?)</s>", reply.ssml):
        text = sentence.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
        if text in TEXT_TO_ID:
            return TEXT_TO_ID[text]
    return None


def stored(db_path: Path) -> dict:
    with sqlite3.connect(db_path) as db:
        (body,) = db.execute("SELECT body FROM progress").fetchone()
    return json.loads(body)


def meet(echo: Echo) -> None:
    echo.launch()
    echo.intent("NameIntent", name="sam")
    echo.intent("NameIntent", name="alex")
    echo.intent("AMAZON.NoIntent")


def evening(echo: Echo, *, talk: int = 60, start: str = "AMAZON.YesIntent") -> list[Reply]:
    """Launch, start, answer everything, close. Returns every reply of the evening."""
    replies = [echo.launch()]
    replies.append(echo.intent(start))
    replies.append(echo.intent("AMAZON.YesIntent"))
    while replies[-1].open:
        echo.advance(talk)
        replies.append(echo.intent("NextIntent"))
    echo.advance(DAY)
    return replies


def asked(replies: list[Reply]) -> list[str]:
    return list(dict.fromkeys(pid for r in replies if (pid := prompt_in(r))))


def test_no_prompt_repeats_over_thirty_evenings(echo: Echo) -> None:
    meet(echo)
    heard: list[str] = []
    for _ in range(30):
        prompts = asked(evening(echo, talk=5))
        assert len(prompts) == 5
        heard.extend(prompts)
    assert Counter(heard).most_common(1)[0][1] == 1, "a prompt came back within 30 evenings"


def test_depth_climbs_from_light_to_deep() -> None:
    from skill.core.timing import target_depth

    assert [target_depth(1, i, 5, 0) for i in range(5)] == [1, 1, 2, 2, 3]


def test_prompts_climb_in_depth_over_an_evening(echo: Echo) -> None:
    meet(echo)
    deck = content.prompts("en").deck
    depths = [deck.get(pid).depth for pid in asked(evening(echo))]  # type: ignore[union-attr]
    assert depths == sorted(depths) and depths[0] == 1 and depths[-1] == 3


def test_talk_time_is_summed_per_partner_and_reported(echo: Echo, db_path: Path) -> None:
    meet(echo)
    echo.launch()
    echo.intent("StartEveningIntent", length=("quick", "quick"))
    echo.intent("AMAZON.YesIntent")
    total = {0: 0, 1: 0}
    reply = None
    while True:
        game = echo.attributes["game"]["g"]["phase"]
        kind, turn = game["t"], game.get("turn")
        talk = 90 if kind == "answering" else 20
        echo.advance(talk)
        if kind == "answering":
            first = game["evening"]["first"] + len(game["evening"]["asked"]) - 1
            total[(first + turn) % 2] += talk
        reply = echo.intent("NextIntent")
        if "remind you tomorrow" in reply.text:
            break
    hist = stored(db_path)["history"]
    assert hist["talk"] == [total[0], total[1]] == [270, 270]
    assert "about 9 minutes" in reply.text
    assert "evenly" in reply.text


def test_an_answer_cut_off_by_the_session_end_counts_up_to_fifteen_minutes(
    echo: Echo, db_path: Path
) -> None:
    meet(echo)
    echo.launch()
    echo.intent("AMAZON.YesIntent")
    echo.intent("AMAZON.YesIntent")
    echo.advance(3 * 3600)
    echo.end()
    phase = stored(db_path)["phase"]
    assert phase["t"] == "paused"
    assert phase["was"]["evening"]["talk"] == [900, 0]


def test_favourites_are_kept_and_played(echo: Echo) -> None:
    meet(echo)
    echo.launch()
    echo.intent("AMAZON.YesIntent")
    first = prompt_in(echo.intent("AMAZON.YesIntent"))
    saved = echo.intent("SaveFavouriteIntent")
    assert saved.open and ("favorites" in saved.text or "keep that one" in saved.text)
    while echo.intent("NextIntent").open:
        echo.advance(30)
    echo.advance(DAY)
    echo.launch()
    echo.intent("PlayFavouritesIntent")
    reply = echo.intent("AMAZON.YesIntent")
    assert prompt_in(reply) == first


def test_lighter_and_deeper_move_the_ladder_and_are_remembered(echo: Echo, db_path: Path) -> None:
    deck = content.prompts("en").deck
    meet(echo)
    echo.launch()
    echo.intent("AMAZON.YesIntent")
    light = prompt_in(echo.intent("AMAZON.YesIntent"))
    deeper = prompt_in(echo.intent("DeeperIntent"))
    assert deck.get(light).depth == 1 and deck.get(deeper).depth == 2  # type: ignore[union-attr]
    while echo.intent("NextIntent").open:
        echo.advance(30)
    assert stored(db_path)["household"]["comfort"] == 2, "next evening starts deeper"
    echo.advance(DAY)
    replies = evening(echo)
    assert deck.get(asked(replies)[0]).depth == 2  # type: ignore[union-attr]
    lighter = echo.launch()
    assert lighter.open
    echo.intent("LighterIntent")
    assert stored(db_path)["household"]["comfort"] == 1


def test_skip_swaps_at_the_same_depth(echo: Echo) -> None:
    deck = content.prompts("en").deck
    meet(echo)
    echo.launch()
    echo.intent("AMAZON.YesIntent")
    first = prompt_in(echo.intent("AMAZON.YesIntent"))
    second = prompt_in(echo.intent("SkipIntent"))
    assert first != second
    assert deck.get(first).depth == deck.get(second).depth  # type: ignore[union-attr]


def test_pause_setting_is_remembered_across_sessions(echo: Echo) -> None:
    meet(echo)
    echo.launch()
    reply = echo.intent("SetPauseIntent", duration="PT2M")
    assert "2 minutes" in reply.text
    echo.intent("AMAZON.StopIntent")
    echo.advance(DAY)
    echo.launch()
    echo.intent("AMAZON.YesIntent")
    reply = echo.intent("AMAZON.YesIntent")
    assert reply.pause_seconds == 120
    more = echo.intent("MoreTimeIntent")
    assert more.pause_seconds == 120


def test_lengths_by_voice_and_the_first_speaker_alternates_across_evenings(echo: Echo) -> None:
    meet(echo)
    firsts = []
    for length, expected in (("long", 8), ("quick", 3), ("standard", 5)):
        echo.launch()
        echo.intent("StartEveningIntent", length=(length, length))
        reply = echo.intent("AMAZON.YesIntent")
        firsts.append(reply.text.split(",")[0])
        replies = [reply]
        while replies[-1].open:
            echo.advance(10)
            replies.append(echo.intent("NextIntent"))
        assert len(asked(replies)) == expected
        echo.advance(DAY)
    assert firsts == ["Sam", "Alex", "Sam"]


def test_stats_count_evenings_and_this_month(echo: Echo) -> None:
    meet(echo)
    for _ in range(3):
        evening(echo, talk=30)
    echo.launch()
    reply = echo.intent("StatsIntent")
    assert "3 evenings" in reply.text and "this month" in reply.text
    assert reply.open


def test_change_names_and_start_over(echo: Echo) -> None:
    meet(echo)
    echo.launch()
    echo.intent("ChangeNamesIntent")
    echo.intent("NameIntent", name="robin")
    reply = echo.intent("NameIntent", name="kim")
    assert "Robin and Kim" in reply.text
    echo.intent("AMAZON.YesIntent")
    echo.intent("AMAZON.YesIntent")
    reply = echo.intent("AMAZON.StartOverIntent")
    assert "start fresh" in reply.text and "first question" in reply.text


def test_resume_is_offered_within_twelve_hours_only(echo: Echo) -> None:
    meet(echo)
    echo.launch()
    echo.intent("AMAZON.YesIntent")
    echo.intent("AMAZON.YesIntent")
    echo.end("USER_INITIATED")
    echo.advance(11 * 3600)
    assert "Pick up where you left off?" in echo.launch().text
    echo.intent("AMAZON.StopIntent")
    echo.advance(13 * 3600)
    reply = echo.launch()
    assert "Pick up" not in reply.text and "1 evening" in reply.text


ACTIONS = st.lists(
    st.sampled_from(
        ["next", "next", "next", "end", "launch", "oneshot", "more", "skip", "help", "stop"]
    ),
    min_size=1,
    max_size=30,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ACTIONS)
def test_any_interleaving_of_sessions_keeps_the_evening_resumable(lambda_app, actions) -> None:
    """Sessions ending anywhere, relaunches and one-shots: a started evening is always offered
    on the next launch, and no prompt is heard twice before the deck runs out."""
    echo = Echo(
        lambda e: lambda_app.lambda_handler(e, None),
        user_id=f"amzn1.ask.account.{len(actions)}-{hash(tuple(actions))}",
    )
    meet(echo)
    echo.launch()
    echo.intent("AMAZON.YesIntent")
    heard = [prompt_in(echo.intent("AMAZON.YesIntent"))]
    finished = False
    for action in actions:
        echo.advance(40)
        if action == "end" and echo.session_id:
            echo.end()
            continue
        if action == "launch":
            reply = echo.launch()
            assert "Pick up where you left off?" in reply.text or finished
            continue
        name = {
            "next": "NextIntent",
            "oneshot": "NextIntent",
            "more": "MoreTimeIntent",
            "skip": "SkipIntent",
            "help": "AMAZON.HelpIntent",
            "stop": "AMAZON.StopIntent",
            "end": "NextIntent",
        }[action]
        reply = echo.intent(name)
        pid = prompt_in(reply)
        if pid and (not heard or pid != heard[-1]):
            heard.append(pid)
        if not reply.open and "together" in reply.text:
            finished = True
            break
    assert len(heard) == len(set(heard)), "a prompt repeated within the evening"

"""The pure game core: table-driven cases and hypothesis properties."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill.core import RULES, Ctx, Game, step
from skill.core import events as ev
from skill.core.codec import decode, encode
from skill.core.deck import Card, Deck
from skill.core.effects import AskPrompt, End, Erase, Listen, Partner, Pause, Say
from skill.core.model import (
    Answering,
    AskingName,
    Closing,
    ConfirmForget,
    OfferReminder,
    Paused,
    Ready,
    Reflecting,
    Scene,
)
from skill.core.timing import STALE_AFTER, TALK_CAP, break_chunks, target_depth

THEMES = ("today", "play", "hopes", "being_known")


def small_deck(per_cell: int = 3) -> Deck:
    cards = [
        Card(f"{theme}.{depth}{i}", theme, depth, ("follow_up", "say_back", "celebrate")[i % 3])
        for theme in THEMES
        for depth in (1, 2, 3)
        for i in range(per_cell)
    ]
    return Deck(cards)


DECK = small_deck()
T0 = 1_800_000_000

# One of every event the core knows that carries no data (plus a name and a pause).
SIMPLE_EVENTS: list[ev.Event] = [
    ev.Launch(),
    ev.Yes(),
    ev.No(),
    ev.Next(),
    ev.Skip(),
    ev.Repeat(),
    ev.MoreTime(),
    ev.Lighter(),
    ev.Deeper(),
    ev.SaveFavourite(),
    ev.PlayFavourites(),
    ev.Stats(),
    ev.ChangeNames(),
    ev.StartOver(),
    ev.Forget(),
    ev.Help(),
    ev.Stop(),
    ev.Fallback(),
    ev.SessionEnded(),
    ev.StartEvening(None),
    ev.CheckIn(),
    ev.MyTurn(),
    ev.ReminderConsent(True),
    ev.ReminderConsent(False),
]
SAMPLE_EVENTS: list[ev.Event] = [*SIMPLE_EVENTS, ev.GiveName("Kim"), ev.SetPause(90)]


class Player:
    """Drives the core with a moving clock, recording effects."""

    def __init__(self, game: Game | None = None, deck: Deck = DECK, now: int = T0) -> None:
        self.game = game or Game.new()
        self.deck = deck
        self.now = now
        self.log: list[tuple[object, tuple[object, ...]]] = []

    def __call__(self, event: ev.Event, after: int = 5) -> tuple[object, ...]:
        self.now += after
        self.game, effects = step(self.game, event, Ctx(self.now, self.now, self.deck))
        self.log.append((event, effects))
        return effects

    def names(self, a: str = "Sam", b: str = "Alex") -> None:
        self(ev.Launch())
        self(ev.GiveName(a))
        self(ev.GiveName(b))

    def evening(self, talk: int = 60) -> list[tuple[str, int]]:
        """Play a whole evening from Ready; returns (prompt id, speaker) per answer."""
        answers: list[tuple[str, int]] = []
        self(ev.Yes())  # start
        self(ev.Yes())  # scene: ready
        while not isinstance(self.game.phase, Ready):
            phase = self.game.phase
            if isinstance(phase, Answering):
                answers.append((phase.evening.current, phase.evening.speaker(phase.turn)))
            self(ev.Next(), after=talk)
        return answers


def prompts_of(effects: tuple[object, ...]) -> list[str]:
    return [e.prompt_id for e in effects if isinstance(e, AskPrompt)]


# --- table-driven: one row per (phase, event) -> expected next phase ------------------------


def at_phase(kind: str) -> Player:
    p = Player()
    if kind == "asking_name":
        return p
    p.names()
    if kind == "ready":
        return p
    p(ev.Yes())
    if kind == "scene":
        return p
    p(ev.Yes())
    if kind == "answering":
        return p
    p(ev.Next())
    if kind == "reflecting":
        assert isinstance(p.game.phase, Reflecting)
        return p
    if kind == "paused":
        p(ev.SessionEnded())
        return p
    raise AssertionError(kind)


CASES = [
    ("asking_name", ev.GiveName("Sam"), AskingName),
    ("asking_name", ev.Skip(), AskingName),
    ("asking_name", ev.Next(), AskingName),
    ("asking_name", ev.Stop(), AskingName),
    ("ready", ev.Yes(), Scene),
    ("ready", ev.StartEvening(3), Scene),
    ("ready", ev.No(), Ready),
    ("ready", ev.Forget(), ConfirmForget),
    ("ready", ev.ChangeNames(), AskingName),
    ("scene", ev.Yes(), Answering),
    ("scene", ev.Skip(), Answering),
    ("scene", ev.No(), Scene),
    ("scene", ev.Stop(), Paused),
    ("answering", ev.Next(), Reflecting),
    ("answering", ev.MoreTime(), Answering),
    ("answering", ev.Fallback(), Answering),
    ("answering", ev.Skip(), Answering),
    ("answering", ev.Repeat(), Answering),
    ("answering", ev.Stop(), Paused),
    ("answering", ev.SessionEnded(), Paused),
    ("answering", ev.Launch(), Paused),
    ("reflecting", ev.Next(), Answering),
    ("reflecting", ev.MoreTime(), Reflecting),
    ("paused", ev.Yes(), Answering),
    ("paused", ev.No(), Ready),
    ("paused", ev.Launch(), Paused),
    ("paused", ev.Next(), Answering),
    ("paused", ev.Stop(), Paused),
]


@pytest.mark.parametrize(("start", "event", "expected"), CASES)
def test_transition_table(start: str, event: ev.Event, expected: type) -> None:
    p = at_phase(start)
    effects = p(event)
    assert isinstance(p.game.phase, expected)
    if isinstance(event, ev.SessionEnded):
        assert effects == (), "a closed session cannot be spoken to"
    else:
        assert effects, "every transition answers with at least one effect"
    # A question keeps the session open; End closes it; never both.
    listens = [e for e in effects if isinstance(e, Listen)]
    ends = [e for e in effects if isinstance(e, End)]
    assert not (listens and ends)
    if listens:
        assert effects[-1] is listens[0]


def test_every_event_type_has_a_rule_in_every_phase() -> None:
    """The table is total: no (phase, event) pair raises."""
    event_types = {e for rule in RULES for e in rule.events}
    assert ev.Launch in event_types and ev.SessionEnded in event_types
    samples = SAMPLE_EVENTS
    for kind in ("asking_name", "ready", "scene", "answering", "reflecting", "paused"):
        for event in samples:
            p = at_phase(kind)
            p(event)  # must not raise
            assert decode(encode(p.game)) == p.game


# --- an evening ------------------------------------------------------------------------------


def test_first_launch_asks_for_names_then_greets_both() -> None:
    p = Player()
    effects = p(ev.Launch())
    assert [e.key for e in effects if isinstance(e, Say | Listen)] == [
        "welcome.new",
        "names.ask_first",
    ]
    p(ev.GiveName("  sam  "))
    effects = p(ev.GiveName("Alex"))
    assert p.game.household.names == ("Sam", "Alex")
    assert Say("names.done", {"a": Partner(0, "Sam"), "b": Partner(1, "Alex")}) in effects


def test_skipped_names_stay_empty_for_partner_one_and_two() -> None:
    p = Player()
    p(ev.Launch())
    p(ev.Skip())
    p(ev.Skip())
    assert p.game.household.names == ("", "")
    assert isinstance(p.game.phase, Ready)


def test_both_partners_answer_every_prompt_and_the_opener_alternates() -> None:
    p = Player()
    p.names()
    answers = p.evening()
    prompts = list(dict.fromkeys(pid for pid, _ in answers))
    assert len(prompts) == 5
    for index, pid in enumerate(prompts):
        speakers = [who for q, who in answers if q == pid]
        assert sorted(speakers) == [0, 1], f"{pid} not answered by both"
        assert speakers[0] == index % 2, "the partner addressed first alternates every prompt"


def test_first_speaker_alternates_across_evenings() -> None:
    p = Player()
    p.names()
    first = [p.evening()[0][1] for _ in range(4)]
    assert first == [0, 1, 0, 1]


def test_listening_pause_uses_the_household_setting_and_more_time_adds_one() -> None:
    p = Player()
    p.names()
    p(ev.SetPause(120))
    p(ev.Yes())
    effects = p(ev.Yes())
    assert Pause(120) in effects
    again = p(ev.MoreTime())
    assert Pause(120) in again and isinstance(p.game.phase, Answering)
    assert p.game.phase.turn == 0


def test_set_pause_is_clamped_to_the_allowed_range() -> None:
    p = Player()
    p.names()
    effects = p(ev.SetPause(600))
    assert p.game.household.pause_seconds == 180
    assert Say("pause.range") in effects


def test_listener_is_coached_on_the_first_turn_only() -> None:
    p = Player()
    p.names()
    p(ev.Yes())
    first = p(ev.Yes())
    assert [e.key for e in first if isinstance(e, Say)].count("coach.listener") == 1
    coached = [
        e
        for _, effects in p.log[-1:]
        for e in effects
        if isinstance(e, Say)
        if e.key == "coach.listener"
    ]
    assert coached[0].params["listener"] == Partner(1, "Alex")
    later = [p(ev.Next()) for _ in range(4)]
    assert not any(isinstance(e, Say) and e.key == "coach.listener" for fx in later for e in fx)


def test_prompt_is_the_last_thing_before_the_pause() -> None:
    p = Player()
    p.names()
    p(ev.Yes())
    effects = p(ev.Yes())
    index = next(i for i, e in enumerate(effects) if isinstance(e, Pause))
    assert isinstance(effects[index - 1], AskPrompt)
    says_before = [e for e in effects[: index - 1] if isinstance(e, Say)]
    assert len(says_before) <= 2


def test_evening_ends_with_closing_then_summary_and_history() -> None:
    p = Player()
    p.names()
    p(ev.StartEvening(3))
    p(ev.Yes())
    phases = []
    while not isinstance(p.game.phase, OfferReminder):
        effects = p(ev.Next(), after=90)
        phases.append(type(p.game.phase))
    assert Closing in phases
    keys = [e.key for e in effects if isinstance(e, Say | Listen)]
    assert keys[0] == "summary.minutes" and "summary.count" in keys
    assert keys[-1] == "reminder.offer", "the first evening offers a nightly reminder"
    effects = p(ev.Next())  # not a yes: no reminder, good night
    assert isinstance(p.game.phase, Ready) and isinstance(effects[-1], End)
    assert p.game.household.reminder == "declined"
    later = Player(p.game, now=p.now)
    later(ev.StartEvening(3))
    later(ev.Yes())
    while not isinstance(later.game.phase, Ready):
        effects = later(ev.Next(), after=90)
    assert isinstance(effects[-1], End), "evenings end with the summary once the offer is answered"
    hist = p.game.household.history
    assert hist.evenings == 1 and len(hist.seen) == 3
    assert p.game.household.length == 3  # the chosen length is remembered


def test_talk_time_is_measured_from_timestamps_and_capped() -> None:
    p = Player()
    p.names()
    p(ev.StartEvening(3))
    p(ev.Yes())
    p(ev.Next(), after=75)  # partner 0 talked 75 s
    assert isinstance(p.game.phase, Reflecting)
    p(ev.Next(), after=20)  # reflection time is nobody's answer
    p(ev.SessionEnded(), after=5000)  # partner 1 cut off by the session end: capped
    assert isinstance(p.game.phase, Paused)
    assert p.game.phase.was.evening.talk == (75, TALK_CAP)


def test_skip_swaps_the_prompt_at_the_same_depth_for_the_same_speaker() -> None:
    p = Player()
    p.names()
    p(ev.Yes())
    p(ev.Yes())
    phase = p.game.phase
    assert isinstance(phase, Answering)
    before, speaker = phase.evening.current, phase.evening.speaker(0)
    p(ev.Skip())
    after = p.game.phase
    assert isinstance(after, Answering) and after.turn == 0
    assert after.evening.current != before
    assert after.evening.speaker(0) == speaker
    assert DECK.get(after.evening.current).depth == DECK.get(before).depth  # type: ignore[union-attr]
    assert before in after.evening.skipped and len(after.evening.asked) == 1


def test_resume_picks_up_with_the_other_partner_after_a_session_end() -> None:
    p = Player()
    p.names()
    p(ev.Yes())
    p(ev.Yes())
    p(ev.Next())  # first answer done -> reflecting (first prompt reflects)
    p(ev.Next())  # second partner answering
    p(ev.SessionEnded(), after=60)
    effects = p(ev.Launch(), after=3600)
    assert isinstance(p.game.phase, Paused)
    keys = [e.key for e in effects if isinstance(e, Say | Listen)]
    assert "resume.where_answer" in keys and keys[-1] == "resume.question"
    assert "reentry.teach" in keys and p.game.household.taught_reentry
    effects = p(ev.Yes())
    assert isinstance(p.game.phase, Answering | Reflecting)
    again = p(ev.Launch())  # taught only once
    assert "reentry.teach" not in [e.key for e in again if isinstance(e, Say)]


def test_one_shot_next_continues_a_paused_evening_directly() -> None:
    p = Player()
    p.names()
    p(ev.Yes())
    p(ev.Yes())
    p(ev.SessionEnded(), after=70)
    effects = p(ev.Next(), after=600)
    assert prompts_of(effects), "continues with a prompt"
    assert isinstance(p.game.phase, Answering | Reflecting)


def test_an_evening_older_than_twelve_hours_is_folded_into_history() -> None:
    p = Player()
    p.names()
    p(ev.Yes())
    p(ev.Yes())
    p(ev.SessionEnded(), after=30)
    effects = p(ev.Launch(), after=STALE_AFTER + 60)
    assert isinstance(p.game.phase, Ready)
    assert p.game.household.history.evenings == 1
    assert "welcome.back_count" in [e.key for e in effects if isinstance(e, Say)]


def test_forget_needs_a_yes_and_then_erases() -> None:
    p = Player()
    p.names()
    p(ev.Forget())
    assert isinstance(p.game.phase, ConfirmForget)
    p(ev.No())
    assert isinstance(p.game.phase, Ready) and p.game.household.names == ("Sam", "Alex")
    p(ev.Forget())
    effects = p(ev.Yes())
    assert Erase() in effects and isinstance(effects[-1], End)
    assert p.game == Game.new()


def test_stop_saves_and_says_goodbye() -> None:
    p = Player()
    p.names()
    p(ev.Yes())
    p(ev.Yes())
    effects = p(ev.Stop(), after=40)
    assert isinstance(p.game.phase, Paused)
    assert isinstance(effects[-1], End)
    assert Say("stop.saved") in effects


def test_help_explains_the_phase_and_ends_with_a_question() -> None:
    for kind in ("asking_name", "ready", "scene", "answering", "reflecting", "paused"):
        p = at_phase(kind)
        before = p.game
        effects = p(ev.Help())
        assert isinstance(effects[0], Say) and effects[0].key.startswith("help.")
        assert isinstance(effects[-1], Listen)
        assert p.game == before, "help changes nothing (and so writes nothing)"


def test_depth_ladder_climbs_and_moves_with_lighter_and_deeper() -> None:
    assert [target_depth(1, i, 5, 0) for i in range(5)] == [1, 1, 2, 2, 3]
    assert [target_depth(1, i, 3, 0) for i in range(3)] == [1, 2, 3]
    assert target_depth(1, 4, 5, -1) == 2 and target_depth(3, 0, 5, 0) == 3
    p = Player()
    p.names()
    p(ev.Yes())
    p(ev.Yes())
    p(ev.Deeper())
    phase = p.game.phase
    assert isinstance(phase, Answering) and phase.evening.shift == 1
    assert DECK.get(phase.evening.current).depth == 2  # type: ignore[union-attr]


def test_deeper_evening_starts_deeper_next_time() -> None:
    p = Player()
    p.names()
    p(ev.Yes())
    p(ev.Yes())
    p(ev.Deeper())
    while not isinstance(p.game.phase, Ready):
        p(ev.Next())
    assert p.game.household.comfort == 2


def test_favourites_are_saved_at_the_end_and_can_be_played() -> None:
    p = Player()
    p.names()
    p(ev.Yes())
    p(ev.Yes())
    saved = p.game.phase.evening.current  # type: ignore[union-attr]
    p(ev.SaveFavourite())
    assert p.game.household.history.favourites == ()  # written once, at the evening's end
    while not isinstance(p.game.phase, Ready):
        p(ev.Next())
    assert p.game.household.history.favourites == (saved,)
    p(ev.PlayFavourites())
    effects = p(ev.Yes())
    assert prompts_of(effects) == [saved]


def test_break_chunks_never_exceed_ten_seconds() -> None:
    assert break_chunks(60) == [10] * 6
    assert break_chunks(95) == [10] * 9 + [5]
    assert break_chunks(0) == []


# --- properties ------------------------------------------------------------------------------

EVENTS = st.one_of(
    st.sampled_from(SIMPLE_EVENTS),
    st.builds(ev.GiveName, st.text(max_size=60)),
    st.builds(ev.SetPause, st.integers(min_value=1, max_value=10_000)),
    st.builds(ev.StartEvening, st.sampled_from([3, 5, 8])),
)
GAPS = st.integers(min_value=0, max_value=20 * 3600)


def _check_invariants(game: Game) -> None:
    assert decode(encode(game)) == game, "every reachable state encodes and decodes"
    phase = game.phase
    e = getattr(phase, "evening", None) or getattr(getattr(phase, "was", None), "evening", None)
    if e is not None:
        assert len(set(e.asked)) == len(e.asked), "no prompt repeats within an evening"
        assert not set(e.asked) & set(e.skipped)
        assert len(e.asked) <= e.length
        assert 0 <= e.first <= 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(EVENTS, GAPS), max_size=60), st.integers(0, 2**32 - 1))
def test_any_event_sequence_leaves_a_valid_state(steps: list, seed: int) -> None:
    game, now = Game.new(), T0
    for event, gap in steps:
        now += gap
        game, effects = step(game, event, Ctx(now, seed + now, DECK))
        _check_invariants(game)
        listens = [e for e in effects if isinstance(e, Listen)]
        assert len(listens) <= 1 and (not listens or effects[-1] is listens[0])
        assert not (listens and any(isinstance(x, End) for x in effects))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 3))
def test_no_prompt_repeats_across_evenings_until_the_deck_is_exhausted(seed: int, per: int) -> None:
    deck = small_deck(per)
    p = Player(deck=deck)
    p.now += seed % 1000
    p.names()
    heard: list[str] = []
    while len(heard) + 5 <= len(deck):
        answered = p.evening()
        heard.extend(dict.fromkeys(pid for pid, _ in answered))
    assert len(heard) == len(set(heard)), "a prompt came back before the deck ran out"
    assert Counter(heard).most_common(1)[0][1] == 1


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(["next", "end", "launch", "oneshot", "more"]), max_size=40),
    st.integers(0, 2**32 - 1),
)
def test_interrupted_evenings_stay_resumable(actions: list[str], seed: int) -> None:
    p = Player()
    p.names()
    p(ev.Yes())
    p(ev.Yes())
    for action in actions:
        event = {
            "next": ev.Next(),
            "end": ev.SessionEnded(),
            "launch": ev.Launch(),
            "oneshot": ev.Next(),
            "more": ev.MoreTime(),
        }[action]
        p(event, after=30 + seed % 50)
        if isinstance(p.game.phase, Ready):
            break
        # While an evening exists, a launch always offers to pick it up.
        game, effects = step(p.game, ev.Launch(), Ctx(p.now + 60, 1, DECK))
        assert isinstance(game.phase, Paused)
        assert isinstance(effects[-1], Listen) and effects[-1].key == "resume.question"

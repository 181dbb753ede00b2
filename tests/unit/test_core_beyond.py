"""The core beyond the speaker: reminder offer, check-in, recognised voices."""

from __future__ import annotations

from skill.core import Ctx, step
from skill.core import events as ev
from skill.core.codec import decode, encode
from skill.core.effects import End, Listen, Partner, Say, SetReminder, Theme
from skill.core.machine import CHECKIN
from skill.core.model import (
    Answering,
    CheckingIn,
    ConfirmVoice,
    OfferReminder,
    Ready,
)
from skill.core.timing import DAY
from tests.unit.test_core import DECK, Player

SAM = "voice-sam"
ALEX = "voice-alex"


class VoicePlayer(Player):
    """A Player whose requests come from a recognised voice (or none)."""

    person = ""

    def __call__(self, event: ev.Event, after: int = 5) -> tuple[object, ...]:
        self.now += after
        ctx = Ctx(self.now, self.now, self.deck, person=self.person)
        self.game, effects = step(self.game, event, ctx)
        assert decode(encode(self.game)) == self.game
        return effects


def finish_evening(p: Player) -> tuple[object, ...]:
    p(ev.StartEvening(3))
    p(ev.Yes())
    effects: tuple[object, ...] = ()
    while not isinstance(p.game.phase, Ready | OfferReminder):
        effects = p(ev.Next())
    return effects


def keys(effects: tuple[object, ...]) -> list[str]:
    return [e.key for e in effects if isinstance(e, Say | Listen)]


# --- the nightly reminder --------------------------------------------------------------------


def test_the_first_evening_ends_with_a_reminder_offer() -> None:
    p = Player()
    p.names()
    effects = finish_evening(p)
    assert isinstance(p.game.phase, OfferReminder)
    assert keys(effects)[-1] == "reminder.offer" and not any(isinstance(e, End) for e in effects)
    assert p.game.household.history.evenings == 1, "the evening is saved before the offer"


def test_yes_sets_a_reminder_for_tomorrow_and_says_goodbye() -> None:
    p = Player()
    p.names()
    finish_evening(p)
    effects = p(ev.Yes())
    assert effects[0] == SetReminder(DAY) and isinstance(effects[-1], End)
    assert p.game.household.reminder == "set"
    assert isinstance(finish_evening(p)[-1], End), "never offered again once set"


def test_no_is_remembered_and_not_asked_again() -> None:
    p = Player()
    p.names()
    finish_evening(p)
    effects = p(ev.No())
    assert "reminder.declined" in keys(effects) and isinstance(effects[-1], End)
    assert p.game.household.reminder == "declined"
    assert "reminder.offer" not in keys(finish_evening(p))


def test_permission_answers_create_the_reminder_or_apologise() -> None:
    p = Player()
    p.names()
    granted = p(ev.ReminderConsent(True))
    assert granted[0] == SetReminder(DAY) and p.game.household.reminder == "set"
    denied = p(ev.ReminderConsent(False))
    assert "reminder.no_permission" in keys(denied) and p.game.household.reminder == "declined"


def test_anything_else_after_the_offer_is_taken_from_ready() -> None:
    p = Player()
    p.names()
    finish_evening(p)
    p(ev.StartEvening(None))
    assert p.game.household.reminder == "unasked"
    assert not isinstance(p.game.phase, OfferReminder)


# --- the check-in ----------------------------------------------------------------------------


def checkin(p: Player, answers: list[bool]) -> tuple[object, ...]:
    effects = p(ev.CheckIn())
    assert keys(effects) == ["checkin.intro", "checkin.q0"]
    for answer in answers:
        effects = p(ev.Yes() if answer else ev.No())
    return effects


def test_five_questions_then_a_theme_for_tonight() -> None:
    p = Player()
    p.names()
    effects = checkin(p, [False, False, False, False, False])
    assert isinstance(p.game.phase, Ready)
    assert Say("checkin.done", {"theme": Theme("inner_world")}) in effects
    assert (p.game.household.focus, p.game.household.focus_reflection) == (
        "inner_world",
        "say_back",
    )


def test_each_question_points_to_its_theme_and_calm_answers_to_play() -> None:
    for index, (points, theme, reflection) in enumerate(CHECKIN):
        p = Player()
        p.names()
        calm = [True, False, False, False, False]
        answers = calm[:index] + [points] + calm[index + 1 :]
        checkin(p, answers)
        assert (p.game.household.focus, p.game.household.focus_reflection) == (theme, reflection)
    p = Player()
    p.names()
    checkin(p, [True, False, False, False, False])
    assert p.game.household.focus == "play"


def test_the_answers_are_not_kept_only_the_choice() -> None:
    p = Player()
    p.names()
    p(ev.CheckIn())
    p(ev.No())
    p(ev.Yes())
    phase = p.game.phase
    assert isinstance(phase, CheckingIn)
    assert set(encode(p.game)["phase"]) == {"t", "index", "focus"}
    assert phase.index == 2 and phase.theme == "inner_world"


def test_the_next_evening_leans_to_the_chosen_theme_with_its_reflection() -> None:
    p = Player()
    p.names()
    checkin(p, [True, True, False, False, False])  # talk has been logistics -> curiosity
    p(ev.Yes())
    effects = p(ev.Yes())
    phase = p.game.phase
    assert isinstance(phase, Answering)
    assert DECK.get(phase.evening.current) is None or phase.evening.focus == "curiosity"
    assert phase.evening.reflection == "follow_up"
    assert effects


def test_the_focus_lasts_one_evening() -> None:
    p = Player()
    p.names()
    checkin(p, [False] * 5)
    finish_evening(p)
    assert p.game.household.focus == ""


def test_checkin_waits_for_yes_or_no_and_can_be_left() -> None:
    p = Player()
    p.names()
    p(ev.CheckIn())
    effects = p(ev.Next())
    assert keys(effects) == ["checkin.yes_no", "checkin.q0"]
    effects = p(ev.Stop())
    assert isinstance(p.game.phase, Ready) and isinstance(effects[-1], End)
    assert p.game.household.focus == ""


def test_checkin_during_an_evening_is_for_later() -> None:
    p = Player()
    p.names()
    p(ev.Yes())
    p(ev.Yes())
    effects = p(ev.CheckIn())
    assert "checkin.later" in keys(effects) and isinstance(p.game.phase, Answering)


# --- recognised voices -----------------------------------------------------------------------


def test_a_new_voice_is_asked_about_once_and_linked() -> None:
    p = VoicePlayer()
    p.names()
    p.person = SAM
    effects = p(ev.Launch())
    assert isinstance(p.game.phase, ConfirmVoice)
    assert effects[-1] == Listen("voice.is_this", {"partner": Partner(0, "Sam")})
    effects = p(ev.Yes())
    assert p.game.household.voices == (SAM, "")
    assert Say("voice.linked", {"partner": Partner(0, "Sam", voice=True)}) in effects
    assert isinstance(p.game.phase, Ready) and keys(effects)[-1] == "ready.question"


def test_no_asks_about_the_other_partner_then_lets_it_be() -> None:
    p = VoicePlayer()
    p.names()
    p.person = ALEX
    p(ev.Launch())
    effects = p(ev.No())
    assert effects[-1] == Listen("voice.is_this", {"partner": Partner(1, "Alex")})
    p(ev.Yes())
    assert p.game.household.voices == ("", ALEX)
    p.person = "a-guest"
    p(ev.Launch())
    p(ev.No())
    assert isinstance(p.game.phase, Ready) and p.game.household.voices == ("", ALEX)


def test_a_linked_voice_is_greeted_and_addressed_personally() -> None:
    p = VoicePlayer()
    p.names()
    p.person = SAM
    p(ev.Launch())
    p(ev.Yes())
    effects = p(ev.Launch())
    greeting = effects[0]
    assert isinstance(greeting, Say) and greeting.key == "welcome.voice"
    assert greeting.params["partner"] == Partner(0, "Sam", voice=True)
    p(ev.Yes())
    effects = p(ev.Yes())
    first = next(e for e in effects if isinstance(e, Say) and e.key == "turn.first")
    assert first.params["speaker"] == Partner(0, "Sam", voice=True)


def test_any_other_answer_to_is_this_goes_on_with_the_game() -> None:
    p = VoicePlayer()
    p.names()
    p.person = SAM
    p(ev.Launch())
    p(ev.StartEvening(3))
    assert p.game.household.voices == ("", "")
    assert not isinstance(p.game.phase, ConfirmVoice)


def test_its_my_turn_swaps_the_first_speaker_of_this_prompt() -> None:
    p = VoicePlayer()
    p.names()
    p.person = ALEX
    p(ev.Launch())
    p(ev.No())  # not Sam
    p(ev.Yes())  # Alex
    p(ev.Yes())  # start an evening
    p(ev.Yes())  # ready
    phase = p.game.phase
    assert isinstance(phase, Answering) and phase.evening.speaker(0) == 0
    effects = p(ev.MyTurn())
    phase = p.game.phase
    assert isinstance(phase, Answering) and phase.turn == 0
    assert phase.evening.speaker(0) == 1
    assert Say("turn.mine", {"speaker": Partner(1, "Alex", voice=True)}) in effects
    again = p(ev.MyTurn())
    assert "turn.already" in keys(again)


def test_its_my_turn_without_a_known_voice_keeps_the_order() -> None:
    p = VoicePlayer()
    p.names()
    p(ev.Yes())
    p(ev.Yes())
    before = p.game
    effects = p(ev.MyTurn())
    assert "turn.unknown_voice" in keys(effects) and p.game == before


def test_lighter_at_the_lightest_depth_says_so_and_changes_nothing() -> None:
    p = Player()
    p.names()
    p(ev.Yes())
    p(ev.Yes())  # the first prompt is at depth 1
    before = p.game
    effects = p(ev.Lighter())
    assert "depth.lighter_limit" in keys(effects) and p.game == before
    p(ev.Deeper())
    p(ev.Deeper())
    effects = p(ev.Deeper())  # 1 + 2 = 3: as deep as it goes
    assert "depth.deeper_limit" in keys(effects)


def test_an_evening_length_outside_the_three_kinds_is_ignored() -> None:
    for bad in (0, -1, 4, 99):
        p = Player()
        p.names()
        p(ev.StartEvening(bad))
        assert p.game.household.length == 5
        assert decode(encode(p.game)) == p.game

"""The game as one transition table: ``step(game, event, ctx) -> (game, effects)``.

``RULES`` lists every (phase, event) pair the game knows, specific before generic; the first
rule whose phase and event types match (and whose guard accepts) wins. Time and chance come
in through ``Ctx``: the core never reads a clock or the global random generator.
"""

from __future__ import annotations

import datetime as _dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from . import events as ev
from .deck import Deck, pick, pick_favourite, remember
from .effects import (
    AskPrompt,
    Effect,
    End,
    Erase,
    Listen,
    Params,
    Partner,
    Pause,
    PromptRef,
    Say,
    SetReminder,
    Theme,
)
from .model import (
    EVENING_PHASES,
    LENGTHS,
    MAX_EVENING_DAYS,
    Answering,
    AskingName,
    CheckingIn,
    Closing,
    ConfirmForget,
    ConfirmVoice,
    Evening,
    EveningPhase,
    Game,
    History,
    Household,
    OfferReminder,
    Paused,
    Phase,
    Ready,
    Reflecting,
    Scene,
    clean_name,
)
from .timing import (
    CLOSING_SECONDS,
    DAY,
    REFLECT_SECONDS,
    STALE_AFTER,
    TALK_CAP,
    clamp_pause,
    epoch_day,
    talk_seconds,
    target_depth,
)

MAX_SHIFT = 2
SCENE_SHORT_AFTER = 3  # evenings after which the scene-setting gets shorter


@dataclass(frozen=True, slots=True)
class Ctx:
    """Inputs from outside: the request time (epoch seconds), a seed, the deck, and the
    hashed voice-profile id of whoever spoke ("" when the device recognised no one)."""

    now: int
    seed: int
    deck: Deck
    person: str = ""

    def rng(self) -> random.Random:
        return random.Random(self.seed)


class IllegalMove(Exception):
    """No rule of the table accepts this event in this phase."""


Effects = tuple[Effect, ...]
Outcome = tuple[Game, Effects]
Action = Callable[[Game, ev.Event, Ctx], Outcome]
Guard = Callable[[Game, ev.Event, Ctx], bool]


def _always(game: Game, event: ev.Event, ctx: Ctx) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Rule:
    phases: tuple[type, ...]
    events: tuple[type, ...]
    action: Action
    guard: Guard = _always

    def accepts(self, game: Game, event: ev.Event, ctx: Ctx) -> bool:
        return (
            isinstance(game.phase, self.phases)
            and isinstance(event, self.events)
            and self.guard(game, event, ctx)
        )


# --- small helpers -------------------------------------------------------------------------


def partner(h: Household, index: int) -> Partner:
    return Partner(index, h.names[index])


def addressed(h: Household, index: int, ctx: Ctx) -> Partner:
    """A partner to address by name: marked when it is the recognised voice of the request,
    so a front end can greet them in Alexa's personalised way."""
    return Partner(index, h.names[index], voice=h.voice_of(ctx.person) == index)


def _p(**params: object) -> Params:
    return params  # type: ignore[return-value]


def question(game: Game) -> Listen:
    """The question that keeps the session open in the game's current phase."""
    h, phase = game.household, game.phase
    match phase:
        case AskingName(slot=0):
            return Listen("names.ask_first")
        case AskingName():
            return Listen("names.ask_second", _p(first=partner(h, 0)))
        case Ready():
            return Listen("ready.question")
        case Scene():
            return Listen("scene.question")
        case Answering(evening=e, turn=turn) | Reflecting(evening=e, turn=turn):
            return _after_answer_question(h, e, turn)
        case Closing(evening=e, turn=0):
            return Listen("closing.ready_second", _p(partner=partner(h, 1 - e.first)))
        case Closing():
            return Listen("closing.ready_summary")
        case Paused():
            return Listen("resume.question")
        case ConfirmForget():
            return Listen("forget.question")
        case OfferReminder():
            return Listen("reminder.offer")
        case CheckingIn(index=index):
            return Listen(f"checkin.q{index}")
        case ConfirmVoice(partner=who):
            return Listen("voice.is_this", _p(partner=partner(h, who)))
    raise IllegalMove(f"no question for {type(phase).__name__}")


def _after_answer_question(h: Household, e: Evening, turn: int) -> Listen:
    if turn == 0:
        return Listen("turn.ready_second", _p(partner=partner(h, e.speaker(1))))
    if len(e.asked) >= e.length:
        return Listen("turn.ready_closing")
    return Listen("turn.ready_next")


def _phase_key(phase: Phase) -> str:
    return {
        Ready: "ready",
        AskingName: "names",
        Scene: "scene",
        Answering: "answering",
        Reflecting: "reflecting",
        Closing: "closing",
        Paused: "paused",
        ConfirmForget: "forget",
        OfferReminder: "reminder",
        CheckingIn: "checkin",
        ConfirmVoice: "voice",
    }[type(phase)]


def _with_talk(e: Evening, who: int, seconds: int) -> Evening:
    talk = (e.talk[0] + seconds, e.talk[1]) if who == 0 else (e.talk[0], e.talk[1] + seconds)
    return replace(e, talk=talk)


def _since(phase: EveningPhase | Paused) -> int:
    return phase.at if isinstance(phase, Paused) else phase.since


def _evening_of(phase: Phase) -> Evening | None:
    if isinstance(phase, EVENING_PHASES):
        return phase.evening
    if isinstance(phase, Paused):
        return phase.was.evening
    return None


def _month_count(days: Sequence[int], now: int) -> int:
    today = _dt.date(1970, 1, 1) + _dt.timedelta(days=epoch_day(now))
    count = 0
    for day in days:
        d = _dt.date(1970, 1, 1) + _dt.timedelta(days=day)
        if (d.year, d.month) == (today.year, today.month):
            count += 1
    return count


# --- evenings: start, prompts, answers, closing, finish ------------------------------------


def finish_evening(h: Household, e: Evening) -> Household:
    """Fold an evening into the household's history (at its close, or when abandoned)."""
    if not e.asked:
        return h
    hist = h.history
    saved = tuple(pid for pid in e.saved if pid not in hist.favourites)
    history = History(
        evenings=hist.evenings + 1,
        seen=remember(hist.seen, e.skipped + e.asked),
        favourites=hist.favourites + saved,
        evening_days=(hist.evening_days + (epoch_day(e.started_at),))[-MAX_EVENING_DAYS:],
        talk=(hist.talk[0] + e.talk[0], hist.talk[1] + e.talk[1]),
    )
    comfort = max(1, min(3, h.comfort + max(-1, min(1, e.shift))))
    return replace(
        h,
        history=history,
        next_first=1 - e.first,
        comfort=comfort,
        focus="",
        focus_reflection="",
    )


def _begin_evening(
    h: Household, ctx: Ctx, *, favourites: bool = False, lead: Effects = ()
) -> Outcome:
    if favourites and not any(pid in ctx.deck for pid in h.history.favourites):
        return Game(h, Ready()), (*lead, Say("favourites.none"), Listen("ready.question"))
    length = h.length
    if favourites:
        length = min(length, sum(1 for pid in h.history.favourites if pid in ctx.deck))
    e = Evening(
        started_at=ctx.now,
        length=length,
        first=h.next_first,
        favourites=favourites,
        focus="" if favourites else h.focus,
        reflection="" if favourites else h.focus_reflection,
    )
    key = "scene.first" if h.history.evenings < SCENE_SHORT_AFTER else "scene.short"
    intro: Effects = (Say("favourites.start"),) if favourites else ()
    number = h.history.evenings + 1
    return Game(h, Scene(e, ctx.now)), (
        *lead,
        *intro,
        Say(key, _p(number=number)),
        Listen("scene.question"),
    )


def _choose(h: Household, e: Evening, ctx: Ctx) -> str | None:
    tonight = e.asked + e.skipped
    if e.favourites:
        return pick_favourite(h.history.favourites, tonight, ctx.deck)
    last = ctx.deck.get(e.asked[-1]) if e.asked else None
    return pick(
        ctx.deck,
        depth=target_depth(h.comfort, len(e.asked), e.length, e.shift),
        tonight=tonight,
        seen=h.history.seen,
        avoid_theme=last.theme if last else None,
        rng=ctx.rng(),
        focus=e.focus,
    )


def _ask_prompt(h: Household, e: Evening, ctx: Ctx, lead: Effects = ()) -> Outcome:
    pid = _choose(h, e, ctx)
    if pid is None:
        if not e.asked:
            return Game(h, Ready()), (*lead, Say("deck.empty"), Listen("ready.question"))
        return _begin_closing(h, e, ctx, lead)
    e = replace(e, asked=e.asked + (pid,))
    speaker = e.speaker(0)
    intro: list[Effect] = [Say("turn.first", _p(speaker=addressed(h, speaker, ctx)))]
    if len(e.asked) == 1 and not e.skipped:
        intro.append(Say("coach.listener", _p(listener=partner(h, 1 - speaker))))
    game = Game(h, Answering(e, 0, ctx.now))
    return game, (*lead, *intro, AskPrompt(pid), Pause(h.pause_seconds), question(game))


def _swap_prompt(h: Household, e: Evening, ctx: Ctx, lead: Effects) -> Outcome:
    e = replace(e, asked=e.asked[:-1], skipped=e.skipped + (e.current,))
    return _ask_prompt(h, e, ctx, lead)


def _reflection_kind(e: Evening, turn: int, ctx: Ctx) -> str | None:
    """Reflect on every other prompt, alternating which answer: brief, varied, never always."""
    index = len(e.asked) - 1
    if index % 2 or turn != (index // 2) % 2:
        return None
    if e.reflection:
        return e.reflection
    card = ctx.deck.get(e.current)
    return card.reflection if card else None


def _reflection_effects(h: Household, e: Evening, turn: int, kind: str, ctx: Ctx) -> Effects:
    speaker = e.speaker(turn)
    effects: list[Effect] = [
        Say(
            f"reflect.{kind}",
            _p(listener=partner(h, 1 - speaker), speaker=partner(h, speaker)),
        )
    ]
    card = ctx.deck.get(e.current)
    if kind == "follow_up" and card is not None and card.has_follow_up:
        effects.append(Say("reflect.suggest", _p(follow_up=PromptRef(e.current, "follow_up"))))
    effects.append(Pause(REFLECT_SECONDS))
    return tuple(effects)


def _answer_done(h: Household, e: Evening, turn: int, ctx: Ctx, lead: Effects = ()) -> Outcome:
    """An answer is finished (talk already counted): reflect, or move on."""
    kind = _reflection_kind(e, turn, ctx)
    if kind is not None:
        game = Game(h, Reflecting(e, turn, kind, ctx.now))
        return game, (*lead, *_reflection_effects(h, e, turn, kind, ctx), question(game))
    return _after_answer(h, e, turn, ctx, lead)


def _after_answer(h: Household, e: Evening, turn: int, ctx: Ctx, lead: Effects = ()) -> Outcome:
    if turn == 0:
        game = Game(h, Answering(e, 1, ctx.now))
        return game, (
            *lead,
            Say("turn.second", _p(speaker=addressed(h, e.speaker(1), ctx))),
            AskPrompt(e.current),
            Pause(h.pause_seconds),
            question(game),
        )
    if len(e.asked) >= e.length:
        return _begin_closing(h, e, ctx, lead)
    return _ask_prompt(h, e, ctx, lead)


def _closing_effects(h: Household, e: Evening, turn: int) -> Effects:
    speaker = (e.first + turn) % 2
    key = "closing.turn_first" if turn == 0 else "closing.turn_second"
    return (
        Say(key, _p(speaker=partner(h, speaker), other=partner(h, 1 - speaker))),
        Pause(CLOSING_SECONDS),
    )


def _begin_closing(h: Household, e: Evening, ctx: Ctx, lead: Effects = ()) -> Outcome:
    game = Game(h, Closing(e, 0, ctx.now))
    return game, (*lead, Say("closing.intro"), *_closing_effects(h, e, 0), question(game))


def _summary(h_before: Household, e: Evening, ctx: Ctx) -> Outcome:
    h = finish_evening(h_before, e)
    total = e.talk[0] + e.talk[1]
    minutes = max(1, round(total / 60))
    effects: list[Effect] = [Say("summary.minutes", _p(minutes=minutes))]
    if total >= 60:
        share = e.talk[0] / total
        if 0.4 <= share <= 0.6:
            effects.append(Say("summary.even"))
        else:
            more = 0 if share > 0.5 else 1
            effects.append(
                Say("summary.uneven", _p(more=partner(h, more), less=partner(h, 1 - more)))
            )
    effects.append(Say("summary.count", _p(count=h.history.evenings)))
    if h.reminder == "unasked":
        game = Game(h, OfferReminder())
        return game, (*effects, question(game))
    effects.append(Say("summary.goodbye", _p(a=partner(h, 0), b=partner(h, 1))))
    effects.append(End())
    return Game(h, Ready()), tuple(effects)


def _pause_phase(phase: EveningPhase, now: int) -> Paused:
    """Stop the clock on an evening phase: count the talk so far, remember where we were."""
    if isinstance(phase, Answering):
        e = phase.evening
        counted = talk_seconds(phase.since, now)
        e = _with_talk(e, e.speaker(phase.turn), counted)
        return Paused(replace(phase, evening=e), at=phase.since + counted)
    return Paused(phase, at=max(phase.since, min(now, phase.since + TALK_CAP)))


def _continue(h: Household, was: EveningPhase, ctx: Ctx, lead: Effects = ()) -> Outcome:
    """Pick up an interrupted evening at the step after where it stopped."""
    match was:
        case Scene(evening=e):
            return _ask_prompt(h, e, ctx, lead)
        case Answering(evening=e, turn=turn) | Reflecting(evening=e, turn=turn):
            # The moment for a reflection has passed: go on to the next answer.
            return _after_answer(h, e, turn, ctx, lead)
        case Closing(evening=e, turn=0):
            game = Game(h, Closing(e, 1, ctx.now))
            return game, (*lead, *_closing_effects(h, e, 1), question(game))
        case Closing(evening=e):
            return _summary(h, e, ctx)
    raise IllegalMove(f"cannot continue from {type(was).__name__}")


def _where(h: Household, was: EveningPhase) -> Say:
    match was:
        case Answering(evening=e, turn=turn) | Reflecting(evening=e, turn=turn):
            return Say(
                "resume.where_answer",
                _p(speaker=partner(h, e.speaker(turn)), prompt=PromptRef(e.current)),
            )
        case Closing():
            return Say("resume.where_closing")
    return Say("resume.where_start")


def _teach_reentry(h: Household) -> tuple[Household, Effects]:
    if h.taught_reentry:
        return h, ()
    return replace(h, taught_reentry=True), (Say("reentry.teach"),)


def expire(game: Game, now: int) -> Game:
    """An evening left alone for more than 12 hours is folded into history."""
    phase = game.phase
    if isinstance(phase, (*EVENING_PHASES, Paused)) and now - _since(phase) > STALE_AFTER:
        e = phase.was.evening if isinstance(phase, Paused) else phase.evening
        if isinstance(phase, Answering):
            e = _with_talk(e, e.speaker(phase.turn), talk_seconds(phase.since, now))
        return Game(finish_evening(game.household, e), Ready())
    return game


# --- actions -------------------------------------------------------------------------------


def launch_new(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    h = game.household
    fresh = h.names == ("", "") and h.history.evenings == 0
    return game, (Say("welcome.new" if fresh else "welcome.names"), question(game))


def launch_ready(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    h = game.household
    n = h.history.evenings
    game = Game(h, Ready())
    who = h.voice_of(ctx.person)
    if who is not None:
        names = _p(partner=addressed(h, who, ctx), other=partner(h, 1 - who), count=n)
        return game, (Say("welcome.voice", names), Listen("ready.question"))
    names = _p(a=partner(h, 0), b=partner(h, 1), count=n)
    greeting = Say("welcome.back_count" if n else "welcome.back", names)
    return game, (greeting, Listen("ready.question"))


def with_voice_check(action: Action) -> Action:
    """On opening the skill, a recognised voice not yet linked to a partner is asked about
    once the greeting is said: "Is this {name}?"."""

    def launch(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
        nxt, effects = action(game, event, ctx)
        h = nxt.household
        known = "" not in h.names or h.history.evenings > 0
        if (
            not ctx.person
            or not known
            or h.voice_of(ctx.person) is not None
            or "" not in h.voices
            or not effects
            or not isinstance(effects[-1], Listen)
        ):
            return nxt, effects
        asking = Game(h, ConfirmVoice(ctx.person, h.voices.index(""), nxt.phase))
        return asking, (*effects[:-1], question(asking))

    return launch


def launch_evening(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    h = game.household
    phase = game.phase
    paused = phase if isinstance(phase, Paused) else _pause_phase(phase, ctx.now)  # type: ignore[arg-type]
    h, teach = _teach_reentry(h)
    greeting = Say("welcome.resume", _p(a=partner(h, 0), b=partner(h, 1)))
    return Game(h, paused), (greeting, _where(h, paused.was), *teach, Listen("resume.question"))


def launch_forget(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    assert isinstance(game.phase, ConfirmForget)
    return step(Game(game.household, game.phase.back), event, ctx)


def give_name(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    assert isinstance(game.phase, AskingName) and isinstance(event, ev.GiveName)
    return _set_name(game, game.phase, clean_name(event.name))


def skip_name(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    assert isinstance(game.phase, AskingName)
    return _set_name(game, game.phase, "")


def _set_name(game: Game, phase: AskingName, name: str) -> Outcome:
    h = game.household
    names = (name, h.names[1]) if phase.slot == 0 else (h.names[0], name)
    h = replace(h, names=names)
    if phase.slot == 0:
        nxt = Game(h, AskingName(1, phase.then))
        return nxt, (question(nxt),)
    done = Game(h, phase.then)
    return done, (Say("names.done", _p(a=partner(h, 0), b=partner(h, 1))), question(done))


def name_missed(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    return game, (Say("names.missed"), question(game))


def start_evening(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    h = game.household
    length = event.length if isinstance(event, ev.StartEvening) else None
    if length is not None and length in LENGTHS.values():
        h = replace(h, length=length)
    lead: Effects = ()
    if isinstance(game.phase, Paused):
        h = finish_evening(h, game.phase.was.evening)
        lead = (Say("start_over"),)
    return _begin_evening(h, ctx, lead=lead)


def start_over_evening(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    e = _evening_of(game.phase)
    h = finish_evening(game.household, e) if e is not None else game.household
    return _begin_evening(h, ctx, lead=(Say("start_over"),))


def start_over_names(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    assert isinstance(game.phase, AskingName)
    nxt = Game(game.household, AskingName(0, game.phase.then))
    return nxt, (question(nxt),)


def play_favourites(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    h = game.household
    if isinstance(game.phase, Paused):
        h = finish_evening(h, game.phase.was.evening)
    return _begin_evening(h, ctx, favourites=True)


def decline(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    return game, (Say("goodbye"), End())


def scene_go(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    assert isinstance(game.phase, Scene)
    return _ask_prompt(game.household, game.phase.evening, ctx)


def scene_wait(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    return game, (Say("scene.wait"), question(game))


def answer_next(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    phase = game.phase
    assert isinstance(phase, Answering)
    e = phase.evening
    e = _with_talk(e, e.speaker(phase.turn), talk_seconds(phase.since, ctx.now))
    return _answer_done(game.household, e, phase.turn, ctx)


def reflect_next(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    phase = game.phase
    assert isinstance(phase, Reflecting)
    return _after_answer(game.household, phase.evening, phase.turn, ctx)


def closing_next(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    phase = game.phase
    assert isinstance(phase, Closing)
    return _continue(game.household, phase, ctx)


def skip_closing(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    phase = game.phase
    assert isinstance(phase, Closing)
    return _summary(game.household, phase.evening, ctx)


def skip_prompt(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    phase = game.phase
    assert isinstance(phase, Answering)
    h, e = game.household, phase.evening
    if phase.turn == 0:
        return _swap_prompt(h, e, ctx, (Say("skip.swap"),))
    e = _with_talk(e, e.speaker(1), talk_seconds(phase.since, ctx.now))
    return _after_answer(h, e, 1, ctx, (Say("skip.next"),))


def more_time(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    phase = game.phase
    seconds = game.household.pause_seconds
    if isinstance(phase, Reflecting):
        seconds = REFLECT_SECONDS
    elif isinstance(phase, Closing):
        seconds = CLOSING_SECONDS
    return game, (Say("more_time"), Pause(seconds), question(game))


def repeat(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    h, phase = game.household, game.phase
    match phase:
        case Answering(evening=e, turn=turn):
            speaker = partner(h, e.speaker(turn))
            return game, (
                Say("repeat.prompt", _p(speaker=speaker)),
                AskPrompt(e.current),
                Pause(h.pause_seconds),
                question(game),
            )
        case Reflecting(evening=e, turn=turn, kind=kind):
            return game, (*_reflection_effects(h, e, turn, kind, ctx), question(game))
        case Closing(evening=e, turn=turn):
            return game, (*_closing_effects(h, e, turn), question(game))
        case Paused(was=was):
            return game, (_where(h, was), question(game))
    return game, (question(game),)


def move_depth(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    delta = -1 if isinstance(event, ev.Lighter) else 1
    word = "lighter" if delta < 0 else "deeper"
    h, phase = game.household, game.phase
    if isinstance(phase, Ready):
        comfort = h.comfort + delta
        if not 1 <= comfort <= 3:
            return game, (Say(f"depth.{word}_limit"), question(game))
        nxt = Game(replace(h, comfort=comfort), phase)
        return nxt, (Say(f"depth.{word}_next"), question(nxt))
    assert isinstance(phase, EVENING_PHASES)
    e = phase.evening
    now_asking = isinstance(phase, Answering) and phase.turn == 0
    index = len(e.asked) - 1 if now_asking else len(e.asked)  # the prompt the move affects
    shift = max(-MAX_SHIFT, min(MAX_SHIFT, e.shift + delta))
    if target_depth(h.comfort, index, e.length, shift) == target_depth(
        h.comfort, index, e.length, e.shift
    ):
        return game, (Say(f"depth.{word}_limit"), question(game))
    e = replace(e, shift=shift)
    if now_asking:
        return _swap_prompt(h, e, ctx, (Say(f"depth.{word}_now"),))
    nxt = Game(h, replace(phase, evening=e))
    return nxt, (Say(f"depth.{word}_next"), question(nxt))


def save_favourite(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    h, phase = game.household, game.phase
    e = _evening_of(phase)
    if e is None or not e.asked:
        return game, (Say("favourite.nothing"), question(game))
    pid = e.current
    if pid in e.saved or pid in h.history.favourites:
        return game, (Say("favourite.already"), question(game))
    e = replace(e, saved=e.saved + (pid,))
    if isinstance(phase, Paused):
        nxt = Game(h, replace(phase, was=replace(phase.was, evening=e)))
    else:
        assert isinstance(phase, EVENING_PHASES)
        nxt = Game(h, replace(phase, evening=e))
    return nxt, (Say("favourite.saved"), question(nxt))


def favourites_later(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    return game, (Say("favourites.after"), question(game))


def set_pause(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    assert isinstance(event, ev.SetPause)
    seconds = clamp_pause(event.seconds)
    nxt = Game(replace(game.household, pause_seconds=seconds), game.phase)
    lead: Effects = () if seconds == event.seconds else (Say("pause.range"),)
    key = "pause.set_minutes" if seconds % 60 == 0 else "pause.set_seconds"
    return nxt, (*lead, Say(key, _p(minutes=seconds // 60, seconds=seconds)), question(nxt))


def stats(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    hist = game.household.history
    if hist.evenings == 0:
        return game, (Say("stats.none"), question(game))
    minutes = round((hist.talk[0] + hist.talk[1]) / 60)
    return game, (
        Say(
            "stats.summary",
            _p(
                count=hist.evenings,
                month=_month_count(hist.evening_days, ctx.now),
                minutes=minutes,
            ),
        ),
        question(game),
    )


def change_names(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    nxt = Game(game.household, AskingName(0, game.phase))
    return nxt, (Say("names.change"), question(nxt))


def ask_forget(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    nxt = Game(game.household, ConfirmForget(game.phase))
    return nxt, (question(nxt),)


def forget_yes(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    return Game.new(), (Erase(), Say("forget.done"), End())


def forget_no(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    assert isinstance(game.phase, ConfirmForget)
    back = Game(game.household, game.phase.back)
    return back, (Say("forget.kept"), question(back))


def forget_leave(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    """Stop or session end while confirming: nothing is deleted."""
    assert isinstance(game.phase, ConfirmForget)
    return step(Game(game.household, game.phase.back), event, ctx)


def resume_yes(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    assert isinstance(game.phase, Paused)
    return _continue(game.household, game.phase.was, ctx)


def resume_no(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    assert isinstance(game.phase, Paused)
    h = finish_evening(game.household, game.phase.was.evening)
    nxt = Game(h, Ready())
    return nxt, (Say("resume.declined"), question(nxt))


def resume_offer(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    assert isinstance(game.phase, Paused)
    return game, (_where(game.household, game.phase.was), question(game))


def stop_evening(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    phase = game.phase
    assert isinstance(phase, EVENING_PHASES)
    h, teach = _teach_reentry(game.household)
    return Game(h, _pause_phase(phase, ctx.now)), (Say("stop.saved"), *teach, End())


def session_ended_evening(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    phase = game.phase
    assert isinstance(phase, EVENING_PHASES)
    return Game(game.household, _pause_phase(phase, ctx.now)), ()


def stop(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    return game, (Say("goodbye"), End())


def nothing(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    return game, ()


def help_(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    return game, (Say(f"help.{_phase_key(game.phase)}"), question(game))


def fallback(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    return game, (Say("fallback"), question(game))


def not_now(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    return game, (Say("not_now"), question(game))


def _first_prompt_pending(game: Game, event: ev.Event, ctx: Ctx) -> bool:
    return isinstance(game.phase, Answering) and game.phase.turn == 0


# --- recognised voices, check-in, reminder --------------------------------------------------


def voice_yes(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    phase = game.phase
    assert isinstance(phase, ConfirmVoice)
    h = game.household
    voices = (phase.person, h.voices[1]) if phase.partner == 0 else (h.voices[0], phase.person)
    h = replace(h, voices=voices)
    nxt = Game(h, phase.then)
    who = Partner(phase.partner, h.names[phase.partner], voice=True)
    return nxt, (Say("voice.linked", _p(partner=who)), question(nxt))


def voice_no(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    phase = game.phase
    assert isinstance(phase, ConfirmVoice)
    h = game.household
    other = 1 - phase.partner
    if phase.partner == h.voices.index("") and h.voices[other] == "":
        asking = Game(h, replace(phase, partner=other))
        return asking, (question(asking),)
    nxt = Game(h, phase.then)
    return nxt, (Say("voice.skip"), question(nxt))


def voice_pass(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    """Anything but yes or no: leave the question and let the game take the event."""
    assert isinstance(game.phase, ConfirmVoice)
    return step(Game(game.household, game.phase.then), event, ctx)


def my_turn(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    phase = game.phase
    assert isinstance(phase, Answering)
    h, e = game.household, phase.evening
    who = h.voice_of(ctx.person)
    if who is None:
        return game, (Say("turn.unknown_voice"), question(game))
    me = addressed(h, who, ctx)
    if e.speaker(phase.turn) == who:
        return game, (Say("turn.already", _p(speaker=me)), question(game))
    if phase.turn == 1:
        return game, (Say("turn.answered", _p(speaker=me)), question(game))
    index = len(e.asked) - 1
    nxt = Game(h, Answering(replace(e, first=(who - index) % 2), 0, ctx.now))
    return nxt, (
        Say("turn.mine", _p(speaker=me)),
        AskPrompt(e.current),
        Pause(h.pause_seconds),
        question(nxt),
    )


# (answer that points somewhere, theme, reflection) for each check-in question, in order.
CHECKIN: tuple[tuple[bool, str, str], ...] = (
    (False, "inner_world", "say_back"),  # do you feel heard and understood? no
    (True, "curiosity", "follow_up"),  # has your talk been mostly logistics? yes
    (True, "being_known", "say_back"),  # playing the part more than living it? yes
    (True, "making_space", "follow_up"),  # does closeness flow one way? yes
    (True, "going_first", "say_back"),  # lonely even together? yes
)
CHECKIN_CALM = ("play", "celebrate")


def checkin_start(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    nxt = Game(game.household, CheckingIn(0, "", ""))
    return nxt, (Say("checkin.intro"), question(nxt))


def checkin_answer(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    """Fold one yes/no into the choice; the answer itself is never kept or said back."""
    phase = game.phase
    assert isinstance(phase, CheckingIn)
    points, theme, reflection = CHECKIN[phase.index]
    if not phase.theme and isinstance(event, ev.Yes) == points:
        phase = replace(phase, theme=theme, reflection=reflection)
    if phase.index + 1 < len(CHECKIN):
        nxt = Game(game.household, replace(phase, index=phase.index + 1))
        return nxt, (question(nxt),)
    theme, reflection = (phase.theme, phase.reflection) if phase.theme else CHECKIN_CALM
    h = replace(game.household, focus=theme, focus_reflection=reflection)
    nxt = Game(h, Ready())
    return nxt, (Say("checkin.done", _p(theme=Theme(theme))), question(nxt))


def checkin_other(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    return game, (Say("checkin.yes_no"), question(game))


def to_ready(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    """Leave a side conversation (check-in, reminder offer) and treat the event from Ready."""
    return step(Game(game.household, Ready()), event, ctx)


def later(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    return game, (Say("checkin.later"), question(game))


def reminder_yes(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    h = replace(game.household, reminder="set")
    return Game(h, Ready()), (
        SetReminder(DAY),
        Say("summary.goodbye", _p(a=partner(h, 0), b=partner(h, 1))),
        End(),
    )


def reminder_no(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    h = replace(game.household, reminder="declined")
    return Game(h, Ready()), (
        Say("reminder.declined"),
        Say("summary.goodbye", _p(a=partner(h, 0), b=partner(h, 1))),
        End(),
    )


def reminder_consent(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    assert isinstance(event, ev.ReminderConsent)
    if event.granted:
        h = replace(game.household, reminder="set")
        return Game(h, game.phase), (SetReminder(DAY), End())
    h = replace(game.household, reminder="declined")
    return Game(h, game.phase), (Say("reminder.no_permission"), End())


# --- the table -----------------------------------------------------------------------------

ANY_PHASE: tuple[type, ...] = (
    Ready,
    AskingName,
    Scene,
    Answering,
    Reflecting,
    Closing,
    Paused,
    ConfirmForget,
    OfferReminder,
    CheckingIn,
    ConfirmVoice,
)
IN_EVENING: tuple[type, ...] = EVENING_PHASES
TALKING: tuple[type, ...] = (Answering, Reflecting, Closing)
GO = (ev.Next, ev.Yes)

RULES: tuple[Rule, ...] = (
    # Alexa's answer to the reminders permission request, whatever the phase.
    Rule(ANY_PHASE, (ev.ReminderConsent,), reminder_consent),
    # A recognised voice: "Is this Sam?" Anything but yes or no goes on to the game.
    Rule((ConfirmVoice,), (ev.Yes,), voice_yes),
    Rule((ConfirmVoice,), (ev.No,), voice_no),
    Rule((ConfirmVoice,), (ev.Help,), help_),
    Rule((ConfirmVoice,), (ev.Event,), voice_pass),  # type: ignore[arg-type]
    # The check-in: five yes/no reflections answered together.
    Rule((CheckingIn,), (ev.Yes, ev.No), checkin_answer),
    Rule((CheckingIn,), (ev.Help,), help_),
    Rule((CheckingIn,), (ev.Repeat,), repeat),
    Rule((CheckingIn,), (ev.Stop, ev.SessionEnded, ev.Launch, ev.StartEvening), to_ready),
    Rule((CheckingIn,), (ev.Event,), checkin_other),  # type: ignore[arg-type]
    # After the evening: "Want me to remind you tomorrow at this time?"
    Rule((OfferReminder,), (ev.Yes,), reminder_yes),
    Rule((OfferReminder,), (ev.No, ev.Next, ev.Skip), reminder_no),
    Rule((OfferReminder,), (ev.Help,), help_),
    Rule((OfferReminder,), (ev.Event,), to_ready),  # type: ignore[arg-type]
    # Forgetting waits for a clear yes or no; leaving deletes nothing.
    Rule((ConfirmForget,), (ev.Yes,), forget_yes),
    Rule((ConfirmForget,), (ev.No,), forget_no),
    Rule((ConfirmForget,), (ev.Launch,), launch_forget),
    Rule((ConfirmForget,), (ev.Stop, ev.SessionEnded), forget_leave),
    Rule((ConfirmForget,), (ev.Help,), help_),
    Rule((ConfirmForget,), (ev.Event,), not_now),  # type: ignore[arg-type]
    # Opening the skill.
    Rule((AskingName,), (ev.Launch,), launch_new),
    Rule((Ready,), (ev.Launch,), with_voice_check(launch_ready)),
    Rule((*IN_EVENING, Paused), (ev.Launch,), with_voice_check(launch_evening)),
    # Names.
    Rule((AskingName,), (ev.GiveName,), give_name),
    Rule((AskingName,), (ev.Skip,), skip_name),
    Rule((AskingName,), (ev.StartOver,), start_over_names),
    Rule((AskingName,), (ev.Stop,), stop),
    Rule((AskingName,), (ev.SessionEnded,), nothing),
    Rule((AskingName,), (ev.Help,), help_),
    Rule((AskingName,), (ev.Forget,), ask_forget),
    Rule((AskingName,), (ev.Yes, ev.No, ev.Next, ev.Fallback, ev.Repeat), name_missed),
    # Between evenings.
    Rule((Ready,), (ev.Yes, ev.Next, ev.StartEvening, ev.StartOver), start_evening),
    Rule((Ready,), (ev.PlayFavourites,), play_favourites),
    Rule((Ready,), (ev.CheckIn,), checkin_start),
    Rule((Ready,), (ev.No,), decline),
    # An evening starting.
    Rule((Scene,), (ev.Yes, ev.Next, ev.Skip), scene_go),
    Rule((Scene,), (ev.No, ev.MoreTime), scene_wait),
    # Answering a prompt, reflecting, closing.
    Rule((Answering,), GO, answer_next),
    Rule((Answering,), (ev.Skip,), skip_prompt),
    Rule((Answering,), (ev.MyTurn,), my_turn),
    Rule((Reflecting,), (*GO, ev.Skip), reflect_next),
    Rule((Closing,), GO, closing_next),
    Rule((Closing,), (ev.Skip,), skip_closing),
    Rule(TALKING, (ev.No, ev.MoreTime, ev.Fallback, ev.GiveName), more_time),
    # Picking up an interrupted evening.
    Rule((Paused,), GO, resume_yes),
    Rule((Paused,), (ev.No,), resume_no),
    Rule((Paused,), (ev.StartEvening,), start_evening),
    Rule((Paused,), (ev.SessionEnded,), nothing),
    Rule((Paused,), (ev.Skip, ev.MoreTime, ev.Fallback), resume_offer),
    # Anywhere with names known.
    Rule((*IN_EVENING, Paused), (ev.StartOver,), start_over_evening),
    Rule((Paused,), (ev.PlayFavourites,), play_favourites),
    Rule(IN_EVENING, (ev.PlayFavourites, ev.StartEvening), favourites_later),
    Rule((*IN_EVENING, Paused), (ev.CheckIn,), later),
    Rule((Ready, *IN_EVENING), (ev.Lighter, ev.Deeper), move_depth),
    Rule((*IN_EVENING, Paused), (ev.SaveFavourite,), save_favourite),
    Rule((Ready,), (ev.SaveFavourite,), save_favourite),
    Rule(ANY_PHASE, (ev.SetPause,), set_pause),
    Rule(ANY_PHASE, (ev.Stats,), stats),
    Rule((Ready, *IN_EVENING, Paused), (ev.ChangeNames,), change_names),
    Rule((Ready, *IN_EVENING, Paused), (ev.Forget,), ask_forget),
    Rule(ANY_PHASE, (ev.Repeat,), repeat),
    Rule(ANY_PHASE, (ev.Help,), help_),
    Rule(IN_EVENING, (ev.Stop,), stop_evening),
    Rule(IN_EVENING, (ev.SessionEnded,), session_ended_evening),
    Rule((Ready, Paused), (ev.Stop,), stop),
    Rule((Ready,), (ev.SessionEnded,), nothing),
    Rule(ANY_PHASE, (ev.Fallback,), fallback),
    # Anything else is understood but does not fit now: say so, and ask again.
    Rule(ANY_PHASE, (ev.Event,), not_now),  # type: ignore[arg-type]
)


def step(game: Game, event: ev.Event, ctx: Ctx) -> Outcome:
    """Apply one event. Returns the next game and the effects to render, in order."""
    game = expire(game, ctx.now)
    for rule in RULES:
        if rule.accepts(game, event, ctx):
            return rule.action(game, event, ctx)
    raise IllegalMove(f"{type(event).__name__} in {type(game.phase).__name__}")

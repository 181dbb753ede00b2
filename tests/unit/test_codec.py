"""The versioned codec: stored items and session attributes are untrusted input.

- Every stored schema version keeps fixtures (tests/fixtures/stored/v<N>_<phase>.json,
  written by that version's encoder) and they all still decode.
- ``decode`` raises nothing but ``CodecError``, whatever JSON (or DynamoDB Decimal) it gets:
  arbitrary documents, and valid documents with one part broken.
- ``decode(encode(g)) == g`` for every game reached by a random sequence of events.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import inspect
import json
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill import content
from skill.core import Ctx, Game, IllegalMove, codec, step
from skill.core import events as ev
from skill.core.codec import CodecError, decode, encode
from skill.core.model import LENGTHS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "stored"
DECK = content.prompts("en").deck
V1_PHASES = {
    "asking_name",
    "ready",
    "scene",
    "answering",
    "reflecting",
    "closing",
    "paused",
    "confirm_forget",
}


def fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("v*_*.json"))


# --------------------------------------------------------------------------- fixtures


def test_there_are_fixtures_for_every_schema_version_up_to_the_current_one() -> None:
    versions = {int(path.name[1 : path.name.index("_")]) for path in fixture_files()}
    assert versions == set(range(1, codec.VERSION + 1))


def test_version_1_fixtures_cover_every_phase_version_1_stored() -> None:
    kinds = set()
    for path in FIXTURES.glob("v1_*.json"):
        phase = json.loads(path.read_text())["phase"]
        while True:  # the phase and the ones nested in it
            kinds.add(phase["t"])
            phase = phase.get("then") or phase.get("was") or phase.get("back")
            if phase is None:
                break
    assert kinds >= V1_PHASES


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.name)
def test_stored_fixture_decodes_and_survives_a_round_trip(path: Path) -> None:
    doc = json.loads(path.read_text())
    game = decode(doc)
    assert doc["v"] == int(path.name[1 : path.name.index("_")])
    assert game.household.names == ("Marisol", "Thaddeus") or game.household.names[1] == ""
    assert decode(encode(game)) == game
    assert decode(json.loads(json.dumps(encode(game)))) == game  # through JSON text too
    # and as DynamoDB hands numbers back: Decimal
    assert decode(json.loads(json.dumps(doc), parse_int=Decimal)) == game


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.name)
def test_stored_fixture_plays_on(path: Path) -> None:
    """An old item is not only readable: the game goes on from it."""
    game = decode(json.loads(path.read_text()))
    now = 1_795_100_000
    for event in (ev.Launch(), ev.Yes(), ev.Next(), ev.Next(), ev.Stop()):
        game, effects = step(game, event, Ctx(now, now, DECK))
        assert effects
        assert decode(encode(game)) == game
        now += 70


# --------------------------------------------------------------------------- never a crash

json_leaf = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**5000), max_value=10**5000)
    | st.floats()
    | st.text()
    | st.decimals(allow_nan=True, allow_infinity=True)
    | st.sampled_from(sorted(V1_PHASES) + ["", "t", "v", "was", "back", "then"])
)
json_doc = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=6)
        | st.dictionaries(
            st.sampled_from(["v", "t", "household", "history", "phase", "names", "evening"])
            | st.text(max_size=10),
            inner,
            max_size=6,
        )
    ),
    max_leaves=40,
)


def _decode_only_codec_errors(doc: Any) -> None:
    try:
        game = decode(doc)
    except CodecError:
        return
    # Whatever decodes is a game the encoder could have written.
    assert decode(encode(game)) == game


@settings(max_examples=400, deadline=None)
@given(json_doc)
def test_decode_raises_only_codec_error_on_arbitrary_json(doc: Any) -> None:
    _decode_only_codec_errors(doc)


@settings(max_examples=400, deadline=None)
@given(
    json_doc,
    st.sampled_from(sorted(V1_PHASES)),
)
def test_decode_raises_only_codec_error_on_arbitrary_game_shaped_json(doc: Any, kind: str) -> None:
    shaped = {"v": 1, "household": doc, "history": doc, "phase": {"t": kind, "evening": doc}}
    _decode_only_codec_errors(shaped)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


@settings(max_examples=1500, deadline=None)
@given(
    st.sampled_from(fixture_files()),
    st.data(),
    json_doc,
    st.sampled_from(["replace", "delete", "wrap", "duplicate"]),
)
def test_decode_raises_only_codec_error_on_a_broken_stored_item(
    path: Path, data: st.DataObject, value: Any, how: str
) -> None:
    """Valid items with one part broken: the most likely corruptions, and the ones that get
    deepest into the decoder."""
    doc = json.loads(path.read_text())
    target_path = data.draw(st.sampled_from(_paths(doc)[1:]))
    parent = doc
    for key in target_path[:-1]:
        parent = parent[key]
    key = target_path[-1]
    if how == "replace":
        parent[key] = value
    elif how == "delete":
        if isinstance(parent, dict):
            del parent[key]
        else:
            parent.pop(key)
    elif how == "wrap":
        parent[key] = [parent[key]]
    else:
        parent[key] = {"t": "paused", "was": copy.deepcopy(doc)}
    _decode_only_codec_errors(doc)


@pytest.mark.parametrize(
    "doc",
    [
        None,
        [],
        "game",
        {},
        {"v": None},
        {"v": "1"},
        {"v": True},
        {"v": 0},
        {"v": 2},
        {"v": 10**5000},
        {"v": -(10**5000)},
        {"v": 1.0},
        {"v": Decimal("1E+5000")},
        {"v": Decimal("NaN")},
        {"v": Decimal("sNaN")},
        {"v": math.inf},
    ],
    ids=lambda d: (
        type(d).__name__
        if not isinstance(d, dict)
        else f"v={type(d['v']).__name__}"
        if d
        else "empty"
    ),
)
def test_documents_that_are_not_games(doc: Any) -> None:
    with pytest.raises(CodecError):
        decode(doc)


@pytest.mark.parametrize("path", fixture_files()[:3], ids=lambda p: p.name)
@pytest.mark.parametrize(
    "value",
    [10**5000, -(10**5000), Decimal("1E+5000"), Decimal("-Infinity"), Decimal("NaN")],
    ids=["big", "-big", "Decimal big", "Decimal -inf", "Decimal NaN"],
)
def test_numbers_too_large_to_print_are_a_codec_error(path: Path, value: Any) -> None:
    """Python refuses to turn an int of more than 4,300 digits into text: an error message
    that quotes the number must not raise ValueError instead of CodecError."""
    for key in ("pause", "length", "comfort"):
        doc = json.loads(path.read_text())
        doc["household"][key] = value
        with pytest.raises(CodecError):
            decode(doc)


def test_error_messages_do_not_quote_stored_text() -> None:
    """Codec errors end up in logs: they name the field, never repeat the (untrusted,
    possibly personal, possibly huge) value."""
    doc = json.loads((FIXTURES / "v1_ready_new.json").read_text())
    secret = "Marisol-" + "x" * 5000
    for broken in (
        {**doc, "phase": {"t": secret}},
        {**doc, "phase": {"t": "reflecting", "kind": secret}},
        {**doc, "household": {**doc["household"], "names": [secret, "b"]}},
        {**doc, "v": secret},
    ):
        with pytest.raises(CodecError) as caught:
            decode(broken)
        assert "Marisol" not in str(caught.value) and len(str(caught.value)) < 200


# --------------------------------------------------------------------------- round trip


# Fields whose values the adapters validate before building the event (intents.py): the
# core is given only these.
ADAPTER_VALUES: dict[tuple[str, str], st.SearchStrategy[Any]] = {
    ("StartEvening", "length"): st.none() | st.sampled_from(sorted(LENGTHS.values())),
    ("SetPause", "seconds"): st.integers(1, 10**7),
}


def _field_strategy(annotation: str) -> st.SearchStrategy[Any] | None:
    return {
        "str": st.text(max_size=50) | st.sampled_from(["Sam", "</speak>", "x" * 60, "\x00"]),
        "int": st.integers(-1000, 100_000),
        "int | None": st.none() | st.sampled_from([3, 5, 8]) | st.integers(-5, 20),
        "bool": st.booleans(),
    }.get(annotation)


def _event_strategies() -> list[st.SearchStrategy[ev.Event]]:
    """Every event type the core declares, with drawn fields (so new events join in)."""
    found = []
    for _, cls in inspect.getmembers(ev, inspect.isclass):
        if not dataclasses.is_dataclass(cls) or cls.__module__ != ev.__name__:
            continue
        fields = dataclasses.fields(cls)
        strategies = {
            f.name: ADAPTER_VALUES[(cls.__name__, f.name)]
            if (cls.__name__, f.name) in ADAPTER_VALUES
            else _field_strategy(str(f.type))
            for f in fields
        }
        if any(s is None for s in strategies.values()):
            continue
        found.append(st.builds(cls, **strategies))  # type: ignore[arg-type]
    return found


EVENTS = _event_strategies()
FREQUENT = st.sampled_from([ev.Next(), ev.Yes(), ev.Launch(), ev.GiveName("Sam")])
event_strategy = st.one_of(FREQUENT, FREQUENT, *EVENTS)


def test_the_round_trip_draws_every_event_type() -> None:
    declared = {
        cls
        for _, cls in inspect.getmembers(ev, inspect.isclass)
        if dataclasses.is_dataclass(cls) and cls.__module__ == ev.__name__
    }
    assert len(EVENTS) == len(declared), "teach _field_strategy the new event's field types"


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    st.lists(st.tuples(event_strategy, st.integers(0, 4000)), min_size=1, max_size=80),
    st.integers(0, 2**32 - 1),
)
def test_decode_encode_round_trips_every_game_reached_by_events(
    moves: list[tuple[ev.Event, int]], seed: int
) -> None:
    game = Game.new()
    now = 1_795_000_000
    for event, elapsed in moves:
        now += elapsed
        with contextlib.suppress(IllegalMove):  # a gap in the table: the game stays as it was
            game, _ = step(game, event, Ctx(now, seed + now, DECK))
        doc = encode(game)
        assert decode(doc) == game
        assert decode(json.loads(json.dumps(doc))) == game

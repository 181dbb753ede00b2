"""Benchmark of the Lambda: ours (lambda/app.py) next to a baseline written the SDK's standard
way (tests/bench/baseline/: StandardSkillBuilder + the SDK's DynamoDbAdapter), both on one
DynamoDB Local in the same run.

    .venv/bin/python tests/bench/bench_lambda.py [--cold 7] [--evenings 60] [--next 8]
                                                 [--no-package] [--profile DIR]

1. Cold start: a fresh Python process per sample imports the entry point (``app`` from
   lambda/, ``lambda_function`` from tests/bench/baseline/, as the Lambda runtime imports its
   handler module) and answers the first LaunchRequest of a household that already has stored
   progress (the DynamoDB read included). Measured inside the child from its first line to
   the response, and from outside (process wall time, interpreter start-up included).
   Samples alternate between the two sides; the median of each is reported.
2. Warm turn: the scripted evening (launch, two names, yes, yes, N x "next", help, repeat,
   stop) for a new household each time, repeated in one process, alternating sides. Per
   request: the total time of ``lambda_handler`` and the time inside DynamoDB calls, i.e. on
   the wire: from the signed request about to be sent to the answer's body read (botocore's
   ``before-send`` to ``before-parse`` events on each botocore client, our WireClient's
   ``_exchange``; see ``Meter``). "Outside DynamoDB" is the difference: everything the skill,
   the SDKs and the DynamoDB client library do around the wire.
3. DynamoDB use: calls per request by operation, consumed capacity (``ReturnConsumedCapacity``
   added to every call's parameters by the meter, for both sides, in this pass only), and the
   size of every item written (DynamoDB's item-size rules, from the request).
4. Package: ``make package ARCH=x86_64`` into a temporary build directory, the zip's size,
   and Python 3.12 (the runtime's) with ``-W error::DeprecationWarning -W
   error::SyntaxWarning``: the packaged ``app`` imported (and one request answered) as Lambda
   runs it, and our own modules compiled afresh from source (``runtime_warnings``).

Both sides run as on AWS: configuration from the environment (TABLE_NAME and SKILL_ID for
ours, DYNAMODB_PERSISTENCE_TABLE_NAME for the baseline; region, credentials and
AWS_ENDPOINT_URL_DYNAMODB for both), no AWS config files, LOG_LEVEL=INFO with our log lines
formatted and written (to /dev/null in process, to a pipe in the children).

Prints a table, then one JSON line with every number. Not a pytest module (bench_*.py).
Takes about a minute (plus ``make package``: 10-60 s, depending on pip's cache).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import gc
import importlib.util
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: make `tests` and `skill` importable
    sys.path.insert(0, str(ROOT))

from tests.support import dynamodb_local as ddb_local  # noqa: E402
from tests.support.echo import APP_ID, Echo  # noqa: E402
from tests.support.fixtures_dynamodb import (  # noqa: E402
    ACCESS_KEY_ID,
    REGION,
    SECRET_ACCESS_KEY,
    client,
    create_table,
    table_definition,
)

OURS, BASELINE = "ours", "baseline"
SIDES = (OURS, BASELINE)
MODULE_DIR = {OURS: ROOT / "lambda", BASELINE: ROOT / "tests" / "bench" / "baseline"}
MODULE_NAME = {OURS: "app", BASELINE: "lambda_function"}
RESUMED = "Pick up where you left off?"  # both sides' answer to a launch with stored progress

# The child of a cold-start sample: the clock starts at its first line.
COLD_CHILD = r"""
import time
started = time.perf_counter()
import json, sys
directory, name, envelope_path = sys.argv[1:4]
envelope = json.loads(open(envelope_path).read())
sys.path.insert(0, directory)
module = __import__(name)
imported = time.perf_counter()
response = module.lambda_handler(envelope, None)
answered = time.perf_counter()
print(json.dumps({
    "import_ms": (imported - started) * 1000,
    "first_ms": (answered - imported) * 1000,
    "total_ms": (answered - started) * 1000,
    "ssml": response["response"]["outputSpeech"]["ssml"],
}))
"""


# --------------------------------------------------------------------------- environment


def aws_environment(endpoint: str, ours_table: str, baseline_table: str) -> dict[str, str]:
    """What both Lambdas see: as on AWS, plus the local endpoint; no AWS config files."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") and k not in {"TABLE_NAME", "SKILL_ID", "CONNECTION_GAME_DB"}
    }
    missing = str(Path(tempfile.gettempdir()) / "bench-lambda-no-such-file")
    env.update(
        AWS_ENDPOINT_URL_DYNAMODB=endpoint,
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
        AWS_ACCESS_KEY_ID=ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY=SECRET_ACCESS_KEY,
        AWS_CONFIG_FILE=missing,
        AWS_SHARED_CREDENTIALS_FILE=missing,
        TABLE_NAME=ours_table,
        SKILL_ID=APP_ID,
        LOG_LEVEL="INFO",
        DYNAMODB_PERSISTENCE_TABLE_NAME=baseline_table,
    )
    return env


def create_baseline_table(endpoint: str, name: str) -> None:
    """The SDK adapter's default shape: partition key ``id`` (a string), nothing else."""
    dynamodb = client(endpoint)
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.get_waiter("table_exists").wait(
        TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )


def load_module(side: str) -> ModuleType:
    """The side's entry module, loaded as the Lambda runtime loads a handler module."""
    name = MODULE_NAME[side]
    spec = importlib.util.spec_from_file_location(
        f"bench_{side}_{name}", MODULE_DIR[side] / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- DynamoDB meter


def item_size(item: dict[str, Any]) -> int:
    """An item's size by DynamoDB's rules (names + values, 3 bytes per map or list + 1 per
    element), from its wire form."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    ((kind, data),) = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        digits = data.lstrip("-").replace(".", "").strip("0") or "0"
        return (len(digits) + 1) // 2 + 1
    if kind == "B":
        return len(base64.b64decode(data))
    if kind in {"BOOL", "NULL"}:
        return 1
    if kind in {"SS", "NS", "BS"}:
        return sum(_value_size({kind[0]: element}) for element in data)
    if kind == "L":
        return 3 + sum(1 + _value_size(element) for element in data)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + _value_size(v) for k, v in data.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


@dataclass
class Call:
    operation: str
    capacity: float = 0.0
    written: list[int] = field(default_factory=list)  # item sizes, bytes


class Meter:
    """Times, counts and sizes the DynamoDB calls of every client in this process.

    botocore clients (the SDK adapter's boto3 resource; ours where it falls back):
    ``BaseClient._make_api_call`` is wrapped once; on a DynamoDB client's first call the
    wrapper registers ``before-send`` / ``before-parse`` handlers on that client's own event
    system: the wire time is from the request about to be sent to the response's body read.
    Our WireClient: ``_call`` and ``_exchange`` (the HTTP exchange: send, read the body) are
    wrapped the same way. Parsing the answer counts as outside DynamoDB on both sides.
    """

    def __init__(self) -> None:
        self.wire_s = 0.0
        self.calls: list[Call] | None = None  # None: not recording
        self.capacity = False
        self._sent_at: float | None = None
        self._hooked: set[int] = set()

    def install(self) -> None:
        from botocore.client import BaseClient

        from skill.store.dynamodb import WireClient

        meter = self
        original_call = BaseClient._make_api_call

        def _make_api_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
            if client.meta.service_model.service_name != "dynamodb" or meter.calls is None:
                return original_call(client, operation, params)
            if id(client) not in meter._hooked:
                meter._hooked.add(id(client))
                client.meta.events.register("before-send.dynamodb", meter._before_send)
                client.meta.events.register("before-parse.dynamodb", meter._received)
                client.meta.events.register("response-received.dynamodb", meter._received)
            return meter._record(operation, params, lambda p: original_call(client, operation, p))

        BaseClient._make_api_call = _make_api_call  # type: ignore[method-assign]

        wire_call, wire_exchange = WireClient._call, WireClient._exchange

        def _call(client: Any, operation: str, params: dict[str, Any]) -> Any:
            if meter.calls is None:
                return wire_call(client, operation, params)
            name = "".join(part.title() for part in operation.split("_"))
            return meter._record(name, params, lambda p: wire_call(client, operation, p))

        def _exchange(client: Any, headers: dict[str, str], body: bytes) -> Any:
            if meter.calls is None:
                return wire_exchange(client, headers, body)
            if meter.capacity and meter.calls:
                meter.calls[-1].written.extend(_written_items(body))
            started = time.perf_counter()
            try:
                return wire_exchange(client, headers, body)
            finally:
                meter.wire_s += time.perf_counter() - started

        WireClient._call = _call  # type: ignore[method-assign]
        WireClient._exchange = _exchange  # type: ignore[method-assign]

    def _record(self, operation: str, params: dict[str, Any], call_with: Callable) -> Any:
        assert self.calls is not None
        call = Call(operation)
        self.calls.append(call)
        if self.capacity:
            params = {**params, "ReturnConsumedCapacity": "TOTAL"}
        try:
            answer = call_with(params)
        except Exception as exc:
            self._add_capacity(call, getattr(exc, "response", None) or {})
            raise
        self._add_capacity(call, answer)
        return answer

    @contextlib.contextmanager
    def recording(self) -> Iterator[list[Call]]:
        self.calls = []
        try:
            yield self.calls
        finally:
            self.calls = None

    def _before_send(self, request: Any, **_: Any) -> None:
        if self.capacity and self.calls:
            self.calls[-1].written.extend(_written_items(request.body))
        self._sent_at = time.perf_counter()

    def _received(self, **_: Any) -> None:
        if self._sent_at is not None:  # before-parse, or response-received after an error
            self.wire_s += time.perf_counter() - self._sent_at
            self._sent_at = None

    @staticmethod
    def _add_capacity(call: Call, answer: dict[str, Any]) -> None:
        consumed = answer.get("ConsumedCapacity")
        for entry in consumed if isinstance(consumed, list) else [consumed]:
            if isinstance(entry, dict):
                call.capacity += float(entry.get("CapacityUnits") or 0)


def _written_items(body: bytes | str | None) -> list[int]:
    if not body:
        return []
    doc = json.loads(body)
    items = [doc["Item"]] if "Item" in doc else []
    items += [t["Put"]["Item"] for t in doc.get("TransactItems", []) if "Put" in t]
    return [item_size(item) for item in items]


# --------------------------------------------------------------------------- the evening


@dataclass
class Sample:
    label: str  # launch, name, yes, next, help, repeat, stop
    total_s: float
    wire_s: float
    calls: list[Call]


def timed(handler: Callable[[dict[str, Any], Any], dict[str, Any]], meter: Meter) -> Any:
    """An Echo handler that records one Sample per request (the label is set by the caller)."""
    samples: list[Sample] = []
    state = {"label": "?"}

    def send(envelope: dict[str, Any]) -> dict[str, Any]:
        with meter.recording() as calls:
            wire_before = meter.wire_s
            started = time.perf_counter()
            response = handler(envelope, None)
            total = time.perf_counter() - started
        samples.append(Sample(state["label"], total, meter.wire_s - wire_before, calls))
        return response

    return send, samples, state


def scripted_evening(echo: Echo, state: dict[str, str], answers: int) -> None:
    """Launch, two names, yes (how it works), yes (first question), N x next, help, repeat,
    stop. Every reply is checked by the Echo (SSML, reprompt rules)."""

    def say(label: str, action: Callable[[], Any]) -> Any:
        state["label"] = label
        return action()

    say("launch", echo.launch)
    say("name", lambda: echo.intent("NameIntent", name="sam"))
    reply = say("name", lambda: echo.intent("NameIntent", name="alex"))
    assert "Sam and Alex" in reply.text, reply.text
    say("yes", lambda: echo.intent("AMAZON.YesIntent"))
    reply = say("yes", lambda: echo.intent("AMAZON.YesIntent"))
    assert reply.pause_seconds >= 30, reply.text
    for _ in range(answers):
        echo.advance(70)
        assert say("next", lambda: echo.intent("NextIntent")).open, "the evening ended early"
    say("help", lambda: echo.intent("AMAZON.HelpIntent"))
    say("repeat", lambda: echo.intent("AMAZON.RepeatIntent"))
    reply = say("stop", lambda: echo.intent("AMAZON.StopIntent"))
    assert not reply.open


def whole_evening(echo: Echo, state: dict[str, str]) -> None:
    """An evening played to its end ("next" until the session closes)."""
    state["label"] = "launch"
    echo.launch()
    state["label"] = "name"
    echo.intent("NameIntent", name="sam")
    echo.intent("NameIntent", name="alex")
    state["label"] = "yes"
    echo.intent("AMAZON.YesIntent")
    echo.intent("AMAZON.YesIntent")
    state["label"] = "next"
    for _ in range(60):
        echo.advance(70)
        if not echo.intent("NextIntent").open:
            return
    raise AssertionError("the evening never ended")


def seed_household(handler: Callable[[dict[str, Any], Any], dict[str, Any]], user: str) -> dict:
    """A household with stored progress (stopped mid-evening); returns its next launch."""
    echo = Echo(lambda envelope: handler(envelope, None), user_id=user)
    echo.launch()
    echo.intent("NameIntent", name="sam")
    echo.intent("NameIntent", name="alex")
    echo.intent("AMAZON.YesIntent")
    echo.intent("AMAZON.YesIntent")
    echo.advance(70)
    echo.intent("NextIntent")
    echo.intent("AMAZON.StopIntent")
    echo.advance(600)
    assert RESUMED in echo.launch().text, "the seeded household does not resume"
    return echo.sent[-1]


# --------------------------------------------------------------------------- measurements


def cold_start(env: dict[str, str], launches: dict[str, dict], samples: int, workdir: Path):
    paths = {}
    for side in SIDES:
        paths[side] = workdir / f"launch-{side}.json"
        paths[side].write_text(json.dumps(launches[side]))
    results: dict[str, list[dict[str, float]]] = {side: [] for side in SIDES}
    for round_ in range(samples + 1):  # round 0 writes the .pyc files and is not counted
        for side in SIDES if round_ % 2 else reversed(SIDES):
            command = [
                sys.executable,
                "-c",
                COLD_CHILD,
                str(MODULE_DIR[side]),
                MODULE_NAME[side],
                str(paths[side]),
            ]
            started = time.perf_counter()
            done = subprocess.run(
                command, env=env, cwd=workdir, capture_output=True, text=True, timeout=60
            )
            wall_ms = (time.perf_counter() - started) * 1000
            if done.returncode != 0:
                raise RuntimeError(f"cold start of {side} failed:\n{done.stderr}")
            result = json.loads(done.stdout.strip().splitlines()[-1])
            if RESUMED not in result.pop("ssml"):
                raise RuntimeError(f"{side}: the first launch did not find the stored progress")
            result["wall_ms"] = wall_ms
            if round_:
                results[side].append(result)
    return {
        side: {
            key: round(statistics.median(r[key] for r in results[side]), 1)
            for key in ("import_ms", "first_ms", "total_ms", "wall_ms")
        }
        | {"samples": len(results[side])}
        for side in SIDES
    }


def warm_turns(modules: dict[str, ModuleType], meter: Meter, evenings: int, answers: int):
    samples: dict[str, list[Sample]] = {}
    runners = {}
    for side in SIDES:
        send, samples[side], state = timed(modules[side].lambda_handler, meter)
        runners[side] = (send, state)
    for number in range(-2, evenings):  # two warm-up evenings per side, not counted
        if number == 0:
            for side in SIDES:
                samples[side].clear()
        for side in SIDES if number % 2 else reversed(SIDES):
            send, state = runners[side]
            echo = Echo(send, user_id=f"amzn1.ask.account.BENCH{uuid.uuid4().hex}")
            gc.collect()  # each side's evening starts clean: it pays for its own garbage only
            scripted_evening(echo, state, answers)
    out = {}
    for side in SIDES:
        rows = samples[side]
        total = [s.total_s * 1000 for s in rows]
        outside = [(s.total_s - s.wire_s) * 1000 for s in rows]
        out[side] = {
            "requests": len(rows),
            "total_ms": round(statistics.median(total), 3),
            "total_p90_ms": round(_quantile(total, 0.9), 3),
            "outside_ms": round(statistics.median(outside), 3),
            "outside_p90_ms": round(_quantile(outside, 0.9), 3),
            "outside_by_request_ms": {
                label: round(statistics.median(v), 3)
                for label, v in _group(rows, lambda s: (s.total_s - s.wire_s) * 1000).items()
            },
        }
    return out


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def _group(rows: list[Sample], value: Callable[[Sample], float]) -> dict[str, list[float]]:
    groups: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        groups[row.label].append(value(row))
    return groups


def dynamodb_use(
    modules: dict[str, ModuleType], meter: Meter, answers: int, launches: dict[str, dict]
) -> dict[str, Any]:
    """Per side, with consumed capacity: one scripted evening (calls per request), one
    evening played to its end (the evening-end write), and one launch that resumes stored
    progress (the read of a household that has items)."""
    meter.capacity = True
    out = {}
    try:
        for side in SIDES:
            send, samples, state = timed(modules[side].lambda_handler, meter)
            scripted_evening(Echo(send, user_id=f"amzn1.ask.account.DDB{uuid.uuid4().hex}"),
                             state, answers)  # fmt: skip
            scripted = list(samples)
            samples.clear()
            whole_evening(Echo(send, user_id=f"amzn1.ask.account.END{uuid.uuid4().hex}"), state)
            whole = list(samples)
            samples.clear()
            state["label"] = "resume"
            send(launches[side])
            out[side] = _dynamodb_summary(scripted, scripted + whole, samples)
    finally:
        meter.capacity = False
    return out


READS = {"GetItem", "Query", "BatchGetItem", "Scan", "TransactGetItems"}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


def _dynamodb_summary(
    scripted: list[Sample], every: list[Sample], resumed: list[Sample]
) -> dict[str, Any]:
    per_label: dict[str, Counter[str]] = defaultdict(Counter)
    for sample in scripted:
        per_label[sample.label].update(call.operation for call in sample.calls)
    sessions = sum(1 for s in scripted if s.label == "launch")
    reads = sum(1 for s in scripted for c in s.calls if c.operation in READS)
    quiet = [s for s in scripted if s.label in {"help", "repeat"}]
    changing = [s for s in every if any(c.operation in WRITES for c in s.calls)]
    writes_per_request = [sum(c.operation in WRITES for c in s.calls) for s in changing]
    calls = [c for s in every for c in s.calls]
    turn_capacity = [c.capacity for c in calls if c.operation == "PutItem"]
    other_writes = [c for c in calls if c.operation in WRITES - {"PutItem"}]
    return {
        "calls_by_request": {label: dict(ops) for label, ops in per_label.items()},
        "requests": len(scripted),
        "calls": sum(len(s.calls) for s in scripted),
        "reads_per_session": reads / max(1, sessions),
        "max_writes_per_request": max(writes_per_request, default=0),
        "state_changing_requests": len(changing),
        "calls_for_help_repeat": sum(len(s.calls) for s in quiet),
        "read_capacity_resuming": sum(c.capacity for s in resumed for c in s.calls),
        "max_turn_write_capacity": max(turn_capacity, default=0.0),
        "other_writes": [
            {"operation": c.operation, "capacity": c.capacity, "item_bytes": c.written}
            for c in other_writes
        ],
        "write_capacity_per_whole_evening": round(sum(c.capacity for c in calls), 1),
        "max_turn_write_bytes": max(
            (size for c in calls if c.operation == "PutItem" for size in c.written), default=0
        ),
        "max_item_bytes": max((size for c in calls for size in c.written), default=0),
    }


def signature_matches_botocore() -> bool:
    """Our WireClient's SigV4 signature equals botocore's for the same request (with and
    without a session token). DynamoDB Local does not check signatures; AWS does."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from skill.store.dynamodb import WireClient

    key, secret, region = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "eu-west-1"
    body = json.dumps({"TableName": "t", "Item": {"pk": {"S": "Zo\u00eb"}}}).encode()
    for url, token in (("https://dynamodb.eu-west-1.amazonaws.com", "IQoJb3/+=="),
                       ("http://127.0.0.1:8000", None)):  # fmt: skip
        wire = WireClient(url, region, key, secret, token, connect_timeout=1, read_timeout=1,
                          max_attempts=1)  # fmt: skip
        ours = wire._sign("PutItem", body)
        request = AWSRequest(method="POST", url=url + "/", data=body, headers={
            "Content-Type": ours["content-type"], "X-Amz-Target": ours["x-amz-target"],
            "X-Amz-Date": ours["x-amz-date"]})  # fmt: skip
        if token:
            request.headers["X-Amz-Security-Token"] = token
        request.context["timestamp"] = ours["x-amz-date"]
        signer = SigV4Auth(Credentials(key, secret, token), "dynamodb", region)
        canonical = signer.canonical_request(request)
        signature = signer.signature(signer.string_to_sign(request, canonical), request)
        signed = signer.signed_headers(signer.headers_to_sign(request))
        expected = f"SignedHeaders={signed}, Signature={signature}"
        if not ours["authorization"].endswith(expected):
            return False
    return True


# --------------------------------------------------------------------------- package


def find_python312() -> str | None:
    """As mk/deploy.mk finds it: python3.12 on PATH, else pyenv's."""
    candidates = ["python3.12"]
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        pyenv_root = subprocess.run(
            ["pyenv", "root"], capture_output=True, text=True, timeout=10, check=False
        ).stdout.strip()
        if pyenv_root:
            candidates += sorted(
                str(p) for p in Path(pyenv_root).glob("versions/3.12*/bin/python3.12")
            )
    for candidate in candidates:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            ok = subprocess.run(
                [candidate, "-c", "import sys; assert sys.version_info[:2] == (3, 12)"],
                capture_output=True,
                timeout=10,
                check=False,
            )
            if ok.returncode == 0:
                return candidate
    return None


WARNINGS_CHILD = r"""
import json, os, sys, tempfile
sys.path[:0] = [sys.argv[1], sys.argv[3]]  # /var/task, then the runtime's own packages
import app
import skill.store.dynamodb, skill.store.sqlite, skill.alexa.handlers
os.environ.pop("TABLE_NAME", None)
os.environ["CONNECTION_GAME_DB"] = os.path.join(tempfile.mkdtemp(), "w.sqlite3")
envelope = json.load(open(sys.argv[2]))
print(app.lambda_handler(envelope, None)["response"]["outputSpeech"]["ssml"][:40])
"""


def package(workdir: Path) -> dict[str, Any]:
    build = workdir / "build"
    started = time.perf_counter()
    done = subprocess.run(
        ["make", "--no-print-directory", "package", "ARCH=x86_64", f"BUILD={build}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    seconds = round(time.perf_counter() - started, 1)
    zip_path = build / "connection-game-lambda.zip"
    if done.returncode != 0 or not zip_path.is_file():
        return {"ok": False, "error": (done.stdout + done.stderr)[-2000:], "seconds": seconds}
    bundled = (build / "lambda-requirements.txt").read_text().split()
    result: dict[str, Any] = {
        "ok": True,
        "zip_mb": round(zip_path.stat().st_size / 2**20, 2),
        "unzipped_mb": round(_tree_size(build / "lambda") / 2**20, 2),
        "bundled": bundled,
        "seconds": seconds,
    }
    py312 = find_python312()
    if py312 is None:
        result["py312"] = None
        return result
    result["py312"] = runtime_warnings(py312, build / "lambda", workdir)
    return result


def runtime_warnings(py312: str, task: Path, workdir: Path) -> dict[str, Any]:
    """Python 3.12 with DeprecationWarning and SyntaxWarning as errors:

    - ``shipped``: the artifact as Lambda runs it (its own .pyc, none written) imports
      ``app`` and the modules it loads later, and answers a LaunchRequest (embedded store);
    - ``ours_source``: our own modules (skill/, app.py) compiled afresh from source;
    - ``third_party_source``: how many bundled third-party files warn when compiled from
      source (the package's byte-compile step silences these; informational).
    """
    envelope = workdir / "warnings-launch.json"
    envelope.write_text((ROOT / "tests/events/launch.json").read_text())
    # What the runtime provides (boto3 and its dependencies): this venv's pure-Python copies.
    runtime = workdir / "runtime"
    runtime.mkdir(exist_ok=True)
    site = Path(importlib.util.find_spec("botocore").origin).parents[1]  # type: ignore[arg-type]
    for name in ("boto3", "botocore", "s3transfer", "jmespath", "urllib3", "dateutil", "six.py"):
        if (site / name).exists() and not (runtime / name).exists():
            (runtime / name).symlink_to(site / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "AWS_"))}
    env.pop("TABLE_NAME", None)
    env["LOG_LEVEL"] = "WARNING"  # stderr must stay empty: our INFO line is not a warning
    strict = ["-W", "error::DeprecationWarning", "-W", "error::SyntaxWarning"]
    fresh = ["-X", f"pycache_prefix={workdir / 'pycache312'}"]  # compiled afresh, elsewhere

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [py312, "-I", *args], cwd=workdir, env=env, capture_output=True, text=True,
            timeout=300, check=False,
        )  # fmt: skip

    shipped = run("-B", *strict, "-c", WARNINGS_CHILD, str(task), str(envelope), str(runtime))
    ours = run(*strict, *fresh, "-m", "compileall", "-q", "-f", str(task / "skill"),
               str(task / "app.py"))  # fmt: skip
    others = run("-W", "always::SyntaxWarning", *fresh, "-m", "compileall", "-q", "-f", str(task))
    noisy = {
        line.split(":")[0]
        for line in others.stderr.splitlines()
        if "SyntaxWarning" in line and line.startswith(str(task))
    }
    shipped_ok = shipped.returncode == 0 and "<speak>" in shipped.stdout and not shipped.stderr
    return {
        "python": py312,
        "ok": shipped_ok and ours.returncode == 0,
        "shipped": "ok" if shipped_ok else (shipped.stderr or shipped.stdout)[-1500:],
        "ours_source": "ok" if ours.returncode == 0 else (ours.stdout + ours.stderr)[-1500:],
        "third_party_source_files_warning": sorted(
            str(Path(path).relative_to(task)) for path in noisy
        ),
    }


def _tree_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def baseline_package_mb(workdir: Path) -> float | None:
    """The baseline's Lambda zip for comparison: ask-sdk for the same platform, less what
    the runtime provides (boto3 and its dependencies), byte-compiled and zipped like ours."""
    target = workdir / "baseline-package"
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--target",
        str(target), "--platform", "manylinux2014_x86_64", "--implementation", "cp",
        "--python-version", "3.12", "--only-binary=:all:", "ask-sdk==1.19.0",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        return None
    provided = ("boto3", "botocore", "s3transfer", "jmespath", "urllib3", "dateutil", "six")
    for path in list(target.iterdir()):
        stem = path.name.split("-")[0].split(".")[0].lower().replace("python_", "")
        if stem in provided or path.name in {"bin", "six.py"}:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    shutil.copy(MODULE_DIR[BASELINE] / "lambda_function.py", target)
    py312 = find_python312()
    if py312 is not None:  # byte-compiled as mk/deploy.mk compiles ours: like for like
        subprocess.run(
            [py312, "-W", "ignore::SyntaxWarning", "-m", "compileall", "-q", "-j", "0",
             "--invalidation-mode", "unchecked-hash", str(target)],
            capture_output=True, timeout=300, check=False,
        )  # fmt: skip
    archive = workdir / "baseline.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zipped:
        for path in sorted(p for p in target.rglob("*") if p.is_file()):
            zipped.write(path, path.relative_to(target))
    return round(archive.stat().st_size / 2**20, 2)


# --------------------------------------------------------------------------- profiles


def profile(modules: dict[str, ModuleType], env: dict[str, str], launch: dict, outdir: Path):
    """pyinstrument profiles of our cold start (a child process) and warm turns."""
    from pyinstrument import Profiler

    outdir.mkdir(parents=True, exist_ok=True)
    launch_path = outdir / "launch.json"
    launch_path.write_text(json.dumps(launch))
    child = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); "
        "from pyinstrument import Profiler; p = Profiler(interval=0.0002); p.start(); "
        "import app; app.lambda_handler(json.load(open(sys.argv[2])), None); p.stop(); "
        "open(sys.argv[3], 'w').write(p.output_text(unicode=True, show_all=False)); "
        "open(sys.argv[4], 'w').write(p.output_html())"
    )
    subprocess.run(
        [sys.executable, "-c", child, str(MODULE_DIR[OURS]), str(launch_path),
         str(outdir / "cold.txt"), str(outdir / "cold.html")],
        env=env, check=True, timeout=120,
    )  # fmt: skip
    profiler = Profiler(interval=0.0001)
    send, _, state = timed(modules[OURS].lambda_handler, Meter())
    profiler.start()
    for _ in range(20):
        scripted_evening(Echo(send, user_id=f"amzn1.ask.account.P{uuid.uuid4().hex}"), state, 8)
    profiler.stop()
    (outdir / "warm.txt").write_text(profiler.output_text(unicode=True, show_all=False))
    (outdir / "warm.html").write_text(profiler.output_html())
    print(f"profiles: {outdir}/cold.(txt|html), {outdir}/warm.(txt|html)")


# --------------------------------------------------------------------------- report


@dataclass
class Row:
    metric: str
    ours: Any
    baseline: Any
    target: str
    passed: bool | None  # None: reported, no target
    ratio: float | None = None


def rows_for(cold, warm, ddb, pkg, baseline_zip) -> list[Row]:
    o, b = cold[OURS], cold[BASELINE]
    wo, wb = warm[OURS], warm[BASELINE]
    do, db = ddb[OURS], ddb[BASELINE]
    cold_ratio = o["total_ms"] / b["total_ms"]
    outside_ratio = wo["outside_ms"] / wb["outside_ms"]
    total_ratio = wo["total_ms"] / wb["total_ms"]
    rows = [
        Row("cold start: import + first launch (ms)", o["total_ms"], b["total_ms"], "<= 0.6x",
            cold_ratio <= 0.6, cold_ratio),
        Row("  of which import (ms)", o["import_ms"], b["import_ms"], "", None,
            o["import_ms"] / b["import_ms"]),
        Row("  of which first launch (ms)", o["first_ms"], b["first_ms"], "", None,
            o["first_ms"] / b["first_ms"]),
        Row("cold start: process wall time (ms)", o["wall_ms"], b["wall_ms"], "", None,
            o["wall_ms"] / b["wall_ms"]),
        Row("warm: handler outside DynamoDB (ms, median)", wo["outside_ms"], wb["outside_ms"],
            "<= 0.5x", outside_ratio <= 0.5, outside_ratio),
        Row("warm: total per request (ms, median)", wo["total_ms"], wb["total_ms"], "<= 1.0x",
            total_ratio <= 1.0, total_ratio),
        Row("DynamoDB reads per session", do["reads_per_session"], db["reads_per_session"],
            "<= 1", do["reads_per_session"] <= 1),
        Row("DynamoDB writes per state-changing request", do["max_writes_per_request"],
            db["max_writes_per_request"], "<= 1", do["max_writes_per_request"] <= 1),
        Row("DynamoDB calls for help + repeat", do["calls_for_help_repeat"],
            db["calls_for_help_repeat"], "0", do["calls_for_help_repeat"] == 0),
        Row("DynamoDB calls per scripted evening", do["calls"], db["calls"], "", None,
            do["calls"] / db["calls"]),
        Row("read capacity, launch resuming stored progress (RCU)",
            do["read_capacity_resuming"], db["read_capacity_resuming"], "", None),
        Row("write capacity per turn, max (WCU)", do["max_turn_write_capacity"],
            db["max_turn_write_capacity"], "<= 1", do["max_turn_write_capacity"] <= 1),
        Row("largest per-turn write (bytes)", do["max_turn_write_bytes"],
            db["max_turn_write_bytes"], "<= 1024", do["max_turn_write_bytes"] <= 1024),
        Row("write capacity, whole evening (WCU)", do["write_capacity_per_whole_evening"],
            db["write_capacity_per_whole_evening"], "", None),
    ]  # fmt: skip
    if pkg is not None:
        if pkg.get("ok"):
            ratio = pkg["zip_mb"] / baseline_zip if baseline_zip else None
            rows.append(Row("Lambda zip, x86_64, boto3 from the runtime (MB)", pkg["zip_mb"],
                            baseline_zip if baseline_zip is not None else "-", "< 5",
                            pkg["zip_mb"] < 5, ratio))  # fmt: skip
            py = pkg.get("py312")
            rows.append(Row("import warnings on Python 3.12", "none" if py and py["ok"] else
                            ("skipped" if py is None else "FOUND"), "-", "none",
                            None if py is None else py["ok"]))  # fmt: skip
        else:
            rows.append(Row("Lambda zip (make package)", "FAILED", "-", "< 5", False))
    return rows


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def print_table(rows: list[Row]) -> None:
    header = ("metric", "ours", "baseline", "ratio", "target", "result")
    lines = [
        (
            row.metric,
            _fmt(row.ours),
            _fmt(row.baseline),
            "" if row.ratio is None else f"{row.ratio:.2f}",
            row.target,
            "" if row.passed is None else ("pass" if row.passed else "FAIL"),
        )
        for row in rows
    ]
    widths = [max(len(str(c)) for c in column) for column in zip(header, *lines, strict=True)]
    for index, line in enumerate([header, *lines]):
        print(
            "  ".join(
                cell.ljust(width) if column == 0 else cell.rjust(width)
                for column, (cell, width) in enumerate(zip(line, widths, strict=True))
            )
        )
        if index == 0:
            print("  ".join("-" * width for width in widths))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", type=int, default=7, help="cold-start samples per side")
    parser.add_argument("--evenings", type=int, default=60, help="scripted evenings per side")
    parser.add_argument("--next", type=int, default=8, help='"next" answers per evening')
    parser.add_argument("--no-package", action="store_true", help="skip make package")
    parser.add_argument("--profile", type=Path, help="write pyinstrument profiles here")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    server = ddb_local.start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-lambda-") as tmp:
            workdir = Path(tmp)
            tables = {OURS: f"bench-ours-{uuid.uuid4().hex[:8]}",
                      BASELINE: f"bench-baseline-{uuid.uuid4().hex[:8]}"}  # fmt: skip
            create_table(server.endpoint, tables[OURS], table_definition())
            create_baseline_table(server.endpoint, tables[BASELINE])
            env = aws_environment(server.endpoint, tables[OURS], tables[BASELINE])
            os.environ.clear()
            os.environ.update(env)
            # Our INFO lines are formatted and written, as on Lambda, but not to the terminal.
            sink = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115
            logging.getLogger().addHandler(sink)

            meter = Meter()
            meter.install()
            modules = {side: load_module(side) for side in SIDES}
            launches = {
                side: seed_household(modules[side].lambda_handler, "amzn1.ask.account.COLD")
                for side in SIDES
            }
            cold = cold_start(env, launches, args.cold, workdir)
            warm = warm_turns(modules, meter, args.evenings, args.next)
            ddb = dynamodb_use(modules, meter, args.next, launches)
            if args.profile:
                profile(modules, env, launches[OURS], args.profile)
            signature_ok = signature_matches_botocore()
            pkg = baseline_zip = None
            if not args.no_package:
                pkg = package(workdir)
                baseline_zip = baseline_package_mb(workdir)
    finally:
        server.stop()

    rows = rows_for(cold, warm, ddb, pkg, baseline_zip)
    rows.append(Row("SigV4 signature = botocore's", "yes" if signature_ok else "NO", "-",
                    "yes", signature_ok))  # fmt: skip
    print(
        f"Lambda: ours vs the SDK-standard baseline, DynamoDB Local on loopback, "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}; cold: median of {args.cold} "
        f"fresh processes; warm: {warm[OURS]['requests']} requests per side "
        f"({args.evenings} scripted evenings, {args.next} answers each)"
    )
    print_table(rows)
    print()
    print(
        json.dumps(
            {
                "bench": "lambda",
                "cold": cold,
                "warm": warm,
                "dynamodb": ddb,
                "package": pkg,
                "baseline_zip_mb": baseline_zip,
                "signature_matches_botocore": signature_ok,
                "passed": all(r.passed for r in rows if r.passed is not None),
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
    )
    return 0 if all(r.passed for r in rows if r.passed is not None) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Soak: 200 households play an evening each, concurrently, through the web service.

    .venv/bin/python tests/bench/bench_soak.py [--households 200] [--workers 2] [--threads 8]

gunicorn (gthread) on loopback serves the production ``create_app`` with the test PKI
(``tests.bench.bench_web:bench_app()``: every request is signed and verified), on DynamoDB
Local. Between the service and DynamoDB Local sits the loopback TCP proxy of the fault tests
(tests/support/tcp_proxy.py), passing everything through and counting DynamoDB requests.

Each household is a thread with its own Echo: launch, two names, start, then "next" until
the evening ends, with a short random pause between turns (talk time, compressed). It
reports errors (any non-200, invalid response, apology, unsaved turn or lost evening: must
be 0), p50/p99 latency, requests per second and DynamoDB calls per request, then one JSON
line. Bounded: every thread stops at the deadline (default 100 s), HTTP timeouts are 10 s.
Not a pytest module (bench_*.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: make `tests` and `skill` importable
    sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402

from skill.alexa.handlers import household_key  # noqa: E402
from skill.store.dynamodb import DynamoDbStore  # noqa: E402
from tests.bench.bench_web import (  # noqa: E402
    ENV_CHAIN_PEM,
    ENV_ROOT_PEM,
    ENV_VERIFY,
    _free_port,
    _wait_healthy,
)
from tests.support import dynamodb_local as ddb_local  # noqa: E402
from tests.support import pki  # noqa: E402
from tests.support.echo import Echo, Reply  # noqa: E402
from tests.support.fixtures_dynamodb import (  # noqa: E402
    ACCESS_KEY_ID,
    REGION,
    SECRET_ACCESS_KEY,
    client,
    create_table,
    table_definition,
)
from tests.support.tcp_proxy import TcpProxy  # noqa: E402

APOLOGY = ("sorry", "went wrong", "can't reach", "couldn't read")


class Household:
    """One couple's evening over HTTP, every request signed by the test PKI."""

    def __init__(self, url: str, chain: pki.LeafChain, user: str, rng: random.Random) -> None:
        self.url = url
        self.chain = chain
        self.http = requests.Session()
        self.rng = rng
        self.latencies: list[float] = []
        self.errors: Counter[str] = Counter()
        self.echo = Echo(self._send, user_id=user, app_id=pki.SKILL_ID)

    def _send(self, envelope: dict[str, Any]) -> dict[str, Any]:
        body = pki.encode(envelope)
        headers = self.chain.headers(body)  # signed before the clock starts
        started = time.perf_counter()
        try:
            response = self.http.post(self.url, data=body, headers=headers, timeout=10)
        except requests.RequestException as exc:
            self.latencies.append(time.perf_counter() - started)
            self.errors[f"http {type(exc).__name__}"] += 1
            raise
        self.latencies.append(time.perf_counter() - started)
        if response.status_code != 200:
            self.errors[f"status {response.status_code}"] += 1
            raise RuntimeError(response.text[:200])
        return dict(response.json())

    def turn(self, action: Any) -> Reply:
        self.echo.now = dt.datetime.now(dt.UTC)  # the verifier checks timestamps: real time
        reply: Reply = action()  # check_reply runs in Echo.send
        if any(word in reply.text.lower() for word in APOLOGY):
            self.errors["apology"] += 1
        game = self.echo.attributes.get("game")
        if isinstance(game, dict) and game.get("dirty"):
            self.errors["unsaved turn"] += 1
        return reply

    def evening(self, deadline: float, think: float) -> None:
        echo = self.echo
        steps = [
            echo.launch,
            lambda: echo.intent("NameIntent", name=self.rng.choice(["sam", "alex", "zoë"])),
            lambda: echo.intent("NameIntent", name=self.rng.choice(["kim", "noor", "ravi"])),
            lambda: echo.intent("AMAZON.YesIntent"),
            lambda: echo.intent("AMAZON.YesIntent"),
        ]
        try:
            for step in steps:
                self.turn(step)
                time.sleep(self.rng.uniform(0, think))
            for _ in range(60):
                if time.monotonic() > deadline:
                    self.errors["deadline"] += 1
                    return
                reply = self.turn(lambda: echo.intent("NextIntent"))
                game = (echo.attributes.get("game") or {}).get("g") or {}
                if not reply.open or (game.get("history") or {}).get("evenings"):
                    return
                time.sleep(self.rng.uniform(0, think))
            self.errors["evening never ended"] += 1
        except Exception as exc:  # noqa: BLE001 - counted, reported
            if not self.errors:
                self.errors[f"{type(exc).__name__}"] += 1
        finally:
            self.http.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else 0.0


def soak(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    server = ddb_local.start()
    table = f"connection-game-soak-{uuid.uuid4().hex[:8]}"
    create_table(server.endpoint, table, table_definition())
    proxy = TcpProxy(("127.0.0.1", server.port), max_connections=512, lifetime=args.deadline + 60)
    chain = pki.issue_chain(now=time.time())
    root_pem, chain_pem = workdir / "root.pem", workdir / "chain.pem"
    root_pem.write_bytes(pki.trusted_root().public_bytes(serialization.Encoding.PEM))
    chain_pem.write_bytes(chain.chain_pem)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        SKILL_ID=pki.SKILL_ID,
        TABLE_NAME=table,
        AWS_ENDPOINT_URL_DYNAMODB=proxy.endpoint,
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
        AWS_ACCESS_KEY_ID=ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY=SECRET_ACCESS_KEY,
        CONNECTION_GAME_DB=str(workdir / "must-not-exist.sqlite3"),
        LOG_LEVEL="WARNING",
        **{ENV_VERIFY: "1", ENV_ROOT_PEM: str(root_pem), ENV_CHAIN_PEM: str(chain_pem)},
    )
    log = workdir / "gunicorn.log"
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(args.workers),
        "--worker-class", "gthread",
        "--threads", str(args.threads),
        "--backlog", "512",
        "--log-level", "warning",
        "tests.bench.bench_web:bench_app()",
    ]  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink
        )
    try:
        _wait_healthy(url, process, log)
        proxy.requests = 0
        rng = random.Random(200)
        households = [
            Household(url, chain, f"amzn1.ask.account.SOAK{n:04d}", random.Random(rng.random()))
            for n in range(args.households)
        ]
        deadline = time.monotonic() + args.deadline
        threads = [
            threading.Thread(target=h.evening, args=(deadline, args.think), daemon=True)
            for h in households
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()) + 15)
        elapsed = time.perf_counter() - started
        dynamodb_calls = proxy.requests
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn died:\n{log.read_text()}")
    finally:
        process.terminate()  # this gunicorn master only, by its pid
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        proxy.stop()

    errors: Counter[str] = Counter()
    latencies: list[float] = []
    for household in households:
        errors.update(household.errors)
        latencies.extend(household.latencies)
    # Nothing lost: every household's finished evening is in DynamoDB.
    store = DynamoDbStore(table, client=client(server.endpoint))
    for household in households:
        stored = store.load(household_key(household.echo.user_id))
        if stored is None or stored.game.household.history.evenings != 1:
            errors["evening not stored"] += 1
    server.stop()
    requests_sent = len(latencies)
    return {
        "bench": "soak",
        "households": args.households,
        "requests": requests_sent,
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "seconds": round(elapsed, 1),
        "rps": round(requests_sent / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "max_ms": round(max(latencies, default=0.0) * 1000, 1),
        "dynamodb_calls": dynamodb_calls,
        "dynamodb_calls_per_request": round(dynamodb_calls / requests_sent, 2)
        if requests_sent
        else None,
        "gunicorn": f"{args.workers} workers x {args.threads} threads (gthread)",
        "cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--think", type=float, default=0.3, help="max seconds between turns")
    parser.add_argument("--deadline", type=float, default=100.0, help="seconds for the run")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        result = soak(args, Path(tmp))
    print(
        f"Soak: {result['households']} households' evenings, concurrently, through gunicorn "
        f"({result['gunicorn']}, signed requests) and DynamoDB Local, {result['cpus']} CPUs"
    )
    print(f"  requests              {result['requests']:>8}   in {result['seconds']} s")
    print(f"  errors                {result['errors']:>8}   {result['error_kinds'] or ''}")
    print(f"  requests per second   {result['rps']:>8}")
    print(f"  latency p50           {result['p50_ms']:>8} ms")
    print(f"  latency p99           {result['p99_ms']:>8} ms   (max {result['max_ms']} ms)")
    print(
        f"  DynamoDB calls        {result['dynamodb_calls']:>8}   "
        f"({result['dynamodb_calls_per_request']} per request)"
    )
    print(json.dumps(result))
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

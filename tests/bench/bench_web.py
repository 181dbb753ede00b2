"""Benchmark of the self-hosted endpoint: verification cost and requests per second.

    .venv/bin/python tests/bench/bench_web.py [--runs 3000] [--requests 2000] [--threads 4]

1. Verification cost per request, in process: the median of ``RequestVerifier.verify`` with
   a warm certificate cache, next to the bare RSA-SHA256 verification it cannot avoid, and
   the one-off cost of a cold cache (PEM parse + chain, dates and SAN checks).
2. Requests per second through gunicorn on loopback (2 workers, gthread, keep-alive), the
   embedded store in a temporary file, LaunchRequests signed by the test PKI, with and
   without verification. gunicorn loads ``bench_app()`` below: the production
   ``create_app`` with only the trust root and certificate source replaced by the test PKI
   (passed to the workers as PEM files; the signing key stays in this process).

Prints a table, then one JSON line with every number. Not a pytest module (bench_*.py);
speed targets live here, not in timed unit tests. Takes about 20-40 s.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: make `tests` and `skill` importable
    sys.path.insert(0, str(ROOT))

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402

from skill.alexa.verify import RequestVerifier, VerifierConfig  # noqa: E402
from tests.support import pki  # noqa: E402
from tests.support.pki import CERT_URL, SKILL_ID, StaticCertificateSource  # noqa: E402

ENV_VERIFY = "BENCH_VERIFY"
ENV_ROOT_PEM = "BENCH_TRUST_ROOT_PEM"
ENV_CHAIN_PEM = "BENCH_CHAIN_PEM"
WORKERS = 2
GUNICORN_THREADS = 2


# --------------------------------------------------------------------------- gunicorn side


def bench_app() -> Any:
    """gunicorn factory: ``gunicorn 'tests.bench.bench_web:bench_app()'``.

    Settings from the environment as in production; with ``BENCH_VERIFY=1`` the verifier
    trusts the root in ``$BENCH_TRUST_ROOT_PEM`` and serves ``$BENCH_CHAIN_PEM`` as the chain
    at the Alexa certificate URL.
    """
    from skill.config import Settings
    from skill.web import create_app

    settings = Settings.from_env()
    if os.environ.get(ENV_VERIFY, "1") != "1":
        return create_app(settings, verify=False)
    root = x509.load_pem_x509_certificate(Path(os.environ[ENV_ROOT_PEM]).read_bytes())
    source = StaticCertificateSource({CERT_URL: Path(os.environ[ENV_CHAIN_PEM]).read_bytes()})
    verifier = RequestVerifier(
        VerifierConfig(skill_id=settings.skill_id), source=source, trust_roots=[root]
    )
    return create_app(settings, verifier=verifier)


# --------------------------------------------------------------------------- in process


def _median_us(action: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        action()
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1000


def verification_cost(runs: int) -> dict[str, float]:
    chain = pki.issue_chain(now=time.time())
    headers, body = pki.signed_request(chain, now=time.time())
    signature = base64.b64decode(headers["Signature-256"])
    key = chain.leaf.public_key()

    def fresh() -> RequestVerifier:
        return RequestVerifier(
            VerifierConfig(skill_id=SKILL_ID),
            source=StaticCertificateSource({CERT_URL: chain.chain_pem}),
            trust_roots=[pki.trusted_root()],
        )

    verifier = fresh()
    verifier.verify(headers, body)  # warm the cache
    rsa_us = _median_us(
        lambda: key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256()), runs
    )
    warm_us = _median_us(lambda: verifier.verify(headers, body), runs)
    cold_samples = []
    for _ in range(max(20, runs // 100)):
        cold = fresh()
        start = time.perf_counter_ns()
        cold.verify(headers, body)
        cold_samples.append(time.perf_counter_ns() - start)
    return {
        "rsa_verify_us": round(rsa_us, 1),
        "verify_warm_us": round(warm_us, 1),
        "verify_overhead_us": round(warm_us - rsa_us, 1),
        "verify_cold_us": round(statistics.median(cold_samples) / 1000, 1),
        "body_bytes": len(body),
    }


# --------------------------------------------------------------------------- through gunicorn


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer /healthz:\n{log.read_text()}")


def _drive(url: str, requests_: list[tuple[dict[str, str], bytes]], threads: int) -> dict:
    import requests

    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    latencies: list[float] = []

    def work(part: list[tuple[dict[str, str], bytes]]) -> None:
        mine: Counter[int] = Counter()
        times: list[float] = []
        with requests.Session() as http:
            for headers, body in part:
                start = time.perf_counter()
                try:
                    status = http.post(url, data=body, headers=headers, timeout=10).status_code
                except requests.RequestException:
                    status = 0
                times.append(time.perf_counter() - start)
                mine[status] += 1
        with lock:
            statuses.update(mine)
            latencies.extend(times)

    parts = [requests_[i::threads] for i in range(threads)]
    workers = [threading.Thread(target=work, args=(part,)) for part in parts]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": len(requests_),
        "seconds": round(elapsed, 2),
        "rps": round(len(requests_) / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 2),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def through_gunicorn(verify: bool, total: int, threads: int, workdir: Path) -> dict:
    chain = pki.issue_chain(now=time.time())
    root_pem = workdir / "root.pem"
    chain_pem = workdir / "chain.pem"
    root_pem.write_bytes(pki.trusted_root().public_bytes(serialization.Encoding.PEM))
    chain_pem.write_bytes(chain.chain_pem)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    log = workdir / f"gunicorn-{'verify' if verify else 'noverify'}.log"
    env = {k: v for k, v in os.environ.items() if k not in {"TABLE_NAME"}}
    env.update(
        SKILL_ID=SKILL_ID,
        CONNECTION_GAME_DB=str(workdir / f"bench-{verify}.sqlite3"),
        LOG_LEVEL="ERROR",  # the same logging cost in both modes
        **{ENV_VERIFY: "1" if verify else "0", ENV_ROOT_PEM: str(root_pem)},
        **{ENV_CHAIN_PEM: str(chain_pem)},
    )
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [
        str(gunicorn),
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(WORKERS),
        "--worker-class", "gthread",
        "--threads", str(GUNICORN_THREADS),
        "--log-level", "warning",
        "tests.bench.bench_web:bench_app()",
    ]  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink
        )
    try:
        _wait_healthy(url, process, log)
        # Signed before the clock starts: the client's RSA signing is not the server's cost.
        now = time.time()
        signed = [pki.signed_request(chain, now=now) for _ in range(total + 100)]
        _drive(url, signed[:100], threads)  # warm-up: each worker fetches and verifies once
        result = _drive(url, signed[100:], threads)
    finally:
        process.terminate()  # this gunicorn master only, by its pid
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    result["verify"] = verify
    return result


# --------------------------------------------------------------------------- report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3000, help="in-process timing runs")
    parser.add_argument("--requests", type=int, default=2000, help="HTTP requests per mode")
    parser.add_argument("--threads", type=int, default=4, help="client threads")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    cost = verification_cost(args.runs)
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        http = [through_gunicorn(v, args.requests, args.threads, Path(tmp)) for v in (True, False)]

    print(f"Verification, in process (median of {args.runs}, body {cost['body_bytes']} B)")
    print(f"  bare RSA-SHA256 verify        {cost['rsa_verify_us']:>9.1f} µs")
    print(f"  RequestVerifier, warm cache   {cost['verify_warm_us']:>9.1f} µs")
    print(f"  overhead over bare RSA        {cost['verify_overhead_us']:>9.1f} µs")
    print(f"  first request (cold cache)    {cost['verify_cold_us']:>9.1f} µs")
    print()
    print(
        f"gunicorn, {WORKERS} workers x {GUNICORN_THREADS} threads (gthread), loopback, "
        f"{args.threads} client threads with keep-alive, {os.cpu_count()} CPUs"
    )
    print(f"  {'mode':<12}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}  statuses")
    for row in http:
        mode = "verify" if row["verify"] else "no-verify"
        print(
            f"  {mode:<12}{row['requests']:>9}{row['rps']:>9.1f}{row['p50_ms']:>9.2f}"
            f"{row['p99_ms']:>9.2f}  {row['statuses']}"
        )
    print()
    print(
        json.dumps(
            {
                "bench": "web",
                "verification": cost,
                "gunicorn": http,
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
    )
    ok = all(row["statuses"] == {"200": row["requests"]} for row in http)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""The service under faults, for longer than the tests run: badge page viewers, a database outage.

    .venv/bin/python bench/faults.py viewers [--seconds 20] [--viewers 32] [--backend sqlite]
    .venv/bin/python bench/faults.py outage [--seconds 20] [--clients 8] [--down 5]

Both start ``microcred serve`` (one worker) in a subprocess on a fresh data directory, as
``bench/issue_http.py`` does, and print one JSON object per line.

* ``viewers``: ``--viewers`` clients load one credential's badge page (verified live, its
  status lists fetched in process) while one admin awards and one outside verifier fetches
  the status list, for ``--seconds``. Figures: pages per second, page and award latencies,
  every status code seen. A starved connection pool shows as awards taking 30 s and 500s.
* ``outage`` (PostgreSQL): ``--clients`` clients, each on its own keep-alive connection, send
  a mix of requests that need the database; after a third of ``--seconds`` the database
  refuses connections and ends those it has, for ``--down`` seconds, then takes them again.
  Figures: what the clients saw during the outage (every failure should be a 503 with
  ``Retry-After``, no connection dropped) and the recovery time — from the database being back
  to the first ``/readyz`` 200 and the first award issued.
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from issue_http import PG_ADMIN_DSN, Server, _row  # noqa: E402


class Client:
    """One keep-alive HTTP/1.1 connection; ``drops`` counts the times the server closed it."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        self.drops = 0

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        payload = json.dumps(body).encode() if body is not None else None
        sent = {"accept": "application/json", **(headers or {})}
        if payload is not None:
            sent["content-type"] = "application/json"
        try:
            self.connection.request(method, path, body=payload, headers=sent)
            response = self.connection.getresponse()
            data = response.read()
        except (ConnectionError, http.client.HTTPException):
            self.drops += 1
            self.connection.close()
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
            raise
        if response.will_close:
            self.drops += 1
            self.connection.close()
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data


def _percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 1)


def _award(server: Server, client: Client, n: int) -> tuple[int, dict[str, str], bytes]:
    return client.request(
        "POST",
        f"/api/issuers/{server.issuer}/awards",
        _row(n, "faults"),
        {"Authorization": f"Bearer {server.token}"},
    )


def viewers(backend: str, seconds: float, count: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="microcred-faults-"))
    server = Server(backend, workdir, workers=1)
    try:
        status, _, body = _award(server, Client(server.base), 0)
        assert status == 201, body
        credential = json.loads(body)["credential"]
        page = urlsplit(credential["id"]).path
        status_list = urlsplit(credential["credentialStatus"][0]["statusListCredential"]).path
        timings: dict[str, list[float]] = {"page": [], "award": [], "list": []}
        codes: dict[str, Counter[str]] = {kind: Counter() for kind in timings}
        lock = threading.Lock()
        stop = time.monotonic() + seconds

        def loop(kind: str) -> None:
            client = Client(server.base)
            n = 0
            while time.monotonic() < stop:
                n += 1
                began = time.monotonic()
                try:
                    if kind == "page":
                        code = client.request("GET", page, headers={"accept": "text/html"})[0]
                    elif kind == "award":
                        code = _award(server, client, n)[0]
                    else:
                        code = client.request("GET", status_list)[0]
                    outcome = str(code)
                except (OSError, http.client.HTTPException) as error:
                    outcome = type(error).__name__
                with lock:
                    timings[kind].append(time.monotonic() - began)
                    codes[kind][outcome] += 1

        threads = [threading.Thread(target=loop, args=("page",)) for _ in range(count)]
        threads += [threading.Thread(target=loop, args=(kind,)) for kind in ("award", "list")]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began
        print(
            json.dumps(
                {
                    "scenario": "viewers",
                    "backend": backend,
                    "viewers": count,
                    "seconds": round(elapsed, 1),
                    "pages_per_s": round(len(timings["page"]) / elapsed, 1),
                    "page_p50_ms": _percentile(timings["page"], 0.5),
                    "page_p99_ms": _percentile(timings["page"], 0.99),
                    "awards": len(timings["award"]),
                    "award_p50_ms": _percentile(timings["award"], 0.5),
                    "award_max_ms": _percentile(timings["award"], 1.0),
                    "list_max_ms": _percentile(timings["list"], 1.0),
                    "codes": {kind: dict(c) for kind, c in codes.items()},
                }
            ),
            flush=True,
        )
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def outage(seconds: float, clients: int, down: float) -> None:
    import psycopg

    workdir = Path(tempfile.mkdtemp(prefix="microcred-faults-"))
    server = Server("postgresql", workdir, workers=1)
    admin = psycopg.connect(PG_ADMIN_DSN, autocommit=True)
    try:
        status, _, body = _award(server, Client(server.base), 0)
        assert status == 201, body
        credential = json.loads(body)["credential"]
        paths = [
            ("GET", urlsplit(credential["id"]).path + ".json"),
            ("GET", urlsplit(credential["credentialStatus"][0]["statusListCredential"]).path),
            ("POST", "award"),
            ("GET", "/readyz"),
        ]
        phase = {"now": "before"}
        seen: dict[str, Counter[str]] = {"before": Counter(), "down": Counter(), "after": Counter()}
        bad: Counter[str] = Counter()
        lock = threading.Lock()
        stop = time.monotonic() + seconds
        all_clients: list[Client] = []

        def loop() -> None:
            client = Client(server.base)
            with lock:
                all_clients.append(client)
            n = 0
            while time.monotonic() < stop:
                method, path = paths[n % len(paths)]
                n += 1
                try:
                    if path == "award":
                        code, headers, data = _award(server, client, n)
                    else:
                        code, headers, data = client.request(method, path)
                    outcome = str(code)
                    if code == 503 and (
                        "retry-after" not in headers
                        or not headers.get("content-type", "").startswith("application/json")
                    ):
                        outcome = "503 without JSON or Retry-After"
                except (OSError, http.client.HTTPException) as error:
                    code, outcome = 0, type(error).__name__
                with lock:
                    seen[phase["now"]][outcome] += 1
                    if outcome not in ("200", "201", "503"):
                        bad[outcome] += 1
                if code == 503:
                    time.sleep(0.05)

        threads = [threading.Thread(target=loop) for _ in range(clients)]
        for thread in threads:
            thread.start()
        time.sleep(seconds / 3)
        phase["now"] = "down"
        admin.execute(f'ALTER DATABASE "{server.database}" ALLOW_CONNECTIONS false')
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (server.database,),
        )
        time.sleep(down)
        admin.execute(f'ALTER DATABASE "{server.database}" ALLOW_CONNECTIONS true')
        back = time.monotonic()
        phase["now"] = "after"
        probe = Client(server.base)
        ready = awarded = None
        n = 10_000
        while (ready is None or awarded is None) and time.monotonic() - back < 60:
            if ready is None and probe.request("GET", "/readyz")[0] == 200:
                ready = time.monotonic() - back
            if awarded is None:
                n += 1
                if _award(server, probe, n)[0] == 201:
                    awarded = time.monotonic() - back
            time.sleep(0.01)
        for thread in threads:
            thread.join()
        print(
            json.dumps(
                {
                    "scenario": "outage",
                    "backend": "postgresql",
                    "clients": clients,
                    "down_s": down,
                    "recovery_readyz_ms": round(ready * 1000) if ready is not None else None,
                    "recovery_award_ms": round(awarded * 1000) if awarded is not None else None,
                    "outcomes": {k: dict(v) for k, v in seen.items()},
                    "not_503_failures": dict(bad),
                    "connections_dropped": sum(c.drops for c in all_clients),
                }
            ),
            flush=True,
        )
    finally:
        admin.execute(f'ALTER DATABASE "{server.database}" ALLOW_CONNECTIONS true')
        admin.close()
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=("viewers", "outage"))
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--viewers", type=int, default=32)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--down", type=float, default=5.0)
    parser.add_argument(
        "--backend", action="append", choices=("sqlite", "postgresql"), dest="backends"
    )
    args = parser.parse_args()
    if args.scenario == "viewers":
        for backend in args.backends or ["sqlite", "postgresql"]:
            viewers(backend, args.seconds, args.viewers)
    else:
        outage(args.seconds, args.clients, args.down)


if __name__ == "__main__":
    main()

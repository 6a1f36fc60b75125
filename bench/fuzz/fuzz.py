"""Coverage-guided fuzzing of the parsers with atheris (libFuzzer), one core, bounded.

    .venv/bin/python bench/fuzz/fuzz.py --all --seconds 120      # every target in turn
    .venv/bin/python bench/fuzz/fuzz.py jws --seconds 300        # one target
    .venv/bin/python bench/fuzz/fuzz.py jws --replay FILE...     # re-run saved inputs

Needs the ``soak`` extra (``pip install -e '.[test,soak]'``; ``make fuzz`` does it). The targets
and what counts as a clean error are in :mod:`bench.fuzz.targets`; seeds are generated from the
project's fixtures at start (:mod:`bench.fuzz.seeds`), never committed.

Each target runs in its own process pinned to one CPU, with libFuzzer's limits: ``-timeout``
seconds per input and ``-rss_limit_mb`` of memory (exceeding either is a finding, saved as
``timeout-*`` / ``oom-*``). An input that raises anything but the target's clean errors is a
finding too; it is saved once per distinct ``Type at file:line`` under
``var/fuzz/<target>/findings/`` and listed in ``findings.jsonl``, and fuzzing goes on. The corpus
(``var/fuzz/<target>/corpus``) persists between runs, so a longer soak continues where the last
one stopped.

``--all`` prints one JSON line per target: ``{"target", "seconds", "wall_seconds",
"executions", "exec_per_s", "coverage", "features", "corpus", "findings", "crashed"}``
(``wall_seconds`` adds start-up: instrumenting and building the seeds; coverage and features
are libFuzzer's ``cov``/``ft`` counters over the instrumented project modules) and exits 1 if
any target had a finding.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import pkgutil
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

#: Project packages whose bytecode atheris instruments for coverage.
INSTRUMENTED = ["schemas", "keys", "verifier", "issuer"]
#: Largest input libFuzzer generates (deep nesting and long fields need room).
MAX_LEN = 16384
_STATS = re.compile(
    r"#(?P<runs>\d+)\s+\w+\s+cov: (?P<cov>\d+) ft: (?P<ft>\d+) corp: (?P<corp>\d+)/"
)
_FINAL_RUNS = re.compile(r"stat::number_of_executed_units: (\d+)")
_FINAL_RATE = re.compile(r"stat::average_exec_per_sec: +(\d+)")


def _pin_to_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


class _Findings:
    """Distinct findings of one run: the first input per signature is kept."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.seen: set[str] = set()

    def record(self, name: str, data: bytes, error: BaseException) -> None:
        from bench.fuzz.targets import signature

        sig = signature(error)
        if sig in self.seen:
            return
        self.seen.add(sig)
        digest = hashlib.sha1(sig.encode()).hexdigest()[:12]
        (self.directory / f"{digest}.bin").write_bytes(data)
        line = {"target": name, "signature": sig, "message": str(error)[:300], "file": digest}
        with (self.directory / "findings.jsonl").open("a") as out:
            out.write(json.dumps(line) + "\n")
        print(f"FINDING {sig}: {str(error)[:200]}", file=sys.stderr, flush=True)


def _fuzz(name: str, seconds: int, workdir: Path, extra: list[str]) -> None:
    """The child process: instrument, seed, and hand over to libFuzzer (which exits)."""
    import atheris

    _pin_to_one_core()
    with atheris.instrument_imports(include=INSTRUMENTED):
        # Only modules imported inside this block are instrumented: all of the lower layers,
        # and whatever the target itself imports while it reads its seeds.
        for package in ("schemas", "keys", "verifier"):
            module = importlib.import_module(package)
            for info in pkgutil.walk_packages(module.__path__, f"{package}."):
                importlib.import_module(info.name)
        from bench.fuzz.seeds import SEEDS
        from bench.fuzz.targets import TARGETS

        target = TARGETS[name]
        seeds = SEEDS[name]()
        for seed in seeds:
            target.run(seed)

    base = workdir / name
    seed_dir, corpus = base / "seeds", base / "corpus"
    for directory in (seed_dir, corpus):
        directory.mkdir(parents=True, exist_ok=True)
    for old in seed_dir.iterdir():
        old.unlink()
    for i, seed in enumerate(seeds):
        (seed_dir / f"seed-{i}").write_bytes(seed)
    findings = _Findings(base / "findings")

    def one_input(data: bytes) -> None:
        try:
            target.run(data)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as error:  # noqa: BLE001 - every unclean error is a finding
            findings.record(name, data, error)

    atheris.Setup(
        [
            sys.argv[0],
            str(corpus),
            str(seed_dir),
            f"-max_total_time={seconds}",
            "-timeout=10",
            "-rss_limit_mb=1536",
            f"-max_len={MAX_LEN}",
            f"-artifact_prefix={base / 'findings'}/",
            "-print_final_stats=1",
            *extra,
        ],
        one_input,
    )
    atheris.Fuzz()


def _replay(name: str, files: list[str]) -> int:
    from bench.fuzz.targets import TARGETS, signature

    target, failed = TARGETS[name], 0
    for file in files:
        started = time.perf_counter()
        try:
            outcome = "accepted" if target.run(Path(file).read_bytes()) else "refused cleanly"
        except BaseException as error:  # noqa: BLE001
            outcome, failed = f"FINDING {signature(error)}: {error}", failed + 1
        print(f"{file}: {outcome} ({time.perf_counter() - started:.2f}s)")
    return 1 if failed else 0


def _summary(
    name: str, seconds: int, wall: int, log: str, findings_dir: Path, code: int
) -> dict[str, Any]:
    stats = [m.groupdict() for m in _STATS.finditer(log)]
    last = stats[-1] if stats else {"runs": "0", "cov": "0", "ft": "0", "corp": "0"}
    final = _FINAL_RUNS.findall(log)
    runs = int(final[-1]) if final else int(last["runs"])
    jsonl = findings_dir / "findings.jsonl"
    found = (
        [json.loads(line)["signature"] for line in jsonl.read_text().splitlines()]
        if (jsonl.exists())
        else []
    )
    artifacts = (
        sorted(
            p.name for p in findings_dir.glob("*-*") if p.name.split("-")[0] in ("timeout", "oom")
        )
        if findings_dir.exists()
        else []
    )
    rate = _FINAL_RATE.findall(log)
    return {
        "target": name,
        "seconds": seconds,
        "wall_seconds": wall,
        "executions": runs,
        "exec_per_s": int(rate[-1]) if rate else 0,
        "coverage": int(last["cov"]),
        "features": int(last["ft"]),
        "corpus": int(last["corp"]),
        "findings": sorted(set(found)) + artifacts,
        "crashed": code not in (0,),
    }


def _run_all(names: list[str], seconds: int, workdir: Path, extra: list[str]) -> int:
    bad = 0
    for name in names:
        findings_dir = workdir / name / "findings"
        if findings_dir.exists():  # this run's findings only
            for old in findings_dir.iterdir():
                old.unlink()
        log_path = workdir / f"{name}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, __file__, name, "--seconds", str(seconds),
                   "--workdir", str(workdir), *extra]  # fmt: skip
        started = time.monotonic()
        with log_path.open("w") as log:
            code = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT).returncode
        wall = round(time.monotonic() - started)
        summary = _summary(name, seconds, wall, log_path.read_text(), findings_dir, code)
        print(json.dumps(summary), flush=True)
        bad += bool(summary["findings"]) or summary["crashed"]
    return 1 if bad else 0


def main() -> int:
    from bench.fuzz.targets import TARGETS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", nargs="?", choices=sorted(TARGETS))
    parser.add_argument("--all", action="store_true", help="every target in turn")
    parser.add_argument("--only", help="with --all: comma-separated targets")
    parser.add_argument("--seconds", type=int, default=60, help="per target")
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "fuzz")
    parser.add_argument("--replay", nargs="+", metavar="FILE", help="run saved inputs")
    args, extra = parser.parse_known_args()
    if args.all:
        names = args.only.split(",") if args.only else list(TARGETS)
        return _run_all(names, args.seconds, args.workdir, extra)
    if args.target is None:
        parser.error("name a target or pass --all")
    if args.replay:
        return _replay(args.target, args.replay)
    _fuzz(args.target, args.seconds, args.workdir, extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How long ``microcred`` takes to start: ``--help``, a group's ``--help`` and ``verify FILE``.

    .venv/bin/python bench/startup.py [--runs N] [--before DIR]

Each command is run ``--runs`` times (after one unmeasured run, so ``.pyc`` files and the page
cache are warm) as a fresh process, the way a user or a script runs it, and the wall time of
each run is kept. ``verify`` verifies the verifier tests' valid credential (the realistic sample of
:mod:`schemas.samples`, eddsa-rdfc-2022, an Ed25519 did:key issuer): nothing to fetch, so the
figure is start-up plus one whole verification. ``--before DIR`` also times the code tree in ``DIR``
(e.g. ``git archive <commit> | tar -x -C DIR``) with the same interpreter, its runs interleaved
with this tree's, so both are measured under the same load. Prints one JSON object per line:
``{"tree", "command", "median_s", "p90_s", "runs", "exit"}``, then the load averages before and
after (a quiet machine has a 1-minute load well under its core count).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: Runs the console script's entry point from whichever tree is first on ``sys.path``.
_ENTRY = "import sys; from microcred.entry import main; sys.argv[0] = 'microcred'; main()"


def _signed_credential(directory: Path) -> Path:
    """The tests' valid credential (did:key, no status to fetch), written to ``directory``."""
    from tests.verifier.support import standard_world

    path = directory / "credential.json"
    path.write_text(json.dumps(standard_world().signed(), indent=2))
    return path


def _time_once(tree: Path, args: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall time and exit status of one ``microcred ARGS`` run from ``tree``."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _ENTRY, *args],
        cwd=tree,
        env={**env, "PYTHONPATH": str(tree)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - started, done.returncode


def _p90(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="measured runs per command")
    parser.add_argument("--before", type=Path, help="another code tree to time alongside")
    options = parser.parse_args()
    trees = {"this": ROOT}
    if options.before is not None:
        trees = {"before": options.before.resolve(), **trees}
    with tempfile.TemporaryDirectory() as scratch:
        credential = _signed_credential(Path(scratch))
        commands = {
            "microcred --help": ["--help"],
            "microcred award --help": ["award", "--help"],
            "microcred verify FILE": ["verify", str(credential)],
        }
        # A data directory of its own, so no command can read or write the user's.
        env = {**os.environ, "MICROCRED_DATA_DIR": str(Path(scratch) / "data")}
        print(json.dumps({"load_before": [round(x, 2) for x in os.getloadavg()]}))
        for label, args in commands.items():
            times: dict[str, list[float]] = {name: [] for name in trees}
            status: dict[str, int] = {}
            for tree in trees.values():
                _time_once(tree, args, env)  # warm: .pyc files, page cache
            for _ in range(options.runs):
                for name, tree in trees.items():
                    elapsed, status[name] = _time_once(tree, args, env)
                    times[name].append(elapsed)
            for name in trees:
                print(
                    json.dumps(
                        {
                            "tree": name,
                            "command": label,
                            "median_s": round(statistics.median(times[name]), 3),
                            "p90_s": round(_p90(times[name]), 3),
                            "runs": options.runs,
                            "exit": status[name],
                        }
                    )
                )
        print(json.dumps({"load_after": [round(x, 2) for x in os.getloadavg()]}))


if __name__ == "__main__":
    main()

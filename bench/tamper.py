"""Every single mutation of signed credentials, through the one verifier: none that changes what
was signed may be accepted, and every neutral one must be.

    .venv/bin/python bench/tamper.py [--per-source N] [--json]

The sources, the mutations and how each is classified are the tampering suite's
(``tests/verifier/tamper.py``, ``tests/verifier/mutations.py``): Open Badges on VC 2.0 and VC
1.1 in every suite microcred signs, the legacy Ed25519Signature2018 credential, an award and
VC-API credentials issued by the service in process. ``make test`` runs a fixed sample of them
(``tests/verifier/test_tamper.py``); this runs them all (``make soak``), about 17,000.

Prints one line per suite — mutations tried, content-changing (and malformed) tried and
accepted, neutral tried and accepted, seconds — then the totals, and every wrong verdict. Exit
status 1 if any content-changing or malformed mutation was accepted, any neutral one refused,
or any unmutated source was not valid.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.verifier import tamper  # noqa: E402
from tests.verifier.mutations import Effect  # noqa: E402
from tests.verifier.support import standard_world  # noqa: E402


def _line(suite: str, t: tamper.Tally) -> dict[str, int | float | str]:
    return {
        "suite": suite,
        "tried": t.tried,
        "content_changing_tried": t.of(Effect.CHANGES_CONTENT),
        "content_changing_accepted": t.accepted(Effect.CHANGES_CONTENT),
        "malformed_tried": t.of(Effect.MALFORMED),
        "malformed_accepted": t.accepted(Effect.MALFORMED),
        "neutral_tried": t.of(Effect.NEUTRAL),
        "neutral_accepted": t.accepted(Effect.NEUTRAL),
        "seconds": round(t.seconds, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-source", type=int, default=None, help="sample (default: all)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    args = parser.parse_args()

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="microcred-tamper-") as workdir:
        directory = Path(workdir)
        sources = tamper.library_sources(standard_world())
        sources += tamper.issued_sources(directory / "issuer")
        with tamper.verifier_for(sources, directory) as verifier:
            tallies = tamper.run(sources, verifier, per_source=args.per_source)
    lines = [_line(suite, tally) for suite, tally in tallies.items()]
    everything = tamper.Tally("all")
    for tally in tallies.values():
        for effect in Effect:
            everything.tried_by_effect[effect] = everything.of(effect) + tally.of(effect)
            everything.accepted_by_effect[effect] = everything.accepted(effect) + tally.accepted(
                effect
            )
        everything.tried += tally.tried
    everything.seconds = time.perf_counter() - started  # sources, signing and setup included
    total = {**_line("all", everything), "sources": len(sources)}
    for line in [*lines, total]:
        if args.json:
            print(json.dumps(line))
        else:
            print(
                f"{line['suite']:<22} {line['tried']:>6} tried; content-changing "
                f"{line['content_changing_accepted']}/{line['content_changing_tried']} accepted, "
                f"malformed {line['malformed_accepted']}/{line['malformed_tried']} accepted, "
                f"neutral {line['neutral_accepted']}/{line['neutral_tried']} accepted; "
                f"{line['seconds']} s"
            )
    wrong = [entry for tally in tallies.values() for entry in tally.wrong]
    baseline = [entry for tally in tallies.values() for entry in tally.baseline_failures]
    for entry in baseline:
        print(f"NOT VALID UNMUTATED: {entry}")
    for entry in wrong:
        print(f"WRONG: {entry}")
    return 1 if wrong or baseline else 0


if __name__ == "__main__":
    sys.exit(main())

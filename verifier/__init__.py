"""The verifying service: one pipeline, its report, trust lists, HTTP router, page and CLI.

The library surface is small: :func:`verify` / :func:`verify_many` take any input form
(JSON, VC-JWT, baked PNG/SVG, presentation) and return :class:`VerificationReport` objects whose
``to_json()`` is the public report shape; :class:`TrustStore` holds the trust lists a verifier
was given. Nothing here raises for a bad credential: every finding is a check in the report.
"""

from verifier.inputs import ParsedInput, UnusableInput, parse_input
from verifier.pipeline import MultipleCredentials, verify, verify_many
from verifier.report import (
    CheckId,
    CheckResult,
    Outcome,
    Verdict,
    VerificationReport,
    decide_verdict,
)
from verifier.trust import TrustListError, TrustMatch, TrustStore, load_trust_list

__all__ = [
    "CheckId",
    "CheckResult",
    "MultipleCredentials",
    "Outcome",
    "ParsedInput",
    "TrustListError",
    "TrustMatch",
    "TrustStore",
    "UnusableInput",
    "Verdict",
    "VerificationReport",
    "decide_verdict",
    "load_trust_list",
    "parse_input",
    "verify",
    "verify_many",
]

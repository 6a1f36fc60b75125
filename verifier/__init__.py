"""The verifying service: one pipeline, its report, trust lists, HTTP router, page and CLI.

The library surface is small: :func:`verify` / :func:`verify_many` take any input form
(JSON, VC-JWT, baked PNG/SVG, presentation) and return :class:`VerificationReport` objects whose
``to_json()`` is the public report shape; :class:`TrustStore` holds the trust lists a verifier
was given. Nothing here raises for a bad credential: every finding is a check in the report.
:func:`verify_stack` judges a stack-completion claim (a stack credential and/or its components,
against the stack's rule) into one such report, with a ``stack`` check.
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
from verifier.stack import GivenRule, StackInput, load_rule, verify_stack
from verifier.trust import TrustListError, TrustMatch, TrustStore, load_trust_list

__all__ = [
    "CheckId",
    "CheckResult",
    "GivenRule",
    "MultipleCredentials",
    "Outcome",
    "ParsedInput",
    "StackInput",
    "TrustListError",
    "TrustMatch",
    "TrustStore",
    "UnusableInput",
    "Verdict",
    "VerificationReport",
    "decide_verdict",
    "load_rule",
    "load_trust_list",
    "parse_input",
    "verify",
    "verify_many",
    "verify_stack",
]

"""The verifying service: one pipeline, its report, trust lists, HTTP router, page and CLI.

The library surface is small: a :class:`Verifier` (built once, from :class:`VerifierSettings` or
from its collaborators) takes any input form (JSON, VC-JWT, baked PNG/SVG, presentation) and
returns :class:`VerificationReport` objects whose ``to_json()`` is the public report shape;
:class:`Expectations` are what a caller expects of the input (recipient, a presentation's
challenge and domain); :class:`TrustStore` holds the trust lists a verifier was given. Nothing
here raises for a bad credential: every finding is a check in the report.
``Verifier.verify_stack`` judges a stack-completion claim (a stack credential and/or its
components, against the stack's rule) into one such report, with a ``stack`` check.
"""

from typing import TYPE_CHECKING

from schemas.lazy import lazy_exports

if TYPE_CHECKING:
    from verifier.inputs import ParsedInput, UnusableInput, parse_input
    from verifier.pipeline import MultipleCredentials
    from verifier.report import (
        CheckId,
        CheckResult,
        Outcome,
        Verdict,
        VerificationReport,
        decide_verdict,
    )
    from verifier.service import Expectations, Limits, Verifier
    from verifier.settings import VerifierSettings
    from verifier.stack import GivenRule, StackInput, load_rule
    from verifier.trust import TrustListError, TrustMatch, TrustStore, load_trust_list

#: name → the module that defines it; imported on first use (schemas.lazy).
_EXPORTS = {
    "CheckId": "verifier.report",
    "CheckResult": "verifier.report",
    "Expectations": "verifier.service",
    "GivenRule": "verifier.stack",
    "Limits": "verifier.service",
    "MultipleCredentials": "verifier.pipeline",
    "Outcome": "verifier.report",
    "ParsedInput": "verifier.inputs",
    "StackInput": "verifier.stack",
    "TrustListError": "verifier.trust",
    "TrustMatch": "verifier.trust",
    "TrustStore": "verifier.trust",
    "UnusableInput": "verifier.inputs",
    "Verdict": "verifier.report",
    "VerificationReport": "verifier.report",
    "Verifier": "verifier.service",
    "VerifierSettings": "verifier.settings",
    "decide_verdict": "verifier.report",
    "load_rule": "verifier.stack",
    "load_trust_list": "verifier.trust",
    "parse_input": "verifier.inputs",
}
__all__ = [
    "CheckId",
    "CheckResult",
    "Expectations",
    "GivenRule",
    "Limits",
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
    "Verifier",
    "VerifierSettings",
    "decide_verdict",
    "load_rule",
    "load_trust_list",
    "parse_input",
]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

del TYPE_CHECKING, lazy_exports  # helpers of this module, not part of its surface

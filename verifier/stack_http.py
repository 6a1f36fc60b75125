"""``POST /verify/stack``: a stack-completion claim over HTTP (the route is in
:mod:`verifier.http`; reading the request and running the claim are here).

JSON body (``application/json``)::

    {"credentials": [<credential JSON> | "<compact JWS>" | "<https badge link>", ...],
     "presentation": <a VerifiablePresentation holding the credentials>,
     "rule": <a stack rule document> | "ruleUrl": "<https URL of one>",
     "recipient": "<educator's email>", "at": "<ISO 8601>",
     "challenge": "...", "domain": "..."}

``credentials`` and/or ``presentation`` (at least one credential in all); badge links and the
rule URL are fetched through the verifier's guarded fetcher. A form post (the page) sends
``credential`` (pasted JSON: a stack credential or a presentation), ``file`` (one or more
files), ``rule_url`` and ``recipient``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from keys.errors import FetchBlocked, FetchError
from microcred.messages import Message, joined
from schemas.json_values import parse_json
from schemas.stack_rule import RuleError
from verifier.inputs import MAX_PRESENTATION_CREDENTIALS, UnusableInput, parse_input
from verifier.report import VerificationReport
from verifier.service import Expectations, Verifier
from verifier.stack import GivenRule, StackInput, is_stack_credential, load_rule

__all__ = [
    "STACK_BODY_DOC",
    "StackClaim",
    "StackRequest",
    "StackRequestError",
    "claim_from_form",
    "claim_from_json",
    "looks_like_stack",
    "run_claim",
]


class StackRequestError(ValueError):
    """The request cannot be judged as a claim: ``status`` says how (400, 502). ``message`` is
    a :class:`~microcred.messages.Message`: English in the JSON, translated on the page."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class StackRequest(BaseModel):
    """The JSON body of ``POST /verify/stack``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    credentials: list[dict[str, Any] | str] = Field(
        default_factory=list, max_length=MAX_PRESENTATION_CREDENTIALS
    )
    presentation: dict[str, Any] | None = None
    rule: dict[str, Any] | None = None
    ruleUrl: str | None = Field(default=None, max_length=2048)
    recipient: str | None = Field(default=None, max_length=254)
    at: datetime | None = None
    challenge: str | None = Field(default=None, max_length=512)
    domain: str | None = Field(default=None, max_length=512)


@dataclass
class StackClaim:
    """What to judge: inputs (links not yet fetched), the rule, when, and what is expected."""

    inputs: list[StackInput] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    rule: dict[str, Any] | bytes | None = None
    rule_url: str | None = None
    at: datetime | None = None
    expect: Expectations = field(default_factory=Expectations)


def claim_from_json(body: bytes) -> StackClaim:
    try:
        document = parse_json(body)
    except ValueError as error:  # JSONDecodeError (JsonTooDeep too), NaN, UnicodeDecodeError
        raise StackRequestError(Message("The body is not JSON: %(why)s.", why=str(error))) from None
    try:
        request = StackRequest.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        # Where, and pydantic's own words (English): data, as the API's 422s give them.
        raise StackRequestError(joined("", [where, ": ", first["msg"], "."])) from None
    if request.rule is not None and request.ruleUrl is not None:
        raise StackRequestError(Message("Give rule or ruleUrl, not both."))
    claim = StackClaim(
        rule=request.rule,
        rule_url=request.ruleUrl,
        at=request.at,
        expect=Expectations(
            recipient=(request.recipient or "").strip() or None,
            challenge=request.challenge,
            domain=request.domain,
        ),
    )
    for index, item in enumerate(request.credentials):
        if isinstance(item, str) and item.strip().lower().startswith(("https://", "http://")):
            claim.links.append(item.strip())
        else:
            claim.inputs.append(StackInput(item, f"credentials[{index}]"))
    if request.presentation is not None:
        claim.inputs.append(StackInput(request.presentation, "presentation"))
    if not claim.inputs and not claim.links:
        raise StackRequestError(Message("Give the credentials (credentials and/or presentation)."))
    return claim


async def claim_from_form(form: Mapping[str, Any], uploads: list[tuple[str, bytes]]) -> StackClaim:
    """A claim from the page's form: pasted JSON, uploaded files, a rule URL, a recipient."""
    claim = StackClaim()
    pasted = form.get("credential")
    if isinstance(pasted, str) and pasted.strip():
        claim.inputs.append(StackInput(pasted.strip(), "pasted credential"))
    for name, data in uploads:
        claim.inputs.append(StackInput(data, name))
    rule_url = form.get("rule_url")
    if isinstance(rule_url, str) and rule_url.strip():
        claim.rule_url = rule_url.strip()
    recipient = form.get("recipient")
    if isinstance(recipient, str) and recipient.strip():
        claim.expect = Expectations(recipient=recipient.strip())
    if not claim.inputs:
        raise StackRequestError(
            Message("Paste the stack credential or presentation, or choose files.")
        )
    return claim


def _rule(verifier: Verifier, claim: StackClaim) -> GivenRule | None:
    try:
        if claim.rule_url is not None:
            raw = verifier.fetcher.fetch(claim.rule_url, accept="application/json").body
            return load_rule(raw, source=claim.rule_url)
        if claim.rule is not None:
            return load_rule(claim.rule, source="rule")
    except FetchBlocked as error:
        raise StackRequestError(
            Message("The rule URL was refused: %(why)s", why=str(error))
        ) from None
    except FetchError as error:
        raise StackRequestError(
            Message("The rule could not be retrieved: %(why)s", why=str(error)), 502
        ) from None
    except RuleError as error:
        raise StackRequestError(Message("The rule is unusable: %(why)s", why=str(error))) from None
    return None


def run_claim(verifier: Verifier, claim: StackClaim) -> VerificationReport:
    """Fetch the claim's links and rule, and judge it (blocking: run it in a worker thread)."""
    inputs = list(claim.inputs)
    for link in claim.links:
        try:
            inputs.append(StackInput(verifier.fetch_badge(link), link))
        except FetchBlocked as error:
            raise StackRequestError(
                Message("The badge link was refused: %(why)s", why=str(error))
            ) from None
        except FetchError as error:
            raise StackRequestError(
                Message(
                    "The badge link %(link)s could not be retrieved: %(why)s",
                    link=link,
                    why=str(error),
                ),
                502,
            ) from None
    return verifier.verify_stack(
        inputs, rule=_rule(verifier, claim), now=claim.at, expect=claim.expect
    )


def looks_like_stack(data: bytes | str) -> bool:
    """Should the page show a stack checklist for this input: is it a stack credential, or a
    presentation holding one (with its components)?"""
    try:
        parsed = parse_input(data)
    except UnusableInput:
        return False
    documents = [c.document for c in parsed.credentials]
    return any(is_stack_credential(d) for d in documents)


#: The OpenAPI request body of ``POST /verify/stack``.
STACK_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": StackRequest.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "credential": {"type": "string", "description": "Pasted JSON"},
                        "file": {"type": "array", "items": {"type": "string", "format": "binary"}},
                        "rule_url": {"type": "string"},
                        "recipient": {"type": "string"},
                    },
                }
            },
        },
    }
}

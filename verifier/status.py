"""The ``status`` check: has the issuer revoked or suspended the credential?

Two mechanisms are read, one result per ``credentialStatus`` entry:

**BitstringStatusListEntry** (W3C Bitstring Status List v1.0). The list credential is fetched
through the guarded fetcher (JSON or VC-JWT), and verified with the same machinery as the
credential: its proof, whether the key belongs to *its* issuer (which may differ from the
credential's), and its validity period, so a list past its ``validUntil`` is not trusted. Then
the list's type and purpose, its length (at least 131,072 entries, else the spec's
``STATUS_LIST_LENGTH_ERROR`` with the length found) and the index are checked, and the entry's
bits read. A list issued by someone other than the credential's issuer is relied on only when
the verifier's trust lists name both issuers (the spec allows another issuer's list when the
verifier trusts both). A set revocation bit means revoked, a set suspension bit suspended:
both fail the check. ``message`` and ``refresh`` purposes are reported as warnings.

**1EdTechRevocationList** (OB 3.0 §4.2). The list is fetched; the credential is revoked if its
``id`` is in ``revokedCredential[]`` with ``revoked`` true or absent.

**Fail closed.** A list that cannot be had (unreachable, refused, not JSON), or cannot be trusted
(bad proof, key not its issuer's, another issuer's list not trusted, expired, wrong type or
purpose, too short, index out of range, undecodable) makes the check ``indeterminate``, never
``passed``: absence of evidence of revocation is not evidence of its absence. We deliberately
differ here from the 1EdTech validator, which only *warns* when a 1EdTechRevocationList cannot
be fetched. A status type we do not know is indeterminate too. A malformed entry in the
credential itself fails the check: the issuer signed something broken.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from keys.errors import FetchError
from keys.fetch import FetchedDocument
from keys.fetch.status_ttl import document_deadline
from microcred.messages import Message, joined
from schemas.bitstring import (
    MIN_LIST_ENTRIES,
    Bitstring,
    MalformedStatusList,
    StatusIndexOutOfRange,
    StatusListError,
    StatusListTooShort,
    parse_status_index,
)
from schemas.json_values import as_list, objects, type_names
from schemas.vocabulary import REVOCATION_LIST_TYPE
from verifier.context import VerificationContext
from verifier.inputs import UnusableInput, parse_input
from verifier.proofs import check_issuer_key, check_proof
from verifier.report import CheckId, CheckResult, Outcome
from verifier.validity import validity_at
from verifier.verified_cache import Verified, earliest

__all__ = ["STATUS_LIST_ACCEPT", "check_status"]

#: A status list credential is JSON (with an embedded proof) or a VC-JWT.
STATUS_LIST_ACCEPT = (
    "application/vc+ld+json, application/ld+json;q=0.9, application/json;q=0.8, "
    "application/vc+jwt;q=0.7, application/jwt;q=0.7"
)
BITSTRING_ENTRY_TYPE = "BitstringStatusListEntry"
BITSTRING_LIST_TYPE = "BitstringStatusListCredential"
_SHARED_KEY = "status-lists"
_SEVERITY = {
    Outcome.PASSED: 0,
    Outcome.SKIPPED: 0,
    Outcome.WARNING: 1,
    Outcome.INDETERMINATE: 2,
    Outcome.FAILED: 3,
}


@dataclass(frozen=True)
class _EntryResult:
    outcome: Outcome
    message: Message
    details: dict[str, Any] = field(default_factory=dict)


class _Untrusted(Exception):
    """The list could not be had or trusted; the message says why (→ indeterminate)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class _StatusList:
    """A fetched list credential that passed its proof, key and validity checks.

    Kept between verifications while its body is fresh (:mod:`verifier.verified_cache`), so it
    holds what each use needs without checking again: the document its validity is judged on
    at each verification's instant (for a VC-JWT, what the token established) and the inflated
    ``encodedList`` (or why it does not inflate, reported per entry as before)."""

    url: str
    subject: Mapping[str, Any]
    issuer: str | None
    valid_until: Any
    format: str
    document: Mapping[str, Any]
    inflated: bytes | MalformedStatusList


_NOT_SIGNED = Message("its proof does not verify (it may have been altered)")
_NOT_ISSUERS_KEY = Message("it is not signed with its issuer's key")
_OUT_OF_PERIOD = Message("it is outside its own validity period")


def _require_passed(result: CheckResult, what: Message, url: str) -> None:
    """Raise :class:`_Untrusted` unless a check of the list passed (or only warned)."""
    if result.outcome not in (Outcome.PASSED, Outcome.WARNING):
        raise _Untrusted(
            Message(
                "the status list %(url)s cannot be trusted: %(why)s: %(message)s",
                url=url,
                why=what,
                message=result.message,
            )
        )


# --------------------------------------------------------------------------- the list credential


def _load_list(ctx: VerificationContext, url: str) -> _StatusList:
    """Fetch and verify the list credential at ``url`` (raises :class:`_Untrusted`).

    With the verifier's cache, a body already verified and still fresh is not checked again.
    Its validity period is judged here, at this verification's instant, whether the list was
    just verified or kept: it depends on the instant, not on the body."""
    try:
        fetched = ctx.tools.fetcher.fetch(url, accept=STATUS_LIST_ACCEPT)
    except FetchError as error:
        raise _Untrusted(
            Message(
                "the status list %(url)s could not be retrieved: %(error)s",
                url=url,
                error=str(error),
            )
        ) from None
    cache = ctx.tools.verified_lists
    status_list: _StatusList
    if cache is None:
        status_list = _verify_list(ctx, url, fetched).value
    else:
        digest = hashlib.sha256(fetched.body).hexdigest()
        status_list = cache.get_or_verify(url, digest, lambda: _verify_list(ctx, url, fetched))
    _require_passed(validity_at(dict(status_list.document), ctx.now), _OUT_OF_PERIOD, url)
    return status_list


def _verify_list(
    ctx: VerificationContext, url: str, fetched: FetchedDocument
) -> Verified[_StatusList]:
    """Check the fetched list credential: its proof, whether its key is its issuer's, and its
    subject (raises :class:`_Untrusted`). Its validity period is the caller's (:func:`_load_list`
    judges it at each use).

    The result may be kept until the list's body goes stale, and no longer than the documents
    the run's keys were read from (``Tools.key_documents``, which holds the list's): a key its
    issuer withdraws stops vouching for the list when the document that listed it does. A list
    past its ``validUntil`` is stale, so it is not kept."""
    try:
        parsed = parse_input(fetched.body, source=url).credentials
    except UnusableInput as error:
        raise _Untrusted(
            Message(
                "%(url)s is not a status list credential: %(error)s", url=url, error=error.message
            )
        ) from None
    if len(parsed) != 1:
        raise _Untrusted(Message("%(url)s is not a single status list credential", url=url))
    list_ctx = ctx.derive(parsed[0], role="status list")
    document = list_ctx.document
    if BITSTRING_LIST_TYPE not in type_names(document):
        raise _Untrusted(Message("%(url)s is not a %(type)s", url=url, type=BITSTRING_LIST_TYPE))
    _require_passed(check_proof(list_ctx), _NOT_SIGNED, url)
    key = check_issuer_key(list_ctx)
    _require_passed(key, _NOT_ISSUERS_KEY, url)
    subjects = objects(document.get("credentialSubject"))
    if len(subjects) != 1 or "BitstringStatusList" not in type_names(subjects[0]):
        raise _Untrusted(
            Message("the status list %(url)s has no BitstringStatusList subject", url=url)
        )
    try:
        inflated: bytes | MalformedStatusList = Bitstring.inflate(
            subjects[0].get("encodedList")  # type: ignore[arg-type]
        )
    except MalformedStatusList as error:
        inflated = MalformedStatusList(str(error))  # kept without its traceback's frames
    status_list = _StatusList(
        url=url,
        subject=subjects[0],
        issuer=list_ctx.issuer_id,
        valid_until=document.get("validUntil", document.get("expirationDate")),
        format=list_ctx.kind,
        document=document,
        inflated=inflated,
    )
    fresh_until = None
    key_documents = ctx.tools.key_documents
    if key_documents is not None and "pinnedBy" not in key.details:
        # The fetcher bounds a JSON body by its ttl and validUntil already; a VC-JWT's are
        # only known now that its token is verified.
        deadline = document_deadline(document, fetched.fetched_at)
        bounds = [fetched.expires_at, key_documents.until]
        fresh_until = earliest(*bounds, *([deadline] if deadline is not None else []))
    size = len(fetched.body) + (len(inflated) if isinstance(inflated, bytes) else 0)
    return Verified(status_list, fresh_until, size)


def _status_list(ctx: VerificationContext, url: str) -> _StatusList:
    """The verified list, once per verification run (a credential's revocation and suspension
    entries often share a list, and endorsements share their issuer's)."""
    memo: dict[str, _StatusList | _Untrusted] = ctx.shared.setdefault(_SHARED_KEY, {})
    if url not in memo:
        try:
            memo[url] = _load_list(ctx, url)
        except _Untrusted as error:
            memo[url] = error
    found = memo[url]
    if isinstance(found, _Untrusted):
        raise found
    return found


# --------------------------------------------------------------------------- entries


def _entry_message(entry: Mapping[str, Any], value: int) -> Any:
    """The ``statusMessage`` text for ``value`` (``status`` is hex, e.g. ``"0x1"``)."""
    for item in as_list(entry.get("statusMessage")):
        if not isinstance(item, Mapping):
            continue
        try:
            if int(str(item.get("status")), 16) == value:
                return item.get("message")
        except ValueError:
            continue
    return None


def _bitstring_entry(ctx: VerificationContext, entry: Mapping[str, Any]) -> _EntryResult:
    purpose = entry.get("statusPurpose")
    url = entry.get("statusListCredential")
    details: dict[str, Any] = {
        "type": BITSTRING_ENTRY_TYPE,
        "statusPurpose": purpose,
        "statusListCredential": url,
        "statusListIndex": entry.get("statusListIndex"),
    }
    # -- the entry itself, as the issuer signed it
    problems: list[str] = []
    if not isinstance(purpose, str) or not purpose:
        problems.append(Message("it has no statusPurpose"))
    if not isinstance(url, str) or not url.lower().startswith(("https://", "http://")):
        problems.append(Message("its statusListCredential is not a URL"))
    index = None
    try:
        index = parse_status_index(entry.get("statusListIndex"))
    except StatusListError as error:
        problems.append(str(error))
    size = entry.get("statusSize", 1)
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 16:
        problems.append(
            Message("statusSize %(size)s is not a small positive integer", size=repr(size))
        )
        size = 1
    elif size > 1 and len(as_list(entry.get("statusMessage"))) != 2**size:
        problems.append(
            Message(
                "statusSize %(size)s needs %(count)s statusMessage entries",
                size=size,
                count=2**size,
            )
        )
    if problems:
        return _EntryResult(
            Outcome.FAILED,
            Message(
                "The credential's status entry is malformed: %(problems)s.",
                problems=joined("; ", problems),
            ),
            details,
        )
    assert isinstance(url, str) and isinstance(purpose, str) and index is not None
    if isinstance(entry.get("statusListIndex"), int):
        details["note"] = "statusListIndex should be a base-10 string; read an integer"

    # -- the list
    try:
        status_list = _status_list(ctx, url)
    except _Untrusted as error:
        return _EntryResult(Outcome.INDETERMINATE, error.message.sentence(), details)
    details |= {"listIssuer": status_list.issuer, "listValidUntil": status_list.valid_until}
    if status_list.issuer != ctx.issuer_id:
        details["listIssuerDiffers"] = True
        refusal = _foreign_list_refusal(ctx, status_list)
        if refusal is not None:
            return _EntryResult(Outcome.INDETERMINATE, refusal, details)
        details["listIssuerTrusted"] = True
    list_purposes = as_list(status_list.subject.get("statusPurpose"))
    if purpose not in list_purposes:
        return _EntryResult(
            Outcome.INDETERMINATE,
            Message(
                "The status list %(url)s is for %(purposes)s, not for %(purpose)s, so it says "
                "nothing about this entry.",
                url=url,
                purposes=", ".join(map(str, list_purposes)) or Message("nothing"),
                purpose=purpose,
            ),
            details,
        )
    try:
        if isinstance(status_list.inflated, MalformedStatusList):
            raise MalformedStatusList(str(status_list.inflated))
        bits = Bitstring.from_bytes(
            status_list.inflated, status_size=size, min_entries=MIN_LIST_ENTRIES
        )
        value = bits.get(index)
    except StatusListTooShort as error:
        details |= {
            "code": "STATUS_LIST_LENGTH_ERROR",
            "length": error.entries,
            "minimum": error.minimum,
        }
        reason = Message(
            "it is too short to hide anyone's status: STATUS_LIST_LENGTH_ERROR, %(entries)s "
            "entries where at least %(minimum)s are required",
            entries=error.entries,
            minimum=error.minimum,
        )
    except StatusIndexOutOfRange as error:
        reason = Message("the credential's index is outside it (%(error)s)", error=str(error))
    except MalformedStatusList as error:
        reason = Message("it cannot be decoded (%(error)s)", error=str(error))
    else:
        details["status"] = value
        return _interpret(purpose, value, entry, url, details)
    return _EntryResult(
        Outcome.INDETERMINATE,
        Message("The status list %(url)s cannot be used: %(reason)s.", url=url, reason=reason),
        details,
    )


def _foreign_list_refusal(ctx: VerificationContext, status_list: _StatusList) -> Message | None:
    """Why a list issued by someone other than the credential's issuer cannot be relied on,
    or ``None`` when it can.

    Bitstring Status List allows another issuer's list *if the verifier trusts both*
    issuers: whoever issues the list decides the credential's status, so that party must be
    one the verifier chose (a trust list names both), not merely whoever signed a list the
    credential points at. Anything else fails closed (indeterminate), never passed.
    """
    trust = ctx.tools.trust
    untrusted = [who for who in (ctx.issuer_id, status_list.issuer) if not trust.entries(who)]
    if not untrusted:
        return None
    if not trust:
        why = Message("no trust list was given")
    else:
        names = list(dict.fromkeys(str(who) for who in untrusted))
        if len(names) > 1:
            why = Message(
                "%(first)s and %(second)s are not on the verifier's trust lists",
                first=names[0],
                second=names[1],
            )
        else:
            why = Message("%(name)s is not on the verifier's trust lists", name=names[0])
    return Message(
        "The status list %(url)s is issued by %(list_issuer)s, not by the credential's issuer "
        "%(issuer)s. Another issuer's list counts only when the verifier trusts both issuers, "
        "and %(why)s: the list's issuer is not trusted, so the status cannot be established.",
        url=status_list.url,
        list_issuer=status_list.issuer,
        issuer=ctx.issuer_id,
        why=why,
    )


def _interpret(
    purpose: str, value: int, entry: Mapping[str, Any], url: str, details: dict[str, Any]
) -> _EntryResult:
    text = _entry_message(entry, value)
    if text is not None:
        details["statusMessage"] = text
    if purpose == "revocation":
        if value:
            message = (
                Message("The issuer has REVOKED this credential (%(why)s).", why=text)
                if text
                else Message("The issuer has REVOKED this credential.")
            )
            return _EntryResult(Outcome.FAILED, message, details)
        return _EntryResult(Outcome.PASSED, Message("Not revoked."), details)
    if purpose == "suspension":
        if value:
            message = (
                Message("The issuer has SUSPENDED this credential (%(why)s).", why=text)
                if text
                else Message("The issuer has SUSPENDED this credential.")
            )
            return _EntryResult(Outcome.FAILED, message, details)
        return _EntryResult(Outcome.PASSED, Message("Not suspended."), details)
    if purpose == "message":
        if value:
            return _EntryResult(
                Outcome.WARNING,
                Message("The issuer's status message: %(text)s.", text=text or hex(value)),
                details,
            )
        return _EntryResult(
            Outcome.PASSED,
            Message("Status message: %(text)s.", text=text or Message("none")),
            details,
        )
    if purpose == "refresh":
        if value:
            return _EntryResult(
                Outcome.WARNING,
                Message("The issuer has a newer version of this credential."),
                details,
            )
        return _EntryResult(Outcome.PASSED, Message("No newer version announced."), details)
    return _EntryResult(
        Outcome.INDETERMINATE,
        Message(
            "The status purpose %(purpose)s is not one microcred knows how to read.",
            purpose=repr(purpose),
        ),
        details,
    )


def _revocation_list_entry(ctx: VerificationContext, entry: Mapping[str, Any]) -> _EntryResult:
    url = entry.get("id")
    details: dict[str, Any] = {"type": REVOCATION_LIST_TYPE, "id": url}
    if not isinstance(url, str) or not url.lower().startswith(("https://", "http://")):
        return _EntryResult(
            Outcome.FAILED,
            Message("The credential's revocation list entry has no list URL."),
            details,
        )
    credential_id = ctx.document.get("id")
    if not isinstance(credential_id, str):
        return _EntryResult(
            Outcome.INDETERMINATE,
            Message("The credential has no id, so it cannot be looked up in its revocation list."),
            details,
        )
    try:
        revocations = ctx.tools.fetcher.fetch_json(url, accept="application/json")
    except FetchError as error:
        return _EntryResult(
            Outcome.INDETERMINATE,
            Message(
                "The revocation list %(url)s could not be retrieved, so revocation cannot be "
                "ruled out: %(error)s.",
                url=url,
                error=str(error),
            ),
            details,
        )
    listed = revocations.get("revokedCredential") if isinstance(revocations, dict) else None
    if not isinstance(listed, list):
        return _EntryResult(
            Outcome.INDETERMINATE,
            Message(
                "%(url)s is not a revocation list (it has no revokedCredential array).", url=url
            ),
            details,
        )
    details["signed"] = "proof" in revocations
    for item in listed:
        if not isinstance(item, Mapping) or item.get("id") != credential_id:
            continue
        if item.get("revoked", True) is True:
            reason = item.get("revocationReason")
            details["revocationReason"] = reason
            message = (
                Message("The issuer has REVOKED this credential: %(why)s.", why=reason)
                if isinstance(reason, str) and reason
                else Message("The issuer has REVOKED this credential.")
            )
            return _EntryResult(Outcome.FAILED, message, details)
    return _EntryResult(Outcome.PASSED, Message("Not on the issuer's revocation list."), details)


def _check_entry(ctx: VerificationContext, entry: Any) -> _EntryResult:
    if not isinstance(entry, Mapping):
        return _EntryResult(Outcome.FAILED, Message("A credentialStatus entry is not an object."))
    types = type_names(entry)
    if BITSTRING_ENTRY_TYPE in types:
        return _bitstring_entry(ctx, entry)
    if REVOCATION_LIST_TYPE in types:
        return _revocation_list_entry(ctx, entry)
    return _EntryResult(
        Outcome.INDETERMINATE,
        Message(
            "The status type %(type)s is not supported, so revocation cannot be ruled out.",
            type=", ".join(types) or "(none)",
        ),
        {"type": types},
    )


def check_status(ctx: VerificationContext) -> CheckResult:
    """One result per ``credentialStatus`` entry; the worst decides the outcome."""
    entries = as_list(ctx.document.get("credentialStatus"))
    if not entries:
        return CheckResult(
            CheckId.STATUS,
            Outcome.SKIPPED,
            Message("The credential carries no status information, so there is no list to check."),
            {"entries": []},
        )
    results = [_check_entry(ctx, entry) for entry in entries]
    worst = max(results, key=lambda r: _SEVERITY[r.outcome]).outcome
    shown = [r for r in results if r.outcome is worst] if worst is not Outcome.PASSED else results
    return CheckResult(
        CheckId.STATUS,
        worst,
        joined(" ", [r.message for r in shown]),
        {
            "entries": [
                {**r.details, "outcome": str(r.outcome), "message": r.message} for r in results
            ]
        },
    )

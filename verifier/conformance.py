"""The ``context`` and ``schema`` checks: is this a well-formed credential of its profile?

``context``: the ``@context`` list is in the required order (VC base context first, the OB
context second for VC 2.0), every context is one microcred carries, and the document expands
completely in safe mode: no undefined term, no relative IRI. For an embedded proof that is a
signature matter (an undefined term is an unsigned term), so it fails the check; a VC-JWT's
signature covers the bytes whatever their JSON-LD meaning, so there it is a warning. Inline
(object) contexts, at the top or in any node, fail it unless
``VerifierSettings.allow_inline_contexts``: one that only sets ``@direction``, ``@version`` or
``@propagate`` leaves the signed triples alone, so it can be added after signing. A document
that asks for more context processing than microcred does (:mod:`schemas.jsonld_limits`: too
many contexts, one listed twice, too many inline definitions) fails it, whatever its format,
and is neither expanded nor held to a JSON Schema: refusing it costs one pass over the JSON.

``schema``: the profile follows the credential. An Open Badge (typed OpenBadgeCredential,
AchievementCredential or EndorsementCredential) gets the OB 3.0 JSON Schema for its kind and
version, plus every
``credentialSchema`` entry of type ``1EdTechJsonSchemaValidator2019`` that names a bundled
schema. Schemas are never fetched; an entry naming one we do not carry is listed as unchecked
(a warning), since its absence is not evidence against the credential. Any other VC gets the
W3C VC Data Model's rules (:mod:`schemas.vcdm`), by its ``@context[0]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from microcred.messages import Message, joined
from schemas.canonical import canonicalize, to_quads
from schemas.errors import ContextNotBundled, SchemaNotBundled, SchemasError
from schemas.json_values import as_list
from schemas.validation import SchemaIssue, schema_id_for, validate_credential
from schemas.vcdm import VC11_PROFILE, data_model_profile, validate_data_model
from schemas.vocabulary import (
    JSON_SCHEMA_VALIDATOR_TYPE,
    OB_CONTEXT_PATTERN,
    VC2_CONTEXT,
    VC11_CONTEXT,
    is_open_badge,
)
from verifier.context import VerificationContext
from verifier.report import CheckId, CheckResult, Outcome

__all__ = ["check_context", "check_schema"]

#: The unversioned OB context: accepted, but its meaning changes under the credential's feet.
OB_UNVERSIONED_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context.json"
#: Most schema issues listed in a report; the count says how many there were.
MAX_LISTED_ISSUES = 25
#: Most ``@context`` entries echoed in the ``context`` check's details.
MAX_LISTED_CONTEXTS = 8


def _order_problems(document: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(errors, warnings) about the @context list itself."""
    context = document.get("@context")
    if isinstance(context, str):
        context = [context]
    if not isinstance(context, list) or not context:
        return [Message("@context must be a non-empty ordered list")], []
    errors: list[str] = []
    warnings: list[str] = []
    first = context[0]
    if first not in (VC2_CONTEXT, VC11_CONTEXT):
        errors.append(
            Message(
                "@context[0] must be %(vc2)s (VC 2.0) or %(vc11)s (VC 1.1), not %(found)s",
                vc2=VC2_CONTEXT,
                vc11=VC11_CONTEXT,
                found=repr(str(first)[:100]),
            )
        )
    if not is_open_badge(document):
        return errors, warnings
    ob = [c for c in context if isinstance(c, str) and OB_CONTEXT_PATTERN.match(c)]
    if first == VC2_CONTEXT and (len(context) < 2 or context[1] not in ob):
        errors.append(
            Message(
                "@context[1] must be the Open Badges 3.0 context "
                "(https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json)"
            )
        )
    elif not ob:
        errors.append(Message("@context lacks the Open Badges 3.0 context"))
    if OB_UNVERSIONED_CONTEXT in ob:
        warnings.append(
            Message(
                "%(alias)s is the unversioned alias; a versioned context (context-3.0.3.json) "
                "fixes the meaning of what was signed",
                alias=OB_UNVERSIONED_CONTEXT,
            )
        )
    return errors, warnings


def _inline_contexts(document: Mapping[str, Any]) -> list[str]:
    """Where the document (at any depth: a node may carry its own ``@context``) has an inline
    context, an object in place of a context URL; as paths like ``@context[2]``."""
    found: list[str] = []
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, list):
            stack.extend((f"{path}[{i}]", item) for i, item in reversed(list(enumerate(node))))
        elif isinstance(node, Mapping):
            for key, value in node.items():
                where = f"{path}.{key}" if path else str(key)
                if key == "@context":
                    entries = value if isinstance(value, list) else [value]
                    found.extend(
                        where if not isinstance(value, list) else f"{where}[{i}]"
                        for i, entry in enumerate(entries)
                        if isinstance(entry, Mapping)
                    )
                else:
                    stack.append((where, value))
    return found


def _jsonld_problem(ctx: VerificationContext) -> SchemasError | None:
    """The first safe-mode JSON-LD error of the document, if any.

    A document over the processing limits is not expanded. A verified RDFC proof already
    expanded the document in safe mode, and a proof that failed in canonicalization carries the
    error; otherwise (no proof, a JWT, a JCS proof, which signs the JSON without reading a
    context) the document is expanded here, its limits already walked (``ctx.jsonld_limit``).
    """
    if ctx.jsonld_limit is not None:
        return ctx.jsonld_limit
    for result in ctx.proof_results:
        if result.verified and result.expanded_jsonld:
            return None
        if isinstance(result.error, SchemasError):
            return result.error
    try:
        to_quads(ctx.document, loader=ctx.tools.loader, limits_checked=True)
    except SchemasError as error:
        return error
    return None


def _added_context_problem(ctx: VerificationContext) -> str | None:
    """Whether contexts added after a JCS proof was made change what the signed terms mean.

    A JCS proof carries the ``@context`` it was made under, and the document's may extend it
    (vc-di-eddsa / vc-di-ecdsa §3.3: the proof verifies against the document read under the
    proof's context). An added context that redefines a term the proof's contexts define
    without ``@protected`` (the unversioned OB context over OB 3.0.1 on VC 1.1 does) would make
    the credential say something its issuer never signed, under a verifying signature. So the
    document must mean the same under its own ``@context`` as under the proof's: the same
    RDF dataset, compared in canonical form. (An RDFC proof signs the dataset itself.)
    """
    document = ctx.document
    for result in ctx.proof_results:
        if not result.verified or result.expanded_jsonld:
            continue
        signed = result.proof.get("@context")
        if signed is None or signed == document.get("@context"):
            continue
        unsecured = {k: v for k, v in document.items() if k != "proof"}
        added = as_list(document.get("@context"))[len(as_list(signed)) :]
        shown = ", ".join(str(entry)[:100] for entry in added[:3])
        try:
            as_signed = canonicalize({**unsecured, "@context": signed}, loader=ctx.tools.loader)
            as_given = canonicalize(unsecured, loader=ctx.tools.loader)
        except SchemasError as error:
            return Message(
                "read under the @context its proof was made with, without the contexts added "
                "after it (%(added)s), it does not expand cleanly: %(error)s",
                added=shown,
                error=str(error),
            )
        if as_signed != as_given:
            return Message(
                "the contexts added after its proof was made (%(added)s) change what the signed "
                "terms mean",
                added=shown,
            )
    return None


def check_context(ctx: VerificationContext) -> CheckResult:
    errors, warnings = _order_problems(ctx.document)
    inline = _inline_contexts(ctx.document)
    if inline and not ctx.tools.allow_inline_contexts:
        errors.append(
            Message(
                "inline contexts are not accepted (at %(where)s): an object in @context can "
                "change the meaning of signed terms, or be added after signing "
                "(MICROCRED_VERIFIER_ALLOW_INLINE_CONTEXTS=true accepts them)",
                where=", ".join(inline[:5]),
            )
        )
    limit = ctx.jsonld_limit
    problem = _jsonld_problem(ctx)
    details: dict[str, Any] = {"@context": _context_summary(ctx.document.get("@context"))}
    if limit is not None:
        details["jsonld"] = {"error": str(limit), "errorType": type(limit).__name__}
        errors.append(
            Message(
                "it asks for more JSON-LD processing than microcred does for one credential, so "
                "it was not processed: %(limit)s",
                limit=str(limit),
            )
        )
    elif problem is not None:
        details["jsonld"] = {"error": str(problem), "errorType": type(problem).__name__}
        if isinstance(problem, ContextNotBundled):
            text = Message("it uses a context microcred does not carry (%(url)s)", url=problem.url)
        else:
            text = Message(
                "it does not expand cleanly in JSON-LD safe mode (%(problem)s)",
                problem=str(problem),
            )
        if ctx.kind == "jwt":
            warnings.append(
                Message("%(problem)s; the JWT signature still covers the bytes", problem=text)
            )
        else:
            errors.append(text)
    else:
        added = _added_context_problem(ctx)
        if added is not None:
            errors.append(added)
    details["warnings"] = warnings
    if errors:
        return CheckResult(
            CheckId.CONTEXT,
            Outcome.FAILED,
            Message(
                "The credential's @context is not acceptable: %(problems)s.",
                problems=joined("; ", errors),
            ),
            details,
        )
    if warnings:
        return CheckResult(
            CheckId.CONTEXT,
            Outcome.WARNING,
            Message(
                "The credential's @context is usable, with reservations: %(problems)s.",
                problems=joined("; ", warnings),
            ),
            details,
        )
    return CheckResult(
        CheckId.CONTEXT,
        Outcome.PASSED,
        Message("The @context lists the required contexts in order and every term is defined."),
        details,
    )


def _context_summary(context: Any) -> Any:
    """The ``@context`` for the report: as given, unless it is over the per-list limit (a
    report must not echo 5,000 entries back)."""
    if isinstance(context, list) and len(context) > MAX_LISTED_CONTEXTS:
        return [*context[:MAX_LISTED_CONTEXTS], f"… {len(context) - MAX_LISTED_CONTEXTS} more"]
    return context


def _declared_schemas(document: Mapping[str, Any]) -> list[str]:
    entries = document.get("credentialSchema")
    entries = entries if isinstance(entries, list) else [entries]
    found = []
    for entry in entries:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str):
            continue
        types = entry.get("type")
        types = types if isinstance(types, list) else [types]
        if JSON_SCHEMA_VALIDATOR_TYPE in types:
            found.append(entry["id"])
    return found


def check_schema(ctx: VerificationContext) -> CheckResult:
    """The profile the credential claims: OB 3.0's schema for an Open Badge, the VC Data
    Model's rules for every other VC (the OB schema says nothing about a plain VC). A document
    over microcred's JSON-LD limits is not validated (the ``context`` check fails it):
    indeterminate, never passed."""
    limit = ctx.jsonld_limit
    if limit is not None:
        return CheckResult(
            CheckId.SCHEMA,
            Outcome.INDETERMINATE,
            Message(
                "The credential was not checked against a schema, being over microcred's "
                "JSON-LD processing limits: %(limit)s.",
                limit=str(limit),
            ),
            {"jsonld": {"error": str(limit), "errorType": type(limit).__name__}},
        )
    if not is_open_badge(ctx.document):
        return _check_data_model(ctx.document)
    return _check_open_badge(ctx.document)


def _check_data_model(document: Mapping[str, Any]) -> CheckResult:
    issues = validate_data_model(document)
    version = "1.1" if data_model_profile(document) == VC11_PROFILE else "2.0"
    model = f"VC Data Model {version}"
    details = _schema_details("vc-data-model", [data_model_profile(document)], [], issues)
    if issues:
        return CheckResult(
            CheckId.SCHEMA,
            Outcome.FAILED,
            Message(
                "The credential does not conform to the W3C %(model)s: %(count)s problem(s), "
                "the first: %(first)s",
                model=model,
                count=len(issues),
                first=issues[0].message,
            ),
            details,
        )
    return CheckResult(
        CheckId.SCHEMA,
        Outcome.PASSED,
        Message(
            "The credential is not an Open Badge; it conforms to the W3C %(model)s.", model=model
        ),
        details,
    )


def _schema_details(
    profile: str, schemas: list[str], unchecked: list[str], issues: Sequence[SchemaIssue]
) -> dict[str, Any]:
    """The ``schema`` check's details, whichever profile judged the credential."""
    return {
        "profile": profile,
        "schemas": schemas,
        "unchecked": unchecked,
        "issueCount": len(issues),
        "issues": [
            {"path": i.path, "message": i.message, "schema": i.schema_id}
            for i in issues[:MAX_LISTED_ISSUES]
        ],
    }


def _check_open_badge(document: dict[str, Any]) -> CheckResult:
    default_id = schema_id_for(document)
    to_apply: dict[str, str | None] = {default_id: None}  # our schema id → declared id
    unchecked: list[str] = []
    for declared in _declared_schemas(document):
        try:
            ours = schema_id_for(document, declared)
        except SchemaNotBundled:
            unchecked.append(declared)
            continue
        to_apply.setdefault(ours, declared)
    issues = []
    for named in to_apply.values():
        issues.extend(validate_credential(document, schema_id=named))
    details = _schema_details("open-badges", list(to_apply), unchecked, issues)
    if issues:
        return CheckResult(
            CheckId.SCHEMA,
            Outcome.FAILED,
            Message(
                "The credential does not conform to the Open Badges 3.0 schema: %(count)s "
                "problem(s), the first: %(first)s",
                count=len(issues),
                first=issues[0].message,
            ),
            details,
        )
    if unchecked:
        return CheckResult(
            CheckId.SCHEMA,
            Outcome.WARNING,
            Message(
                "The credential conforms to the Open Badges 3.0 schema; it also names schemas "
                "microcred does not carry and never fetches, not checked: %(schemas)s.",
                schemas=", ".join(unchecked),
            ),
            details,
        )
    return CheckResult(
        CheckId.SCHEMA,
        Outcome.PASSED,
        Message("The credential conforms to the Open Badges 3.0 schema."),
        details,
    )

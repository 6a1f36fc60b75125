"""The parser fuzz targets: each real entry point, and the errors it is documented to raise.

A target feeds one input (bytes) to a parser the way its callers do and lets through only the
parser's *clean* errors, the typed ones its callers turn into a 400 or a report line:

==========  ==============================================  =====================================
target      entry point                                     clean errors
==========  ==============================================  =====================================
``json``    :func:`schemas.json_values.parse_json`          ``ValueError`` (``JSONDecodeError``,
            (with and without ``unique_members``)           ``JsonTooDeep``, ``DuplicateMember``)
``jws``     :func:`keys.suites.vc_jwt.verify_jwt`           :class:`keys.errors.KeysError`
``baked``   :func:`schemas.baking.unbake`, ``bake_png``,    :class:`schemas.baking.BakingError`
            ``bake_svg`` (``POST /api/bake``)
``input``   :func:`verifier.inputs.parse_input`             ``UnusableInput``
``verify``  :meth:`verifier.service.Verifier.verify_many`   none: it returns a report
``vcapi``   ``verifier.vcapi.verify_credential`` and        ``InvalidVerifyRequest``
            ``verify_presentation``
``trust``   :func:`verifier.trust.load_trust_list`          ``TrustListError``
``rule``    :func:`schemas.stack_rule.parse_rule` (and      ``RuleError``
            its narrative and round trip)
``csv``     :func:`issuer.services.batch.read_csv`,         ``InvalidInput``, pydantic's
            then ``AwardCreate`` per row, and the           ``ValidationError``
            failures grouped as the CLI shows them
==========  ==============================================  =====================================

Anything else escaping (``KeyError``, ``TypeError``, ``OverflowError``, ``RecursionError``,
``UnicodeError``, ...) is a finding: over HTTP it would be a 500. For ``verify`` and ``vcapi``
a check that raised is a finding too, although the pipeline catches it (it logs "check …
raised" and reports ``indeterminate``): :class:`InternalCheckError` carries it out.

Inputs a caller refuses before the parser sees them (a CSV body that is not UTF-8 or UTF-16
with a BOM, a VC-API body that is not JSON) are skipped. Nothing touches the network: key
resolution and status lists go to a fetcher that refuses every URL.

Used by ``bench/fuzz/fuzz.py`` (atheris, coverage-guided) and by ``tests/test_fuzz_parsers.py``
(hypothesis, a small deterministic budget in ``make test``).
"""

from __future__ import annotations

import importlib
import logging
import tempfile
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["NOW", "TARGETS", "InternalCheckError", "Target", "signature"]

#: The instant verifications run at (the seed credentials are valid then).
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


class InternalCheckError(AssertionError):
    """A verification check raised (the pipeline caught it and logged "check … raised")."""

    def __init__(self, message: str, original: BaseException) -> None:
        super().__init__(message)
        self.original = original


@dataclass(frozen=True)
class Target:
    """One parser entry point: ``feed`` runs it on an input; ``clean`` are its documented
    errors (swallowed by :meth:`run`); anything else propagates."""

    name: str
    feed: Callable[[bytes], None]
    clean: Callable[[], tuple[type[BaseException], ...]]

    def run(self, data: bytes) -> bool:
        """``True`` if the input was accepted, ``False`` if refused cleanly; raises otherwise."""
        try:
            self.feed(data)
        except self.clean():
            return False
        return True


def signature(error: BaseException) -> str:
    """``Type at file:line`` of the innermost project frame: one finding, however many inputs
    reach it."""
    if isinstance(error, InternalCheckError):
        error = error.original
    where = "?"
    for frame in traceback.extract_tb(error.__traceback__):
        path = Path(frame.filename)
        if path.is_relative_to(ROOT) and not path.is_relative_to(ROOT / ".venv"):
            if path.is_relative_to(ROOT / "bench"):
                continue
            where = f"{path.relative_to(ROOT)}:{frame.lineno}"
    return f"{type(error).__name__} at {where}"


# ------------------------------------------------------------------------------ shared tools


class _OfflineFetcher:
    """A :class:`keys.fetch.Fetcher` that refuses every URL: fuzzing never leaves the process."""

    def fetch(self, url: str, *, accept: str = "application/json") -> Any:
        from keys.errors import FetchBlocked

        raise FetchBlocked(f"offline fuzz run: {url!r} is not fetched", url=url)

    def fetch_json(self, url: str, *, accept: str = "application/json") -> Any:
        return self.fetch(url, accept=accept)


@cache
def _verifier() -> Any:
    from verifier.service import Verifier

    return Verifier(fetcher=_OfflineFetcher())


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@cache
def _pipeline_log() -> _Collect:
    handler = _Collect()
    logging.getLogger("verifier.pipeline").addHandler(handler)
    return handler


@contextmanager
def _no_internal_errors() -> Iterator[None]:
    """Raise :class:`InternalCheckError` if a check raised while the block ran."""
    handler = _pipeline_log()
    handler.records.clear()
    yield
    for record in handler.records:
        if record.exc_info and record.exc_info[1] is not None:
            raise InternalCheckError(record.getMessage(), record.exc_info[1])


# ------------------------------------------------------------------------------ the targets


def _feed_json(data: bytes) -> None:
    from schemas.json_values import parse_json, unique_members

    parse_json(data)
    parse_json(data, object_pairs_hook=unique_members)


def jws_token(data: bytes) -> str:
    """The compact JWS an input stands for: ``~`` then the token itself, or ``header NUL
    payload NUL signature`` (each part base64url-encoded here, so mutations hit the JSON)."""
    from schemas import base64url

    if data.startswith(b"~"):
        return data[1:].decode("latin-1")
    parts = [*data.split(b"\x00", 2), b"", b""][:3]
    return ".".join(base64url.encode(part) for part in parts)


@cache
def _resolver() -> Any:
    from keys.did import KeyResolver

    return KeyResolver(fetcher=_OfflineFetcher())


def _feed_jws(data: bytes) -> None:
    from keys.suites.vc_jwt import verify_jwt

    verify_jwt(jws_token(data), resolver=_resolver())


def _feed_baked(data: bytes) -> None:
    from schemas.baking import PNG_SIGNATURE, bake_png, bake_svg, unbake

    unbake(data)
    if data.startswith(PNG_SIGNATURE):
        bake_png(data, '{"type": ["VerifiableCredential"]}')
    else:
        bake_svg(data, "eyJhbGciOiJFZERTQSJ9.eyJ9.c2ln")


def _feed_input(data: bytes) -> None:
    from verifier.inputs import parse_input

    parse_input(data)


def _feed_verify(data: bytes) -> None:
    with _no_internal_errors():
        _verifier().verify_many(data, now=NOW)


def _feed_vcapi(data: bytes) -> None:
    from schemas.json_values import parse_json
    from verifier import vcapi

    try:
        body = parse_json(data)
    except ValueError:
        return  # the route answers 400 before the VC-API code runs
    with _no_internal_errors():
        if isinstance(body, dict) and "verifiablePresentation" in body:
            vcapi.verify_presentation(_verifier(), body, now=NOW)
        else:
            vcapi.verify_credential(_verifier(), body, now=NOW)


@cache
def _trust_file() -> Path:
    return Path(tempfile.mkdtemp(prefix="microcred-fuzz-")) / "trust.json"


def _feed_trust(data: bytes) -> None:
    from verifier.trust import load_trust_list

    path = _trust_file()
    path.write_bytes(data)
    load_trust_list(path)


def _feed_rule(data: bytes) -> None:
    from schemas.stack_rule import parse_rule, rule_digest, rule_narrative

    rule = parse_rule(data)
    rule_narrative(rule)
    rule_digest(rule)
    again = parse_rule(rule.to_json())
    if again != rule:
        raise AssertionError("a rule does not read back as itself from its published form")


def _feed_csv(data: bytes) -> None:
    from pydantic import ValidationError

    from issuer.models import AwardCreate, BatchResult, BatchRowResult
    from issuer.services.batch import (
        csv_text,
        describe_validation_error,
        failure_groups,
        read_csv,
    )
    from issuer.services.errors import InvalidInput

    try:
        text = csv_text(data)  # the bytes as the route and `award --csv` read them
    except InvalidInput:
        return  # neither UTF-8 nor UTF-16 with a BOM: refused before parsing
    # with and without a default achievement, as `award SLUG --csv` and `award --csv` read
    for achievement in (None, "classroom-environment"):
        try:
            table = read_csv(text, achievement=achievement)
        except InvalidInput:
            continue
        results = []
        for number, (row, line) in enumerate(zip(table.rows, table.lines, strict=True), 1):
            try:
                AwardCreate.model_validate(row)
            except ValidationError as error:
                message = describe_validation_error(error)
                results.append(BatchRowResult(row=number, line=line, ok=False, error=message))
        rows = len(table.rows)
        failed = len(results)
        result = BatchResult(
            batch_id="fuzz", rows=rows, ok=rows - failed, failed=failed, issued=0, results=results
        )
        failure_groups(result, table)


def _errors(*names: str) -> Callable[[], tuple[type[BaseException], ...]]:
    """The clean errors ``module:Class``, imported when the target runs, as its entry point
    is: importing this module (``fuzz.py`` does, for the target names) loads none of them."""

    def clean() -> tuple[type[BaseException], ...]:
        found = []
        for name in names:
            module, _, attribute = name.partition(":")
            found.append(getattr(importlib.import_module(module), attribute))
        return tuple(found)

    return clean


TARGETS: dict[str, Target] = {
    target.name: target
    for target in (
        Target("json", _feed_json, _errors("builtins:ValueError")),
        Target("jws", _feed_jws, _errors("keys.errors:KeysError")),
        Target("baked", _feed_baked, _errors("schemas.baking:BakingError")),
        Target("input", _feed_input, _errors("verifier.inputs:UnusableInput")),
        Target("verify", _feed_verify, _errors()),
        Target("vcapi", _feed_vcapi, _errors("verifier.vcapi:InvalidVerifyRequest")),
        Target("trust", _feed_trust, _errors("verifier.trust:TrustListError")),
        Target("rule", _feed_rule, _errors("schemas.stack_rule:RuleError")),
        Target("csv", _feed_csv, _errors("issuer.services.errors:InvalidInput")),
    )
}

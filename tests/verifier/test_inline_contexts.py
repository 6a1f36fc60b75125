"""Inline (object) contexts in a credential are refused unless the operator allows them.

An inline context that only sets ``@direction``, ``@version`` or ``@propagate`` changes no
triple the proof covers, so it can be added to a signed credential and the proof still
verifies: the context check is where it is caught (issue 17).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.verifier.support import NOW, World, outcomes
from verifier.context import Expectations
from verifier.service import Verifier
from verifier.settings import VerifierSettings

#: Inline contexts that add nothing to the signed triples (each verifies after signing).
AFTER_SIGNING = {
    "@direction": {"@direction": "rtl"},
    "@version": {"@version": 1.1},
    "@propagate": {"@propagate": True},
}


def _with_inline(signed: dict[str, Any], inline: dict[str, Any]) -> dict[str, Any]:
    tampered = copy.deepcopy(signed)
    tampered["@context"] = [*tampered["@context"], inline]
    return tampered


def _verify(world: World, document: dict[str, Any], *, allow: bool) -> Any:
    with Verifier(
        fetcher=world.fetcher(), loader=world.loader, allow_inline_contexts=allow
    ) as verifier:
        return verifier.verify(document, now=NOW, expect=Expectations())


@pytest.mark.parametrize("keyword", list(AFTER_SIGNING))
def test_an_inline_context_added_after_signing_is_refused(world: World, keyword: str) -> None:
    tampered = _with_inline(world.signed(), AFTER_SIGNING[keyword])
    report = _verify(world, tampered, allow=False)
    checks = outcomes(report)
    assert checks["proof"] == "passed"  # why the context check has to say it
    assert checks["context"] == "failed"
    [context] = [c for c in report.checks if str(c.id) == "context"]
    position = len(tampered["@context"]) - 1
    assert f"inline contexts are not accepted (at @context[{position}])" in context.message
    assert report.verdict != "valid"


@pytest.mark.parametrize("keyword", list(AFTER_SIGNING))
def test_the_operator_may_allow_inline_contexts(world: World, keyword: str) -> None:
    tampered = _with_inline(world.signed(), AFTER_SIGNING[keyword])
    assert outcomes(_verify(world, tampered, allow=True))["context"] == "passed"


def test_a_nested_inline_context_is_refused_too(world: World) -> None:
    signed = world.signed()
    signed["credentialSubject"]["@context"] = {"@direction": "rtl"}
    report = _verify(world, signed, allow=False)
    [context] = [c for c in report.checks if str(c.id) == "context"]
    assert str(context.outcome) == "failed"
    assert "at credentialSubject.@context" in context.message


def test_a_credential_of_context_urls_is_untouched(world: World) -> None:
    assert outcomes(_verify(world, world.signed(), allow=False))["context"] == "passed"


def test_the_setting_reaches_the_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    assert VerifierSettings().allow_inline_contexts is False
    monkeypatch.setenv("MICROCRED_VERIFIER_ALLOW_INLINE_CONTEXTS", "true")
    settings = VerifierSettings()
    assert settings.allow_inline_contexts is True
    with Verifier.from_settings(settings) as verifier:
        assert verifier.tools().allow_inline_contexts is True
    with Verifier.from_settings(VerifierSettings(allow_inline_contexts=False)) as verifier:
        assert verifier.tools().allow_inline_contexts is False

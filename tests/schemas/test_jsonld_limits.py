"""The bounds on JSON-LD context work (schemas.jsonld_limits), checked before pyld runs.

A credential whose ``@context`` repeated the VC 2.0 context 5,000 times took 17 s to
canonicalize; these tests hold each limit at its edge, show the refusal comes before any
context is loaded, and that every genuine credential in the vendor data stays within them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from schemas.canonical import canonicalize, to_quads
from schemas.errors import CanonicalizationError, JsonLdLimitExceeded
from schemas.json_values import MAX_JSON_DEPTH
from schemas.jsonld_limits import (
    MAX_CONTEXT_ENTRIES,
    MAX_INLINE_CONTEXT_TERMS,
    MAX_JSON_VALUES,
    MAX_PROPERTY_VALUES,
    MAX_SCOPED_CONTEXT_NESTING,
    MAX_TOTAL_CONTEXT_ENTRIES,
    MAX_VALUE_COMPARISONS,
    check_jsonld_limits,
)
from schemas.loader import bundled_loader
from schemas.samples import sample_micro_credential

VC2 = "https://www.w3.org/ns/credentials/v2"
ISSUER = "did:key:z6Mkon3Necd6NkkyfoGoHxid2znGc59LU3K7mubaRcFbLfLX"


def _credential(**members: Any) -> dict[str, Any]:
    credential = sample_micro_credential(issuer_id=ISSUER)
    credential.update(members)
    return credential


def _urls(count: int) -> list[str]:
    return [f"https://contexts.example/{n}" for n in range(count)]


def _refused(document: Any, limit: str) -> JsonLdLimitExceeded:
    with pytest.raises(JsonLdLimitExceeded) as caught:
        check_jsonld_limits(document)
    assert caught.value.limit == limit
    return caught.value


def test_the_5000_times_repeated_context_is_refused_in_milliseconds() -> None:
    credential = _credential()
    credential["@context"] = [*credential["@context"], *[VC2] * 5000]
    started = time.perf_counter()
    with pytest.raises(JsonLdLimitExceeded) as caught:
        canonicalize(credential, loader=bundled_loader())
    assert time.perf_counter() - started < 0.5
    error = caught.value
    assert (error.limit, error.maximum, error.where) == ("MAX_CONTEXT_ENTRIES", 32, "$.@context")
    assert str(error) == (
        "5003 entries in one @context at $.@context; the limit is 32 "
        "(MAX_CONTEXT_ENTRIES in schemas.jsonld_limits)"
    )
    assert isinstance(error, CanonicalizationError)  # every caller already handles these


def test_one_context_list_may_hold_up_to_the_limit() -> None:
    check_jsonld_limits({"@context": _urls(MAX_CONTEXT_ENTRIES)})
    _refused({"@context": _urls(MAX_CONTEXT_ENTRIES + 1)}, "MAX_CONTEXT_ENTRIES")


def test_the_per_list_limit_holds_in_nested_nodes_too() -> None:
    error = _refused(
        {"@context": VC2, "evidence": [{"@context": _urls(MAX_CONTEXT_ENTRIES + 1)}]},
        "MAX_CONTEXT_ENTRIES",
    )
    assert error.where == "$.evidence[0].@context"


@pytest.mark.parametrize(
    "context",
    [
        [VC2, "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json", VC2],
        [VC2, VC2 + "#"],  # one document, whatever the fragment
    ],
    ids=["repeated", "repeated-with-fragment"],
)
def test_a_context_listed_twice_in_one_list_is_refused(context: list[str]) -> None:
    error = _refused({"@context": context}, "duplicate context")
    assert "is listed twice in one @context" in str(error)
    assert error.where.startswith("$.@context[")


def test_a_node_may_repeat_a_context_of_its_parent() -> None:
    """An embedded endorsement carries its own [VC 2.0, OB] under the credential's: fine."""
    ob = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
    check_jsonld_limits({"@context": [VC2, ob], "endorsement": [{"@context": [VC2, ob]}]})


def test_the_whole_document_has_a_budget_of_context_entries() -> None:
    per_node = 4
    nodes = MAX_TOTAL_CONTEXT_ENTRIES // per_node
    within = {"evidence": [{"@context": _urls(per_node)} for _ in range(nodes)]}
    check_jsonld_limits(within)
    within["evidence"].append({"@context": _urls(1)})
    _refused(within, "MAX_TOTAL_CONTEXT_ENTRIES")


def _inline(terms: int) -> dict[str, Any]:
    return {f"term{n}": f"https://vocab.example/{n}" for n in range(terms)}


def test_inline_context_definitions_are_bounded() -> None:
    check_jsonld_limits({"@context": [VC2, _inline(MAX_INLINE_CONTEXT_TERMS)]})
    _refused({"@context": [VC2, _inline(MAX_INLINE_CONTEXT_TERMS + 1)]}, "MAX_INLINE_CONTEXT_TERMS")


def test_inline_definitions_are_counted_across_the_document() -> None:
    half = MAX_INLINE_CONTEXT_TERMS // 2 + 1
    document = {"@context": _inline(half), "credentialSubject": {"@context": _inline(half)}}
    _refused(document, "MAX_INLINE_CONTEXT_TERMS")


def _scoped(depth: int) -> dict[str, Any]:
    """An inline context whose term ``t`` has a scoped context, ``depth`` levels down."""
    context: dict[str, Any] = {"leaf": "https://vocab.example/leaf"}
    for level in range(depth):
        context = {"t": {"@id": f"https://vocab.example/t{level}", "@context": context}}
    return context


def test_scoped_contexts_nest_only_so_deep() -> None:
    check_jsonld_limits({"@context": [VC2, _scoped(MAX_SCOPED_CONTEXT_NESTING)]})
    error = _refused(
        {"@context": [VC2, _scoped(MAX_SCOPED_CONTEXT_NESTING + 1)]}, "MAX_SCOPED_CONTEXT_NESTING"
    )
    assert error.where.startswith("$.@context[1].t.@context.t.")


def test_scoped_contexts_count_against_the_document_budget() -> None:
    """Many term definitions each with a scoped context of many URLs: over the total."""
    context = {
        f"t{n}": {"@id": f"https://vocab.example/{n}", "@context": _urls(MAX_CONTEXT_ENTRIES)}
        for n in range(3)
    }
    _refused({"@context": context}, "MAX_TOTAL_CONTEXT_ENTRIES")


def test_imports_count_as_context_entries() -> None:
    """32 inline contexts each importing a URL: 64 entries, the budget; one more is over (it
    would be 33 if imports were free)."""
    imports = [{"@import": url} for url in _urls(MAX_CONTEXT_ENTRIES)]
    assert 2 * MAX_CONTEXT_ENTRIES == MAX_TOTAL_CONTEXT_ENTRIES
    check_jsonld_limits({"@context": imports})
    _refused({"@context": imports, "a": {"@context": VC2}}, "MAX_TOTAL_CONTEXT_ENTRIES")


def test_json_nesting_is_bounded_for_documents_given_as_objects() -> None:
    document: dict[str, Any] = {"leaf": "x"}
    for _ in range(5 * MAX_JSON_DEPTH):
        document = {"child": [document]}
    error = _refused(document, "MAX_JSON_DEPTH")
    assert error.maximum == MAX_JSON_DEPTH


# ------------------------------------------------------------------ values per property


def test_a_credential_with_8000_tags_is_refused_in_milliseconds() -> None:
    """pyld compares each value it adds to a property with those already there: 8,000 tags
    (150 kB) took 40 s to canonicalize."""
    credential = _credential()
    credential["credentialSubject"]["achievement"]["tag"] = [f"tag {n}" for n in range(8000)]
    started = time.perf_counter()
    with pytest.raises(JsonLdLimitExceeded) as caught:
        canonicalize(credential, loader=bundled_loader())
    assert time.perf_counter() - started < 0.5
    assert caught.value.limit == "MAX_PROPERTY_VALUES"
    assert caught.value.where == "$.credentialSubject.achievement.tag"


def test_one_array_may_hold_up_to_the_limit() -> None:
    check_jsonld_limits({"tag": list(range(MAX_PROPERTY_VALUES))})
    error = _refused({"tag": list(range(MAX_PROPERTY_VALUES + 1))}, "MAX_PROPERTY_VALUES")
    assert f"{MAX_PROPERTY_VALUES + 1} items in one array" in str(error)


def test_arrays_inside_arrays_are_bounded_too() -> None:
    _refused({"list": [list(range(MAX_PROPERTY_VALUES + 1))]}, "MAX_PROPERTY_VALUES")


def test_values_of_one_node_are_counted_across_the_document() -> None:
    """Objects with one id are one node: pyld gathers their values into one property."""
    half = MAX_PROPERTY_VALUES // 2 + 1
    node = "https://example.org/achievements/1"
    document = {"a": {"id": node, "tag": list(range(half))}, "b": [{"id": node, "tag": [0] * half}]}
    error = _refused(document, "MAX_PROPERTY_VALUES")
    assert node in str(error)
    check_jsonld_limits(
        {"a": {"id": node, "tag": list(range(half))}, "b": [{"id": node + "/2", "tag": [0] * half}]}
    )


def test_many_long_properties_are_bounded_in_all() -> None:
    """Each property within its limit, their duplicate checks together over the budget."""
    size = MAX_PROPERTY_VALUES // 2
    count = MAX_VALUE_COMPARISONS // (size * size) - 1  # room left for the outer array
    within = {"a": [{"tag": list(range(size))} for _ in range(count)]}
    check_jsonld_limits(within)
    within["a"].append({"tag": list(range(size))})
    _refused(within, "MAX_VALUE_COMPARISONS")


def test_the_document_has_a_budget_of_json_values() -> None:
    """Many short properties: no square to speak of, but linear work with no end."""
    members = 100
    groups = MAX_JSON_VALUES // (members + 1)
    document = {f"g{g}": {f"m{n}": n for n in range(members)} for g in range(groups)}
    check_jsonld_limits(document)  # groups * (members + 1) values: within
    document["more"] = {f"m{n}": n for n in range(members)}
    _refused(document, "MAX_JSON_VALUES")


def test_to_quads_refuses_before_loading_any_context() -> None:
    """The bound comes before pyld: the document loader is never asked for anything."""
    asked: list[str] = []

    def recording_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        asked.append(url)
        return bundled_loader()(url, options)

    credential = _credential()
    credential["@context"] = [*credential["@context"], VC2]
    with pytest.raises(JsonLdLimitExceeded):
        to_quads(credential, loader=recording_loader)
    assert asked == []
    to_quads(_credential(), loader=recording_loader)
    assert asked  # the same loader, within the limits, is used


def _vendor_credentials(root: Path) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*.json*")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError):
            continue
        if isinstance(document, dict) and "@context" in document and "proof" in document:
            found.append(path)
    return found


def test_every_signed_vendor_document_is_within_the_limits(vendor: Path) -> None:
    """The W3C and 1EdTech test vectors and fixtures (OB 3.0 with endorsements, VC 1.1, VC
    2.0, status lists): genuine credentials are far from every limit."""
    paths = _vendor_credentials(vendor)
    assert len(paths) > 40
    for path in paths:
        check_jsonld_limits(json.loads(path.read_text(encoding="utf-8")))

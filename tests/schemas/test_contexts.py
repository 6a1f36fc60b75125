"""The bundled JSON-LD contexts: pinned, equal to the published references, never fetched.

The contexts come from npm packages (``scripts/extract_contexts.py``); the reference copies in
``../shared/vendor-data`` come from the specification repositories. Comparing the two catches a
wrong file mapped to a URL, a stale package, or an edit to a bundled file.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld

from schemas.errors import ContextNotBundled
from schemas.loader import (
    BUNDLED_CONTEXT_URLS,
    CONTEXTS_DIR,
    BundledContextCorrupted,
    bundled_document,
    bundled_loader,
    load_bundle,
    preloading_loader,
    read_manifest,
)

OB = "https://purl.imsglobal.org/spec/ob/v3p0/"
DCV_CONTEXTS = "digital-credentials-public-validator/inspector-vc/src/main/resources/contexts/"
DCV_FIXTURES = "digital-credentials-public-validator/inspector-vc/src/test/resources/ob30/"

#: The W3C-published SHA-256 of https://www.w3.org/ns/credentials/v2 (VC DM 2.0, §B.1).
VC_V2_PUBLISHED_SHA256 = "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734"

#: Each bundled URL -> the vendor-data file it must equal as parsed JSON. Where two references
#: exist and disagree, the comment says which one we follow and why.
REFERENCES: dict[str, str] = {
    "https://www.w3.org/2018/credentials/v1": "vc-data-model/contexts/credentials/v1",
    "https://www.w3.org/ns/credentials/v2": "vc-data-model/contexts/credentials/v2",
    OB + "context.json": "openbadges-specification/ob_v3p0/context.json",
    OB + "context-3.0.1.json": "openbadges-specification/ob_v3p0/context-3.0.1.json",
    OB + "context-3.0.2.json": "openbadges-specification/ob_v3p0/context-3.0.2.json",
    # The spec repository's 3.0.3, not the validator's copy (which adds jti/endorsementJwt, see
    # test_validator_ob_303_only_adds_jti_and_endorsement_jwt).
    OB + "context-3.0.3.json": "openbadges-specification/ob_v3p0/context-3.0.3.json",
    # The spec repository has no extensions.json; the validator's snapshot is the only reference.
    OB + "extensions.json": DCV_CONTEXTS + "ob-v3p0-extensions.json",
    "https://w3id.org/security/data-integrity/v1": "vc-data-integrity/contexts/data-integrity/v1",
    "https://w3id.org/security/data-integrity/v2": "vc-data-integrity/contexts/data-integrity/v2",
    "https://w3id.org/security/multikey/v1": "vc-data-integrity/contexts/multikey/v1",
    # The validator's snapshot of the served w3id.org document, not vc-di-eddsa's
    # contexts/lds-ed25519-2020-v1.json (a reduced variant, see test_vc_di_eddsa_ed25519_...).
    "https://w3id.org/security/suites/ed25519-2020/v1": (
        DCV_CONTEXTS + "security-suites-ed25519-2020-v1.jsonld"
    ),
    "https://www.w3.org/ns/credentials/status/v1": "vc-bitstring-status-list/contexts/v1.jsonld",
    "https://www.w3.org/ns/did/v1": DCV_CONTEXTS + "did-v1.jsonld",
    "https://w3id.org/vc/status-list/2021/v1": "vc-bitstring-status-list/contexts/2021/v1.jsonld",
}

#: Bundled URLs with no copy in ../shared/vendor-data: the expected document, written out here.
#: undefined-terms/v2 is W3C's published one-line context (VC DM 2.0) mapping every term it does
#: not otherwise define to ``https://www.w3.org/ns/credentials/undefined-term#``.
INLINE_REFERENCES: dict[str, Any] = {
    "https://www.w3.org/ns/credentials/undefined-terms/v2": {
        "@context": {"@vocab": "https://www.w3.org/ns/credentials/undefined-term#"}
    },
}

#: Bundled URLs no vendor-data file carries and whose document is not written out here either,
#: and what checks them instead.
WITHOUT_VENDOR_REFERENCE: dict[str, str] = {
    # Only the legacy Ed25519Signature2018 needs it; tests/interop/test_suites_interop.py checks
    # it equals the document Digital Bazaar's ed25519-signature-2018 library loads.
    "https://w3id.org/security/suites/ed25519-2018/v1": "tests/interop/test_suites_interop.py",
}


def _read_json(path: Path) -> Any:
    return json.loads(path.read_bytes())


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a socket or resolve a name fails the test loudly."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


# --- manifest and pins ------------------------------------------------------------------------


def test_every_manifest_file_hashes_to_its_pin() -> None:
    for entry in read_manifest():
        data = CONTEXTS_DIR.joinpath(entry.file).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry.sha256, entry.file


def test_manifest_lists_exactly_the_files_on_disk() -> None:
    on_disk = {p.name for p in CONTEXTS_DIR.iterdir() if p.name.endswith(".json")}
    assert on_disk - {"manifest.json"} == {e.file for e in read_manifest()}


def test_manifest_records_provenance_and_a_permissive_license() -> None:
    permissive = {"MIT", "BSD-3-Clause", "Apache-2.0", "W3C-20150513"}
    for entry in read_manifest():
        assert entry.package and entry.version, entry.url
        assert entry.license in permissive, entry


def test_bundled_urls_are_the_manifest_urls_and_all_have_a_reference() -> None:
    assert {e.url for e in read_manifest()} == BUNDLED_CONTEXT_URLS
    references = [set(REFERENCES), set(INLINE_REFERENCES), set(WITHOUT_VENDOR_REFERENCE)]
    assert set().union(*references) == BUNDLED_CONTEXT_URLS
    assert sum(len(r) for r in references) == len(BUNDLED_CONTEXT_URLS)  # each URL in one


@pytest.mark.parametrize("url", sorted(INLINE_REFERENCES))
def test_bundled_context_equals_inline_reference(url: str) -> None:
    assert bundled_document(url) == INLINE_REFERENCES[url]


# --- content against the published references -------------------------------------------------


@pytest.mark.parametrize("url", sorted(REFERENCES))
def test_bundled_context_equals_reference(vendor: Path, url: str) -> None:
    assert bundled_document(url) == _read_json(vendor / REFERENCES[url])


def test_vc_v2_reference_is_the_w3c_published_digest(vendor: Path) -> None:
    """Our VC v2 bytes are not the W3C bytes, so we cannot assert the published digest on them.

    The npm package ships the context without the blank lines of the W3C file, and the
    extraction script re-serializes it anyway. What we can pin: the reference we compare against
    is exactly the document W3C published (digest 59955ced…), and the bundle equals it as JSON.
    """
    reference = (vendor / REFERENCES["https://www.w3.org/ns/credentials/v2"]).read_bytes()
    assert hashlib.sha256(reference).hexdigest() == VC_V2_PUBLISHED_SHA256
    assert bundled_document("https://www.w3.org/ns/credentials/v2") == json.loads(reference)


def test_validator_ob_303_only_adds_jti_and_endorsement_jwt(vendor: Path) -> None:
    """The validator's 3.0.3 = the spec's 3.0.3 plus two top-level terms (SOURCES.md caveat).

    We bundle the spec-repository content (that is what the npm package carries). Consequence:
    a credential using top-level ``endorsementJwt`` or ``jti`` with context 3.0.3 has terms our
    bundled context does not define.
    """
    ours = bundled_document(OB + "context-3.0.3.json")["@context"]
    validator = _read_json(vendor / (DCV_CONTEXTS + "ob-v3p0-3.0.3.json"))["@context"]
    assert set(validator) - set(ours) == {"jti", "endorsementJwt"}
    assert {k: v for k, v in validator.items() if k not in ("jti", "endorsementJwt")} == ours


def test_vc_di_eddsa_ed25519_2020_file_is_a_reduced_variant(vendor: Path) -> None:
    """vc-di-eddsa's lds-ed25519-2020-v1.json is not the w3id.org document we bundle.

    It lacks e.g. ``proof``, ``controller``/``revoked`` and the capability purposes, and adds
    ``signature``. The validator's snapshot of the served URL matches the npm package, so that
    is our reference (see REFERENCES).
    """
    variant = _read_json(vendor / "vc-di-eddsa/contexts/lds-ed25519-2020-v1.json")
    ours = bundled_document("https://w3id.org/security/suites/ed25519-2020/v1")
    assert variant != ours
    assert "signature" in variant["@context"]["Ed25519Signature2020"]["@context"]
    assert "proof" in ours["@context"] and "proof" not in variant["@context"]


# --- loader behaviour -------------------------------------------------------------------------


@pytest.mark.usefixtures("no_network")
def test_unknown_url_raises_without_network() -> None:
    load = bundled_loader()
    with pytest.raises(ContextNotBundled) as err:
        load("https://example.org/not-a-bundled-context", {})
    assert err.value.url == "https://example.org/not-a-bundled-context"
    with pytest.raises(ContextNotBundled):
        bundled_document("https://www.w3.org/ns/credentials/examples/v2")


@pytest.mark.usefixtures("no_network")
def test_pyld_fails_closed_on_an_unknown_context() -> None:
    doc = {"@context": ["https://www.w3.org/ns/credentials/v2", "https://evil.example/ctx"]}
    with pytest.raises(jsonld.JsonLdError) as err:
        jsonld.expand(doc, {"documentLoader": bundled_loader()})
    causes = []
    cause: BaseException | None = err.value
    while cause is not None:
        causes.append(cause)
        cause = cause.__cause__ or getattr(cause, "cause", None)
    assert any(isinstance(c, ContextNotBundled) for c in causes)


def test_loader_returns_a_pyld_remote_document() -> None:
    url = "https://www.w3.org/ns/credentials/v2"
    remote = bundled_loader()(url, None)
    assert remote == {"contextUrl": None, "documentUrl": url, "document": bundled_document(url)}


def test_same_cached_object_but_a_fresh_wrapper() -> None:
    load = bundled_loader()
    url = OB + "context-3.0.3.json"
    first, second = load(url, None), load(url, None)
    assert first["document"] is second["document"] is bundled_document(url)
    assert first is not second  # pyld writes documentUrl into the wrapper; it must not be shared
    assert bundled_loader() is load


def test_fragment_is_the_same_document_but_no_other_alias() -> None:
    url = "https://www.w3.org/ns/credentials/v2"
    assert bundled_document(url + "#") is bundled_document(url)
    assert bundled_loader()(url + "#", None)["documentUrl"] == url
    for alias in ("http://www.w3.org/ns/credentials/v2", url + "/", url + ".jsonld"):
        with pytest.raises(ContextNotBundled):
            bundled_document(alias)


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize(
    "fixture",
    [
        "simple.json",
        "complete.json",
        "complete_v1.json",
        "endorsement-valid.json",
        "simple_v1.json",
        "bit-string-list/credential-status-revoked.json",
    ],
)
def test_pyld_expands_validator_fixtures_offline_and_leaves_the_bundle_untouched(
    vendor: Path, fixture: str
) -> None:
    before = {url: copy.deepcopy(bundled_document(url)) for url in BUNDLED_CONTEXT_URLS}
    expanded = jsonld.expand(
        _read_json(vendor / DCV_FIXTURES / fixture), {"documentLoader": bundled_loader()}
    )
    assert expanded
    assert {url: bundled_document(url) for url in BUNDLED_CONTEXT_URLS} == before


def test_a_tampered_file_is_refused(tmp_path: Path) -> None:
    shutil.copytree(Path(str(CONTEXTS_DIR)), tmp_path / "contexts")
    entry = read_manifest()[0]
    target = tmp_path / "contexts" / entry.file
    target.write_bytes(target.read_bytes().replace(b"https://", b"http://", 1))
    with pytest.raises(BundledContextCorrupted, match=entry.file):
        load_bundle(tmp_path / "contexts")


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    shutil.copytree(Path(str(CONTEXTS_DIR)), tmp_path / "contexts")
    entry = read_manifest()[-1]
    (tmp_path / "contexts" / entry.file).unlink()
    with pytest.raises(BundledContextCorrupted, match="missing"):
        load_bundle(tmp_path / "contexts")


# --- preloading -------------------------------------------------------------------------------


@pytest.mark.usefixtures("no_network")
def test_preloading_serves_extra_documents_then_falls_back(vendor: Path) -> None:
    examples_url = "https://www.w3.org/ns/credentials/examples/v2"
    examples = _read_json(vendor / "vc-data-model/contexts/credentials/examples/v2")
    load = preloading_loader(bundled_loader(), {examples_url: examples})

    assert load(examples_url, None)["document"] is examples
    assert load(examples_url + "#", None)["documentUrl"] == examples_url
    v2 = "https://www.w3.org/ns/credentials/v2"
    assert load(v2, None)["document"] is bundled_document(v2)
    with pytest.raises(ContextNotBundled):
        load("https://example.org/unknown", None)


@pytest.mark.usefixtures("no_network")
def test_preloaded_context_works_through_pyld(vendor: Path) -> None:
    """W3C test vectors use the examples context; tests preload it, production never has it."""
    unsigned = _read_json(vendor / "vc-di-eddsa/TestVectors/unsigned.json")
    examples_url = "https://www.w3.org/ns/credentials/examples/v2"
    assert examples_url in unsigned["@context"]
    examples = _read_json(vendor / "vc-data-model/contexts/credentials/examples/v2")
    load = preloading_loader(bundled_loader(), {examples_url: examples})
    assert jsonld.expand(unsigned, {"documentLoader": load})


def test_preloading_takes_precedence_and_snapshots_the_mapping() -> None:
    url = "https://www.w3.org/ns/credentials/v2"
    override: dict[str, Any] = {"@context": {}}
    documents = {url: override}
    load = preloading_loader(bundled_loader(), documents)
    documents["https://example.org/late"] = {"@context": {}}
    assert load(url, None)["document"] is override
    with pytest.raises(ContextNotBundled):
        load("https://example.org/late", None)


def test_preloading_refuses_two_documents_for_one_url() -> None:
    with pytest.raises(ValueError, match="two different documents"):
        preloading_loader(
            bundled_loader(),
            {"https://example.org/a": {"@context": {}}, "https://example.org/a#": {"x": 1}},
        )

"""Trust lists: both formats, strict loading with errors that name the file and field."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.verifier.support import World, outcomes
from verifier.report import CheckId
from verifier.trust import TrustListError, TrustStore, load_trust_list, parse_trust_list

DOC = Path(__file__).resolve().parents[2] / "verifier" / "TRUST_LISTS.md"


def _write(tmp_path: Path, name: str, document: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def test_the_documented_examples_load() -> None:
    """Both examples in TRUST_LISTS.md are valid lists (the RSA key is shortened there)."""
    blocks = re.findall(r"```json\n(.*?)```", DOC.read_text(), re.DOTALL)
    microcred, dcc = (json.loads(block) for block in blocks)
    for issuer in microcred["issuers"]:
        issuer.pop("keys", None)
    assert parse_trust_list(microcred).format == "microcred"
    assert parse_trust_list(dcc, source="dcc.json").name == "dcc"


def test_microcred_format(tmp_path: Path, world: World) -> None:
    path = _write(
        tmp_path,
        "nm.json",
        {
            "name": "NM PED",
            "issuers": [
                {
                    "id": world.did_a,
                    "name": "A",
                    "jurisdiction": "US-NM",
                    "purposes": ["renewal-credit"],
                    "keys": [world.key_b.public_key.jwk()],
                }
            ],
        },
    )
    store = TrustStore.from_files([path])
    [match] = store.lookup(world.did_a, "any achievement")
    assert (match.list_name, match.jurisdiction, match.purposes) == (
        "NM PED",
        "US-NM",
        ("renewal-credit",),
    )
    assert store.pinned_keys(world.did_a) == [world.key_b.public_key]
    assert store.lookup(world.did_b) == []


def test_dcc_legacy_format(tmp_path: Path, world: World) -> None:
    path = _write(
        tmp_path,
        "known-dids.json",
        {"registry": {world.did_a: {"name": "A University", "location": "Santa Fe, NM"}}},
    )
    trust_list = load_trust_list(path)
    assert trust_list.format == "dcc-legacy"
    assert trust_list.name == "known-dids"
    report = world.verify(world.signed(), trust=TrustStore([trust_list]))
    check = report.check(CheckId.TRUST)
    assert check.outcome.value == "passed"
    assert check.details["matches"][0]["issuerName"] == "A University"


def test_several_lists_report_every_match(world: World) -> None:
    first = parse_trust_list({"name": "State", "issuers": [{"id": world.did_a}]})
    second = parse_trust_list({"registry": {world.did_a: {"name": "A"}}}, source="dcc.json")
    report = world.verify(world.signed(), trust=TrustStore([first, second]))
    assert [m["list"] for m in report.check(CheckId.TRUST).details["matches"]] == ["State", "dcc"]


@pytest.mark.parametrize(
    "document, message",
    [
        ([], "must be a JSON object"),
        ({"issuers": []}, "name must be a non-empty string"),
        ({"name": "x", "issuers": {}}, "issuers must be an array"),
        ({"name": "x", "issuers": [{"name": "no id"}]}, r"issuers\[0\]\.id must be"),
        ({"name": "x", "issuers": [{"id": "did:x", "purposes": "renewal"}]}, "purposes must"),
        ({"name": "x", "issuers": [{"id": "did:x", "keys": [{"kty": "OKP"}]}]}, "not a usable"),
        ({"registry": []}, "keyed by issuer DID"),
        ({"something": 1}, "not a trust list"),
    ],
)
def test_bad_lists_name_the_file_and_field(document: object, message: str) -> None:
    with pytest.raises(TrustListError, match=message) as caught:
        parse_trust_list(document, source="office.json")
    assert str(caught.value).startswith("office.json")


def test_a_private_key_in_a_list_is_refused(world: World) -> None:
    jwk = world.key_a.private_jwk()
    with pytest.raises(TrustListError, match=r"issuers\[0\]\.keys\[0\] is a PRIVATE key"):
        parse_trust_list({"name": "x", "issuers": [{"id": "did:x", "keys": [jwk]}]})


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(TrustListError, match="cannot read"):
        load_trust_list(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(TrustListError, match="bad.json: not valid JSON"):
        load_trust_list(bad)


def test_no_lists_means_trust_is_skipped(world: World) -> None:
    assert outcomes(world.verify(world.signed(), trust=TrustStore()))["trust"] == "skipped"


def test_a_credential_without_an_issuer_id_is_on_no_list(world: World) -> None:
    credential = world.signed()
    del credential["issuer"]["id"]
    report = world.verify(credential, trust=world.trust({"id": world.did_a}))
    assert outcomes(report)["trust"] == "warning"  # the schema check is what fails it
    assert report.verdict.value == "invalid"
    assert "names no issuer id" in report.check(CheckId.TRUST).message


@pytest.mark.parametrize(
    "text", ["[" * 100_000, '{"registry": ' * 2000 + "{}" + "}" * 2000, '{"name": NaN}']
)
def test_a_list_nested_past_any_limit_or_with_nan_is_not_json(tmp_path: Path, text: str) -> None:
    """Found while writing the fuzz harness (bench/fuzz, target trust): json.loads raised
    RecursionError on deep nesting, which escaped as a crash at start-up."""
    deep = tmp_path / "deep.json"
    deep.write_text(text)
    with pytest.raises(TrustListError, match="deep.json: not valid JSON"):
        load_trust_list(deep)

"""The stack rule format (schemas.stack_rule) and its evaluation (schemas.stack_eval): pure
functions, no I/O — what the issuer and the verifier both rely on."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from schemas.samples import sample_micro_credential
from schemas.stack_eval import (
    ComponentEvidence,
    ComponentState,
    ScoredResult,
    Status,
    component_from_credential,
    evaluate,
    window_start,
)
from schemas.stack_rule import (
    RuleError,
    StackRule,
    Window,
    canonical_rule_bytes,
    digest_matches,
    parse_rule,
    rule_digest,
    rule_narrative,
    stack_rule_json_schema,
)

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schemas" / "stack_rule_v1.schema.json"
BASE = "https://ped.nm.example/achievements"
PED = "did:web:ped.nm.example"


def component_req(slug: str, **members: Any) -> dict[str, Any]:
    return {
        "type": "component",
        "id": slug,
        "name": slug.upper(),
        "anyVersionOf": [f"{BASE}/{slug}"],
        "issuers": [{"id": PED, "name": "NM PED"}],
        "minResult": {"resultType": "Percent", "value": 85},
        **members,
    }


def rule_doc(*requirements: dict[str, Any], **members: Any) -> dict[str, Any]:
    return {
        "type": "StackRule",
        "format": 1,
        "id": f"{BASE}/stack/v1/rule.json",
        "achievement": f"{BASE}/stack/v1",
        "version": 1,
        "name": "A stack",
        "requirements": list(requirements),
        **members,
    }


def comp(
    slug: str,
    when: tuple[int, int, int] = (2026, 1, 1),
    *,
    scores: tuple[str, ...] = ("92",),
    issuer: str = PED,
    state: ComponentState = ComponentState.VALID,
    trusted: bool | None = None,
    kind: str = "MicroCredential",
    ref: str | None = None,
    version: int = 1,
) -> ComponentEvidence:
    return ComponentEvidence(
        ref=ref or f"urn:{slug}:{when}",
        achievement_id=f"{BASE}/{slug}/v{version}",
        achievement_type=kind,
        achievement_name=slug.upper(),
        issuer_id=issuer,
        issued=datetime(*when, tzinfo=UTC),
        results=tuple(ScoredResult("Percent", s, "Mastery component") for s in scores),
        state=state,
        problem="it is revoked" if state is ComponentState.INVALID else None,
        trusted=trusted,
    )


def statuses(evaluation) -> dict[str, str]:
    return {r.id: str(r.status) for r in evaluation.requirements}


# --------------------------------------------------------------------------- the format


def test_a_rule_reads_and_publishes_in_a_normal_form() -> None:
    rule = parse_rule(rule_doc(component_req("a"), component_req("b", issuers=[PED])))
    published = rule.to_json()
    assert list(published)[:4] == ["type", "format", "id", "name"]
    assert published["requirements"][0]["minResult"] == {"resultType": "Percent", "value": "85"}
    assert published["requirements"][1]["issuers"] == [{"id": PED}]  # bare ids become objects
    assert parse_rule(published) == rule
    assert parse_rule(canonical_rule_bytes(rule)) == rule
    assert parse_rule(json.dumps(published).encode()) == rule


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ({"type": "Achievement"}, "not a stack rule"),
        (rule_doc(component_req("a"), format=2), "format 2"),
        (rule_doc(component_req("a"), component_req("a")), "two requirements have the id 'a'"),
        (rule_doc({"type": "component", "id": "x", "name": "X"}), "needs achievement"),
        (
            rule_doc(
                {"type": "choose", "id": "c", "name": "C", "n": 3, "of": [component_req("a")]}
            ),
            "chooses 3 of only 1",
        ),
        (rule_doc(component_req("a"), id="rule.json"), "absolute URI"),
        (rule_doc(component_req("a", minimumResult={"value": 1})), "Extra inputs"),
        (rule_doc(component_req("a", minResult={"resultType": "Percent", "value": "x"})), "number"),
        (rule_doc(), "at least 1 item"),
        (rule_doc(component_req("a"), within={}), "a window needs"),
    ],
)
def test_what_is_not_a_rule(document: Any, words: str) -> None:
    with pytest.raises(RuleError) as raised:
        parse_rule(document)
    assert words in str(raised.value)


def test_nesting_is_bounded() -> None:
    requirement: dict[str, Any] = component_req("leaf")
    for depth in range(8):
        requirement = {"type": "all", "id": f"g{depth}", "name": "G", "of": [requirement]}
    with pytest.raises(RuleError, match="nested more than"):
        parse_rule(rule_doc(requirement))
    with pytest.raises(RuleError, match="not JSON"):
        parse_rule(b"{not json")


def test_the_json_schema_file_is_the_export_and_validates_rules() -> None:
    assert json.loads(SCHEMA_FILE.read_text()) == stack_rule_json_schema()
    validator = Draft202012Validator(stack_rule_json_schema())
    good = parse_rule(
        rule_doc(
            component_req("a"),
            {"type": "choose", "id": "c", "name": "C", "n": 1, "of": [component_req("b")]},
            {"type": "stack", "id": "s", "name": "S", "rule": rule_doc(component_req("d"))},
            within={"years": 3},
        )
    ).to_json()
    assert list(validator.iter_errors(good)) == []
    assert list(validator.iter_errors({**good, "requirements": []}))
    assert list(validator.iter_errors({**good, "extra": 1}))


def test_the_digest_pins_the_content_not_the_layout() -> None:
    rule = parse_rule(rule_doc(component_req("a")))
    sri = rule_digest(rule)
    assert sri.startswith("sha384-") and rule_digest(rule, "sha256").startswith("sha256-")
    pretty = json.dumps(rule.to_json(), indent=4).encode()
    assert digest_matches(sri, canonical_rule_bytes(rule)) is True
    assert digest_matches(sri, pretty) is True
    changed = rule.to_json()
    changed["requirements"][0]["minResult"]["value"] = "70"
    assert digest_matches(sri, json.dumps(changed).encode()) is False
    assert digest_matches("md5-abc", pretty) is None
    assert digest_matches(sri, b"not json") is False


def test_the_narrative_says_the_rule_in_words() -> None:
    rule = parse_rule(
        rule_doc(
            component_req("ce"),
            {
                "type": "choose",
                "id": "electives",
                "name": "Two electives",
                "n": 2,
                "of": [component_req("rp"), component_req("tic"), component_req("mct")],
            },
            {
                "type": "component",
                "id": "ma",
                "name": "A master's degree",
                "achievementType": ["MasterDegree"],
            },
            within={"years": 3},
            order=True,
            description="Six years of teaching are checked separately.",
        )
    )
    text = rule_narrative(rule)
    assert "- CE, from NM PED, with 85% or higher on each mastery component" in text
    assert "- Two electives: any 2 of the following 3:" in text
    assert "  - TIC, from NM PED" in text
    assert "A master's degree (a MasterDegree credential), from any issuer the checking" in text
    assert "within 3 years" in text and "in the order listed" in text
    assert rule.id in text and text.endswith("Six years of teaching are checked separately.")


def test_window_arithmetic() -> None:
    assert window_start(datetime(2028, 2, 29, tzinfo=UTC), Window(years=3)) == datetime(
        2025, 2, 28, tzinfo=UTC
    )
    assert window_start(datetime(2026, 3, 31, tzinfo=UTC), Window(months=1)) == datetime(
        2026, 2, 28, tzinfo=UTC
    )
    assert window_start(datetime(2026, 1, 10, tzinfo=UTC), Window(months=1, days=10)) == datetime(
        2025, 11, 30, tzinfo=UTC
    )


# --------------------------------------------------------------------------- evaluation

APL = ("ce", "mlss", "al", "clri", "fe")


@pytest.fixture
def apl() -> StackRule:
    return parse_rule(rule_doc(*(component_req(s) for s in APL)))


def test_all_required_components(apl: StackRule) -> None:
    evaluation = evaluate(apl, [comp(s) for s in APL])
    assert evaluation.met and evaluation.status is Status.MET
    assert evaluation.used == tuple(f"urn:{s}:(2026, 1, 1)" for s in APL)
    missing = evaluate(apl, [comp(s) for s in APL[:4]])
    assert statuses(missing)["fe"] == "unmet" and not missing.met
    assert missing.requirements[4].reason == "No credential for FE was found."


def test_each_mastery_component_must_reach_the_minimum(apl: StackRule) -> None:
    mastery = comp("ce", scores=("92", "84.5", "90"))
    evaluation = evaluate(apl, [mastery, *(comp(s) for s in APL[1:])])
    assert statuses(evaluation)["ce"] == "unmet"
    assert "scored 84.5% on Mastery component, below the 85% required" in (
        evaluation.requirements[0].reason
    )
    none = comp("ce", scores=())
    assert "shows no Percent result" in evaluate(apl, [none]).requirements[0].reason
    assert evaluate(apl, [comp("ce", scores=("85",)), *(comp(s) for s in APL[1:])]).met


def test_the_best_candidate_is_taken(apl: StackRule) -> None:
    revoked = comp("ce", (2026, 5, 1), state=ComponentState.INVALID, ref="urn:old")
    good = comp("ce", (2025, 1, 1), ref="urn:good")
    evaluation = evaluate(apl, [revoked, good, *(comp(s) for s in APL[1:])])
    assert evaluation.met and evaluation.requirements[0].used == ("urn:good",)
    only_revoked = evaluate(apl, [revoked, *(comp(s) for s in APL[1:])])
    assert "CE (urn:old) is not valid: it is revoked" in only_revoked.requirements[0].reason


def test_versions_and_issuers(apl: StackRule) -> None:
    v2 = comp("ce", version=2)
    assert statuses(evaluate(apl, [v2]))["ce"] == "met"
    lookalike = ComponentEvidence(
        ref="urn:x", achievement_id=f"{BASE}/ce/v2/evil", results=(ScoredResult("Percent", "99"),),
        issuer_id=PED,
    )  # fmt: skip
    assert statuses(evaluate(apl, [lookalike]))["ce"] == "unmet"
    elsewhere = comp("ce", issuer="did:web:other.example")
    assert "an issuer this requirement does not accept" in (
        evaluate(apl, [elsewhere]).requirements[0].reason
    )


def test_any_trusted_issuer_needs_someone_to_judge_trust() -> None:
    rule = parse_rule(
        rule_doc(
            {"type": "component", "id": "ma", "name": "MA", "achievementType": ["MasterDegree"]}
        )
    )
    degree = {"issuer": "did:key:university", "kind": "MasterDegree"}
    assert evaluate(rule, [comp("ma", **degree, trusted=True)]).met
    unjudged = evaluate(rule, [comp("ma", **degree)])
    assert unjudged.status is Status.INDETERMINATE
    assert "no trust list was given" in unjudged.requirements[0].reason
    assert evaluate(rule, [comp("ma", **degree, trusted=False)]).status is Status.UNMET
    assert evaluate(rule, [comp("ma", issuer="did:key:u", kind="Degree", trusted=True)]).status is (
        Status.UNMET
    )


def test_choose_n_of_electives_each_credential_counts_once() -> None:
    electives = [component_req(s) for s in ("rp", "tic", "mct")]
    rule = parse_rule(
        rule_doc(
            component_req("sel"),
            {"type": "choose", "id": "el", "name": "Two electives", "n": 2, "of": electives},
        )
    )
    evaluation = evaluate(rule, [comp("sel"), comp("rp"), comp("mct"), comp("tic")])
    assert evaluation.met
    [_, chosen] = evaluation.requirements
    assert len(chosen.used) == 2 and [c.status for c in chosen.children].count(Status.MET) == 3
    one = evaluate(rule, [comp("sel"), comp("rp")])
    assert statuses(one)["el"] == "unmet" and "1 of the 2 needed" in one.requirements[1].reason
    maybe = evaluate(
        rule, [comp("sel"), comp("rp"), comp("tic", state=ComponentState.INDETERMINATE)]
    )
    assert maybe.status is Status.INDETERMINATE
    # A credential listed in both a required and an elective slot counts once, for the first.
    overlapping = parse_rule(
        rule_doc(
            component_req("sel"),
            {"type": "choose", "id": "el", "name": "One elective", "n": 1,
             "of": [component_req("sel", id="sel-again"), component_req("rp")]},
        )
    )  # fmt: skip
    assert not evaluate(overlapping, [comp("sel")]).met
    assert evaluate(overlapping, [comp("sel"), comp("rp")]).met


def test_the_same_credential_given_twice_counts_once(apl: StackRule) -> None:
    ce = comp("ce")
    assert evaluate(apl, [ce, ce, *(comp(s) for s in APL[1:])]).met


def test_nested_stacks() -> None:
    inner = rule_doc(component_req("m1"), component_req("m2"), id=f"{BASE}/micro/v1/rule.json",
                     achievement=f"{BASE}/micro/v1")  # fmt: skip
    rule = parse_rule(
        rule_doc(
            {
                "type": "stack",
                "id": "micro",
                "name": "The micro-credential",
                "anyVersionOf": [f"{BASE}/micro"],
                "issuers": [PED],
                "rule": inner,
            },
            component_req("other"),
        )
    )
    by_credential = evaluate(rule, [comp("micro", scores=()), comp("other")])
    assert by_credential.met and by_credential.requirements[0].reason.startswith("Met by MICRO")
    by_parts = evaluate(rule, [comp("m1"), comp("m2"), comp("other")])
    assert by_parts.met
    assert [c.id for c in by_parts.requirements[0].children] == ["m1", "m2"]
    assert not evaluate(rule, [comp("m1"), comp("other")]).met


def test_all_groups_inside_a_choice() -> None:
    rule = parse_rule(
        rule_doc(
            {
                "type": "choose",
                "id": "path",
                "name": "One pathway",
                "n": 1,
                "of": [
                    {"type": "all", "id": "p1", "name": "Pathway 1",
                     "of": [component_req("a"), component_req("b")]},
                    component_req("c"),
                ],
            }
        )
    )  # fmt: skip
    assert evaluate(rule, [comp("a"), comp("b")]).met
    assert evaluate(rule, [comp("c")]).met
    assert not evaluate(rule, [comp("a")]).met


def test_within_a_window() -> None:
    rule = parse_rule(rule_doc(*(component_req(s) for s in ("a", "b", "c")), within={"years": 3}))
    inside = [comp("a", (2024, 1, 1)), comp("b", (2025, 6, 1)), comp("c", (2026, 12, 31))]
    evaluation = evaluate(rule, inside)
    assert evaluation.met and statuses(evaluation)["within"] == "met"
    spread = [comp("a", (2020, 1, 1)), comp("b", (2025, 6, 1)), comp("c", (2026, 12, 31))]
    evaluation = evaluate(rule, spread)
    assert not evaluation.met
    assert statuses(evaluation) == {"a": "met", "b": "met", "c": "met", "within": "unmet"}
    assert "issued from 2020-01-01 to 2026-12-31" in evaluation.requirements[3].reason
    # Earned again within the window, the newer one is used.
    again = evaluate(rule, [*spread, comp("a", (2025, 1, 1), ref="urn:a-again")])
    assert again.met and again.requirements[0].used == ("urn:a-again",)


def test_in_order() -> None:
    rule = parse_rule(rule_doc(component_req("a"), component_req("b"), order=True))
    assert evaluate(rule, [comp("a", (2025, 1, 1)), comp("b", (2026, 1, 1))]).met
    backwards = evaluate(rule, [comp("a", (2026, 1, 1)), comp("b", (2025, 1, 1))])
    assert not backwards.met and statuses(backwards)["order"] == "unmet"


def test_reading_a_credential() -> None:
    credential = sample_micro_credential(score=91)
    component = component_from_credential(credential, trusted=True)
    assert component.ref == credential["id"]
    assert component.achievement_id.endswith("/classroom-environment/v1")
    assert component.achievement_type == "MicroCredential"
    assert component.results == (ScoredResult("Percent", "91", "Mastery component score"),)
    assert component.issued == datetime(2026, 9, 30, tzinfo=UTC)
    assert component.issuer_id == "did:web:ped.nm.example"
    anonymous = component_from_credential({"credentialSubject": "garbage"})
    assert anonymous.ref.startswith("urn:sha256:") and anonymous.achievement_id is None


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(APL),
            st.sampled_from(list(ComponentState)),
            st.integers(min_value=70, max_value=100),
        ),
        max_size=8,
    )
)
def test_met_only_with_valid_components_that_pass(items: list[tuple[str, Any, int]]) -> None:
    """Whatever the components, a met rule used only valid, passing, distinct credentials."""
    rule = parse_rule(rule_doc(*(component_req(s) for s in APL)))
    components = [
        comp(slug, state=state, scores=(str(score),), ref=f"urn:{n}")
        for n, (slug, state, score) in enumerate(items)
    ]
    evaluation = evaluate(rule, components)
    by_ref = {c.ref: c for c in components}
    if evaluation.met:
        assert len(set(evaluation.used)) == 5
        for ref in evaluation.used:
            assert by_ref[ref].state is ComponentState.VALID
            assert int(by_ref[ref].results[0].value) >= 85
    valid = {c.achievement_id.split("/")[-2] for c in components
             if c.state is ComponentState.VALID and int(c.results[0].value) >= 85}  # fmt: skip
    assert evaluation.met == (valid == set(APL))


@pytest.mark.parametrize("value", ["1e999999999", "1E+999999", "1e-999999", "9" * 40, 1e300])
def test_a_minimum_result_with_absurd_digits_is_refused(value: Any) -> None:
    """Found while writing the fuzz harness (bench/fuzz, target rule): ``1e999999999`` raised
    decimal.Overflow out of parse_rule, and ``1e999999`` became a million-digit string."""
    minimum = {"resultType": "Percent", "value": value}
    with pytest.raises(RuleError, match="more digits than a result value needs"):
        parse_rule(rule_doc(component_req("a", minResult=minimum)))


def test_ordinary_minimum_results_still_read() -> None:
    for given_value, read in (("85", "85"), (85.5, "85.5"), ("3.50", "3.5"), ("1e2", "100")):
        minimum = {"resultType": "Percent", "value": given_value}
        rule = parse_rule(rule_doc(component_req("a", minResult=minimum)))
        assert rule.requirements[0].minResult.value == read

"""The tampering suite, sampled: no single mutation that changes what a credential's proof
signed is accepted, and every neutral one is.

The full run (about 17,000 mutations) is ``make soak`` (``bench/tamper.py``); here a fixed
sample of each source's mutations — every kind of mutation with every effect it has on that
source at least once — keeps ``make test`` within about a minute. What is neutral, and why, is
listed in :mod:`tests.verifier.mutations`; the sources in :mod:`tests.verifier.tamper`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.verifier import tamper
from tests.verifier.mutations import Effect, Family, Mutation, family_of, mutations
from tests.verifier.support import World
from verifier.service import Verifier

#: Mutations tried per source (26 sources): about 1,800, some 40 s on these 2-core machines.
PER_SOURCE = 70


@pytest.fixture(scope="module")
def library(world: World) -> list[tamper.Source]:
    return tamper.library_sources(world)


@pytest.fixture(scope="module")
def generated(library: list[tamper.Source]) -> list[tuple[tamper.Source, list[Mutation]]]:
    return [(source, list(mutations(source.credential))) for source in library]


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> list[tamper.Source]:
    return tamper.issued_sources(tmp_path_factory.mktemp("tamper-issuer"))


@pytest.fixture(scope="module")
def verifier(
    library: list[tamper.Source], issued: list[tamper.Source], tmp_path_factory
) -> Iterator[Verifier]:
    with tamper.verifier_for([*library, *issued], tmp_path_factory.mktemp("preloads")) as v:
        yield v


def _check(tallies: dict[str, tamper.Tally], suites: set[str]) -> None:
    assert set(tallies) == suites
    problems = [p for t in tallies.values() for p in (*t.baseline_failures, *t.wrong)]
    assert not problems, "\n".join(problems[:30])
    for tally in tallies.values():
        for effect in Effect:
            assert tally.of(effect) > 0, (tally.suite, effect)
        assert tally.accepted(Effect.CHANGES_CONTENT) == 0
        assert tally.accepted(Effect.MALFORMED) == 0
        assert tally.accepted(Effect.NEUTRAL) == tally.of(Effect.NEUTRAL)


def test_credentials_signed_in_every_suite_resist_every_kind_of_mutation(
    library: list[tamper.Source], verifier: Verifier
) -> None:
    tallies = tamper.run(library, verifier, per_source=PER_SOURCE)
    _check(
        tallies,
        {
            "eddsa-rdfc-2022",
            "ecdsa-rdfc-2019",
            "eddsa-jcs-2022",
            "ecdsa-jcs-2019",
            "Ed25519Signature2020",
            "Ed25519Signature2018",
        },
    )


def test_awards_and_vc_api_credentials_resist_every_kind_of_mutation(
    issued: list[tamper.Source], verifier: Verifier
) -> None:
    tallies = tamper.run(issued, verifier, per_source=PER_SOURCE)
    _check(tallies, {"eddsa-rdfc-2022", "ecdsa-rdfc-2019", "Ed25519Signature2020"})
    assert {s.name.split(" ")[0] for s in issued} == {"service", "VC-API"}


# ------------------------------------------------------------------ the classification itself


def test_the_neutral_set_is_exactly_the_documented_one(generated) -> None:
    """Which kinds are neutral, per suite family: member order and the proof's form for every
    suite; type form, set order, set duplicates for RDFC; the proof's own @context for JCS."""
    neutral: dict[Family, set[str]] = {Family.RDFC: set(), Family.JCS: set()}
    for source, found in generated:
        family = family_of(source.credential)
        for mutation in found:
            if mutation.effect is Effect.NEUTRAL:
                neutral[family].add(mutation.kind.partition("[")[0])
    both = {"object.reverse-members", "proof.object-to-array"}
    assert neutral[Family.JCS] == both | {"object.remove-member"}  # only proof.@context
    assert neutral[Family.RDFC] == both | {
        "type.array-to-string",
        "type.string-to-array",
        "array.reverse",
        "array.duplicate",
    }


def test_jcs_neutral_removal_is_only_the_proof_context(generated) -> None:
    removals = {
        (m.kind, m.path)
        for source, found in generated
        if family_of(source.credential) is Family.JCS
        for m in found
        if m.effect is Effect.NEUTRAL and m.kind.startswith("object.remove-member")
    }
    assert removals == {("object.remove-member[@context]", "$.proof")}


def test_mutations_are_single_changes_and_never_the_original(generated) -> None:
    source, found = generated[0]
    assert len(found) > 500
    assert all(m.document != source.credential or m.effect is Effect.NEUTRAL for m in found)
    kinds = {m.kind.partition("[")[0] for m in found}
    assert {
        "string.flip-middle",
        "string.flip-last",
        "string.append",
        "string.empty",
        "string.swapcase",
        "string.confusable",
        "date.plus-1s",
        "number.plus-1",
        "number.minus-1",
        "boolean.flip",
        "object.remove-member",
        "object.add-member",
        "object.rename-member",
        "array.drop",
        "array.duplicate",
        "array.reverse",
        "context.append-unknown",
        "context.append-redefining",
    } <= kinds
    proof_paths = {m.path for m in found if m.path.startswith("$.proof")}
    for member in ("proofValue", "verificationMethod", "created", "proofPurpose", "cryptosuite"):
        assert f"$.proof.{member}" in proof_paths


def test_the_sample_is_deterministic(library: list[tamper.Source]) -> None:
    first = [(m.kind, m.path) for m in tamper.sample(library[0], PER_SOURCE)]
    again = [(m.kind, m.path) for m in tamper.sample(library[0], PER_SOURCE)]
    assert first == again
    assert len(first) == PER_SOURCE

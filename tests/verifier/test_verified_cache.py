"""Verified status lists kept between verifications: checked once per freshness period, never
kept when they fail, never served past their validity (``verifier.verified_cache``).

The issuer's DID document and lists are answered by a mock transport with ``Cache-Control:
max-age=60``; one fake clock drives the fetcher's cache and the verified one, so "after the
TTL" is a clock step, not a sleep. Signature checks of lists are counted with a spy on the
``check_proof`` the status module calls (lists only: the credential's own proof is checked by
the pipeline's step).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from keys.fetch import GuardedFetcher
from schemas.dates import format_datetime
from schemas.loader import preloading_loader
from tests.verifier.support import (
    DID_URL,
    NOW,
    REVOCATION_URL,
    SUSPENSION_URL,
    WEB_VM,
    Recorder,
    World,
    public_resolver,
    vm_of,
)
from verifier import status as status_module
from verifier.report import CheckId, Verdict
from verifier.service import Verifier
from verifier.trust import TrustStore
from verifier.verified_cache import Verified, VerifiedCache

MAX_AGE = 60
#: The credential indexes of the burst; index 99 is revoked in the published list.
INDEXES = ("7", "99", "512", "4096")


class Clock:
    """A wall clock that moves only when told to."""

    def __init__(self, at: datetime) -> None:
        self.now = at.timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    @property
    def instant(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)


class Issuer:
    """The issuer's web server: its DID document and two lists, each cacheable for a minute."""

    def __init__(self, world: World) -> None:
        self.documents: dict[str, Any] = {
            url: world.published[url] for url in (DID_URL, REVOCATION_URL, SUSPENSION_URL)
        }
        self.max_age = dict.fromkeys(self.documents, MAX_AGE)
        self.recorder = Recorder()
        self.recorder.answers = _Answers(self.documents, self.max_age)

    def fetches(self, url: str) -> int:
        return self.recorder.urls.count(url)


class _Answers(dict[str, httpx.Response]):
    """Recorder answers read from the issuer's current documents at each request (None: 503)."""

    def __init__(self, documents: dict[str, Any], max_age: dict[str, int]) -> None:
        super().__init__()
        self._documents = documents
        self._max_age = max_age

    def get(self, url: str, default: Any = None) -> httpx.Response | None:  # type: ignore[override]
        document = self._documents.get(url)
        if document is None:
            return default
        headers = {"cache-control": f"max-age={self._max_age[url]}"}
        return httpx.Response(200, json=document, headers=headers)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def issuer(world: World) -> Issuer:
    return Issuer(world)


@pytest.fixture
def make_verifier(world: World, issuer: Issuer, clock: Clock) -> Iterator[Callable[..., Verifier]]:
    made: list[Verifier] = []

    def make(trust: TrustStore | None = None) -> Verifier:
        fetcher = GuardedFetcher(
            transport=httpx.MockTransport(issuer.recorder), resolver=public_resolver, clock=clock
        )
        verifier = Verifier(
            fetcher=fetcher,
            loader=world.loader,
            trust=trust,
            verified_lists=VerifiedCache(clock=clock),
        )
        made.append(verifier)
        return verifier

    yield make
    for verifier in made:
        verifier.close()


@pytest.fixture
def list_proofs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every status list whose proof was checked, by id (thread-safe append)."""
    checked: list[str] = []
    real = status_module.check_proof

    def spy(ctx: Any) -> Any:
        checked.append(str(ctx.document.get("id")))
        return real(ctx)

    monkeypatch.setattr(status_module, "check_proof", spy)
    return checked


@pytest.fixture(scope="module")
def credentials(world: World) -> dict[str, dict[str, Any]]:
    """A credential from the did:web issuer at each index of :data:`INDEXES`."""
    signed = {}
    for index in INDEXES:
        credential = world.credential(issuer="did:web:issuer.example")
        credential["id"] = f"urn:uuid:00000000-0000-4000-8000-{int(index):012d}"
        credential["credentialStatus"] = [
            {
                "id": f"{url}#{index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": purpose,
                "statusListIndex": index,
                "statusListCredential": url,
            }
            for url, purpose in ((REVOCATION_URL, "revocation"), (SUSPENSION_URL, "suspension"))
        ]
        signed[index] = world.sign(credential, key=world.web_key, vm=WEB_VM)
    return signed


def _verdicts(verifier: Verifier, credentials: dict[str, dict[str, Any]], at: datetime) -> dict:
    return {
        index: verifier.verify(copy.deepcopy(credential), now=at).verdict
        for index, credential in credentials.items()
    }


EXPECTED = {index: Verdict.INVALID if index == "99" else Verdict.VALID for index in INDEXES}


def test_a_burst_fetches_and_checks_each_list_once(
    make_verifier: Callable[[], Verifier],
    issuer: Issuer,
    clock: Clock,
    credentials: dict[str, dict[str, Any]],
    list_proofs: list[str],
) -> None:
    verifier = make_verifier()
    for _ in range(5):  # 20 verifications, 4 credentials, the same two lists
        assert _verdicts(verifier, credentials, clock.instant) == EXPECTED
    assert list_proofs == [REVOCATION_URL, SUSPENSION_URL]
    assert [issuer.fetches(url) for url in (DID_URL, REVOCATION_URL, SUSPENSION_URL)] == [1, 1, 1]
    assert verifier.verified_lists is not None and verifier.verified_lists.hits == 38


def test_without_the_cache_every_verification_checks_its_lists(
    world: World, issuer: Issuer, credentials: dict[str, dict[str, Any]], list_proofs: list[str]
) -> None:
    """The switch the bench's "before" uses (``cache_verified_lists=False``)."""
    fetcher = GuardedFetcher(
        transport=httpx.MockTransport(issuer.recorder), resolver=public_resolver
    )
    with Verifier(fetcher=fetcher, loader=world.loader, verified_lists=False) as verifier:
        assert _verdicts(verifier, credentials, NOW) == EXPECTED
    assert len(list_proofs) == 2 * len(INDEXES)
    assert issuer.fetches(REVOCATION_URL) == 1  # the fetcher still keeps the bytes


def test_a_published_revocation_is_seen_after_the_ttl(
    make_verifier: Callable[[], Verifier],
    world: World,
    issuer: Issuer,
    clock: Clock,
    credentials: dict[str, dict[str, Any]],
    list_proofs: list[str],
) -> None:
    verifier = make_verifier()
    assert _verdicts(verifier, credentials, clock.instant) == EXPECTED
    issuer.documents[REVOCATION_URL] = world.status_list(REVOCATION_URL, "revocation", (99, 7))
    clock.advance(MAX_AGE - 1)  # still fresh: the body in hand is the one last verified
    assert verifier.verify(credentials["7"], now=clock.instant).verdict is Verdict.VALID
    clock.advance(2)
    report = verifier.verify(credentials["7"], now=clock.instant)
    assert report.verdict is Verdict.INVALID
    assert "REVOKED" in report.check(CheckId.STATUS).message
    assert list_proofs == [REVOCATION_URL, SUSPENSION_URL, REVOCATION_URL, SUSPENSION_URL]
    # the suspension list came back unchanged (same digest) but stale: checked again, since
    # its freshness, not its bytes, bounds how long the check may be reused
    assert _verdicts(verifier, credentials, clock.instant) == {**EXPECTED, "7": Verdict.INVALID}
    assert len(list_proofs) == 4


def test_an_invalid_list_is_never_kept_as_valid(
    make_verifier: Callable[[], Verifier],
    world: World,
    issuer: Issuer,
    clock: Clock,
    credentials: dict[str, dict[str, Any]],
    list_proofs: list[str],
) -> None:
    forged = copy.deepcopy(world.published[REVOCATION_URL])
    cleared = world.status_list(REVOCATION_URL, "revocation")
    forged["credentialSubject"]["encodedList"] = cleared["credentialSubject"]["encodedList"]
    issuer.documents[REVOCATION_URL] = forged
    verifier = make_verifier()
    for _ in range(3):
        report = verifier.verify(credentials["99"], now=clock.instant)
        assert report.verdict is Verdict.INDETERMINATE
        assert "cannot be trusted" in report.check(CheckId.STATUS).message
    assert list_proofs.count(REVOCATION_URL) == 3  # checked (and refused) every time
    assert list_proofs.count(SUSPENSION_URL) == 1

    issuer.documents[REVOCATION_URL] = None  # now unreachable: indeterminate, every time
    clock.advance(MAX_AGE + 1)
    for _ in range(2):
        report = verifier.verify(credentials["7"], now=clock.instant)
        assert report.verdict is Verdict.INDETERMINATE
        assert "could not be retrieved" in report.check(CheckId.STATUS).message


def test_a_kept_list_is_not_used_past_its_valid_until(
    make_verifier: Callable[[], Verifier],
    world: World,
    issuer: Issuer,
    clock: Clock,
    credentials: dict[str, dict[str, Any]],
    list_proofs: list[str],
) -> None:
    ends = clock.instant + timedelta(seconds=30)
    issuer.documents[REVOCATION_URL] = world.status_list(
        REVOCATION_URL, "revocation", (99,), valid_until=format_datetime(ends)
    )
    verifier = make_verifier()
    assert verifier.verify(credentials["7"], now=clock.instant).verdict is Verdict.VALID
    # verified "as of" a moment past the list's end (and its clock skew): the kept list is
    # judged at that moment, not reused as it was judged before
    later = ends + timedelta(minutes=6)
    report = verifier.verify(credentials["7"], now=later)
    assert report.verdict is Verdict.INDETERMINATE
    assert "outside its own validity period" in report.check(CheckId.STATUS).message
    assert list_proofs.count(REVOCATION_URL) == 1
    # within max-age but past validUntil on the wall clock: not served from the cache
    clock.advance(31)
    assert verifier.verify(credentials["7"], now=clock.instant).verdict is Verdict.VALID
    assert list_proofs.count(REVOCATION_URL) == 2
    assert issuer.fetches(REVOCATION_URL) == 2


def test_a_kept_list_lasts_no_longer_than_its_keys_document(
    make_verifier: Callable[[], Verifier],
    issuer: Issuer,
    clock: Clock,
    credentials: dict[str, dict[str, Any]],
    list_proofs: list[str],
) -> None:
    """A key the issuer withdraws stops vouching for its lists once the DID document that
    listed it goes stale, as it stops vouching for its credentials."""
    issuer.max_age[DID_URL] = 10
    verifier = make_verifier()
    assert _verdicts(verifier, credentials, clock.instant) == EXPECTED
    clock.advance(9)
    assert _verdicts(verifier, credentials, clock.instant) == EXPECTED
    assert len(list_proofs) == 2
    clock.advance(2)
    assert _verdicts(verifier, credentials, clock.instant) == EXPECTED
    assert list_proofs == [REVOCATION_URL, SUSPENSION_URL] * 2
    assert issuer.fetches(REVOCATION_URL) == 1  # the list's bytes were still fresh


def test_a_list_bound_to_its_issuer_by_a_trust_list_pin_is_not_kept(
    make_verifier: Callable[..., Verifier],
    world: World,
    issuer: Issuer,
    clock: Clock,
    credentials: dict[str, dict[str, Any]],
    list_proofs: list[str],
) -> None:
    """Trust lists are read afresh at each run (a service's own issuers change), so a binding
    that only a pin makes is judged at each run, never reused."""
    issuer.documents[REVOCATION_URL] = world.status_list(
        REVOCATION_URL, "revocation", (99,), key=world.key_b, vm=vm_of(world.key_b)
    )
    pins = world.trust({"id": "did:web:issuer.example", "keys": [world.key_b.public_key.jwk()]})
    verifier = make_verifier(trust=pins)
    for _ in range(3):
        report = verifier.verify(credentials["99"], now=clock.instant)
        assert "REVOKED" in report.check(CheckId.STATUS).message
    assert list_proofs.count(REVOCATION_URL) == 3
    assert list_proofs.count(SUSPENSION_URL) == 1


def test_concurrent_verifications_agree_and_check_each_list_once(
    make_verifier: Callable[[], Verifier],
    clock: Clock,
    credentials: dict[str, dict[str, Any]],
    list_proofs: list[str],
) -> None:
    verifier = make_verifier()
    start = threading.Barrier(8)

    def run(_: int) -> dict:
        start.wait()
        return _verdicts(verifier, credentials, clock.instant)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(run, range(8)))
    assert results == [EXPECTED] * 8
    assert sorted(list_proofs) == [REVOCATION_URL, SUSPENSION_URL]


def test_a_verifier_on_another_loader_keeps_its_own_lists_from_call_to_call(
    make_verifier: Callable[[], Verifier],
    clock: Clock,
    credentials: dict[str, dict[str, Any]],
    list_proofs: list[str],
) -> None:
    """The VC-API derives its verifier at every request (``with_loader``, with its contexts'
    loader): the lists one request verified are kept for the next, but not shared with the
    verifier on the Open Badges loader, since a list's proof is judged with the contexts its
    loader serves."""
    verifier = make_verifier()
    loader = preloading_loader(verifier.loader, {})
    for _ in range(3):
        report = verifier.with_loader(loader).verify(credentials["7"], now=clock.instant)
        assert report.verdict is Verdict.VALID
    assert list_proofs == [REVOCATION_URL, SUSPENSION_URL]
    assert verifier.verify(credentials["7"], now=clock.instant).verdict is Verdict.VALID
    assert list_proofs == [REVOCATION_URL, SUSPENSION_URL] * 2
    assert verifier.with_loader(verifier.loader) is verifier


# --------------------------------------------------------------------------- the cache itself


def test_the_cache_keeps_successes_only_and_within_its_bounds(clock: Clock) -> None:
    cache: VerifiedCache[str] = VerifiedCache(max_entries=2, max_bytes=100, clock=clock)
    later = clock.now + 10

    def refused() -> Verified[str]:
        raise ValueError("bad proof")

    with pytest.raises(ValueError):
        cache.get_or_verify("https://a", "d1", refused)
    assert len(cache) == 0
    assert cache.get_or_verify("https://a", "d1", lambda: Verified("a1", later, 10)) == "a1"
    assert cache.get_or_verify("https://a", "d1", refused) == "a1"  # kept
    # a new body replaces the old one; a result that may not be kept is used once
    assert cache.get_or_verify("https://a", "d2", lambda: Verified("a2", None, 10)) == "a2"
    assert len(cache) == 0
    assert cache.get_or_verify("https://a", "d2", lambda: Verified("a3", later, 10)) == "a3"
    cache.get_or_verify("https://b", "d", lambda: Verified("b", later, 10))
    cache.get_or_verify("https://c", "d", lambda: Verified("c", later, 10))
    assert len(cache) == 2  # a went first
    cache.get_or_verify("https://d", "d", lambda: Verified("d", later, 95))
    assert len(cache) == 1  # by bytes: b and c gave way
    assert cache.get_or_verify("https://e", "d", lambda: Verified("e", later, 101)) == "e"
    assert len(cache) == 1  # larger than the whole cache: used, not kept
    clock.advance(10)
    assert cache.get_or_verify("https://d", "d", lambda: Verified("d2", None)) == "d2"

"""An educator signs in by an email link: the round trip through a real SMTP server, the same
answer for every address, the limits, single use (even under two POSTs at once), expiry, the
open redirect refused, CSRF, cookie flags, sign-out, session expiry over HTTP, no SMTP. Storage
on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from issuer.api.learner_auth import LEARNER_COOKIE, safe_next, set_session_cookie
from issuer.app import create_app
from issuer.models import Learner, LearnerSession, SignInLink
from issuer.runtime import Runtime, start
from issuer.services import sign_in
from issuer.services.learners import token_hash
from issuer.settings import Settings
from tests.issuer import test_delivery
from tests.issuer.smtp_support import SmtpServer
from tests.issuer.support import BASE_URL, TEST_KEK, clean
from tests.issuer.test_delivery import Clock

# The delivery tests' fixtures: a service with SMTP configured and a clock the test moves.
smtp = test_delivery.smtp
settings = test_delivery.settings
clock = test_delivery.clock
runtime = test_delivery.runtime

ANA = "ana.educator@schools.nm.example"
HTML = {"accept": "text/html"}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_LINK = re.compile(r"https://issuer\.test/sign-in/([A-Za-z0-9_-]+)")


def csrf_of(page: Any) -> str:
    [token] = _CSRF.findall(page.text)
    return token


def links(session: Session) -> list[SignInLink]:
    session.commit()
    return list(session.exec(select(SignInLink).order_by(col(SignInLink.id))))


def send_owed(session: Session, runtime: Runtime) -> list[sign_in.SendResult]:
    """What the worker does: send every link row not sent yet."""
    return [
        sign_in.send_sign_in_link(session=session, runtime=runtime, link_id=row.id or 0)
        for row in links(session)
        if row.sent_at is None
    ]


def token_in(message: EmailMessage) -> str:
    text = message.get_body(("plain",))
    assert text is not None
    [token] = _LINK.findall(text.get_content())
    return token


def ask(client: TestClient, email: str, next_path: str | None = None) -> Any:
    """GET the form (its CSRF cookie and token), then POST the address."""
    page = client.get("/sign-in" + (f"?next={next_path}" if next_path else ""), headers=HTML)
    assert page.status_code == 200, page.text
    data = {"email": email, "csrf_token": csrf_of(page)}
    hidden = re.findall(r'name="next" value="([^"]*)"', page.text)
    if hidden:
        data["next"] = hidden[0]
    return client.post("/sign-in", data=data, headers=HTML)


def signed_in(
    client: TestClient, session: Session, runtime: Runtime, smtp: SmtpServer, email: str = ANA
) -> Any:
    """The whole round trip; the final answer (a 303)."""
    assert ask(client, email).status_code == 202
    send_owed(session, runtime)
    token = token_in(smtp.messages[-1])
    page = client.get(f"/sign-in/{token}", headers=HTML)
    return client.post(
        f"/sign-in/{token}", data={"csrf_token": csrf_of(page)}, follow_redirects=False
    )


def test_the_round_trip_through_a_real_smtp_server(
    client: TestClient, session: Session, runtime: Runtime, smtp: SmtpServer, clock: Clock
) -> None:
    answer = ask(client, "  Ana.Educator@Schools.NM.example ", "/me")
    assert answer.status_code == 202
    assert "Check your email" in answer.text
    assert answer.headers["cache-control"] == "no-store"
    [row] = links(session)
    # Nothing secret exists until the worker mints it; no learner row either.
    assert (row.email, row.token_hash, row.next_path) == (ANA, None, "/me")
    assert session.exec(select(Learner)).first() is None
    assert smtp.messages == []

    [result] = send_owed(session, runtime)
    assert result.sent
    [message] = smtp.messages
    assert message["To"] == ANA
    assert message["Subject"] == "Your sign-in link for issuer.test"
    assert message.get_body(("html",)) is not None
    token = token_in(message)
    assert len(token) == 32  # 192 bits
    [row] = links(session)
    assert row.token_hash == token_hash(token) and row.sent_at is not None
    assert token not in str(row.model_dump())
    # A job run twice sends once.
    assert not sign_in.send_sign_in_link(session=session, runtime=runtime, link_id=row.id or 0).sent
    assert len(smtp.messages) == 1

    # A mail scanner's GET spends nothing: twice, still good.
    for _ in range(2):
        page = client.get(f"/sign-in/{token}", headers=HTML)
        assert page.status_code == 200 and "<button" in page.text
        assert page.headers["referrer-policy"] == "same-origin"
    assert links(session)[0].used_at is None
    done = client.post(
        f"/sign-in/{token}", data={"csrf_token": csrf_of(page)}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/me"
    assert LEARNER_COOKIE in done.cookies
    session.commit()  # a new snapshot
    [learner] = session.exec(select(Learner)).all()
    assert learner.email == ANA
    [stored] = session.exec(select(LearnerSession)).all()
    assert stored.token_hash == token_hash(done.cookies[LEARNER_COOKIE])
    me = client.get("/me", headers=HTML)
    assert me.status_code == 200 and ANA in me.text and "Sign out" in me.text
    # Spent: the link is gone, on GET and POST.
    assert client.get(f"/sign-in/{token}", headers=HTML).status_code == 410
    again = client.post(
        f"/sign-in/{token}", data={"csrf_token": csrf_of(me)}, follow_redirects=False
    )
    assert again.status_code == 410 and "already used" in again.text


def test_the_email_is_in_the_requesters_language(
    client: TestClient, session: Session, runtime: Runtime, smtp: SmtpServer
) -> None:
    page = client.get("/sign-in", headers={**HTML, "accept-language": "es"})
    answer = client.post(
        "/sign-in",
        data={"email": ANA, "csrf_token": csrf_of(page)},
        headers={**HTML, "accept-language": "es"},
    )
    assert answer.status_code == 202 and answer.headers["content-language"] == "es"
    send_owed(session, runtime)
    [message] = smtp.messages
    assert message["Content-Language"] == "es"
    assert "Iniciar sesión" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def _without_csrf(text: str) -> str:
    return _CSRF.sub('name="csrf_token" value=""', text)


def test_the_answer_is_the_same_for_a_known_and_an_unknown_address(
    client: TestClient, session: Session, runtime: Runtime, smtp: SmtpServer
) -> None:
    assert signed_in(client, session, runtime, smtp).status_code == 303  # ANA is a learner now
    client.cookies.clear()
    known = ask(client, ANA)
    unknown = ask(client, "nobody.here@elsewhere.example")
    assert known.status_code == unknown.status_code == 202
    assert _without_csrf(known.text) == _without_csrf(unknown.text)
    assert ANA not in known.text
    same = {"content-type", "cache-control", "content-length", "content-language"}
    assert {k: known.headers.get(k) for k in same} == {k: unknown.headers.get(k) for k in same}


def test_at_most_five_links_per_address_per_hour(
    client: TestClient, session: Session, runtime: Runtime, smtp: SmtpServer, clock: Clock
) -> None:
    answers = [ask(client, ANA) for _ in range(sign_in.LINKS_PER_HOUR + 2)]
    # The sixth and seventh look the same, and make nothing.
    assert {a.status_code for a in answers} == {202}
    assert _without_csrf(answers[-1].text) == _without_csrf(answers[0].text)
    assert len(links(session)) == sign_in.LINKS_PER_HOUR
    # Another address is not held back by Ana's limit.
    ask(client, "bo@schools.nm.example")
    assert len(links(session)) == sign_in.LINKS_PER_HOUR + 1
    clock.advance(timedelta(minutes=61))
    ask(client, ANA)
    assert len(links(session)) == sign_in.LINKS_PER_HOUR + 2


def test_the_address_limit_holds_under_concurrent_requests(
    session: Session, runtime: Runtime, engine: Engine, clock: Clock
) -> None:
    barrier = threading.Barrier(8)
    made: list[int | None] = []

    def one() -> None:
        with Session(engine) as own:
            barrier.wait()
            made.append(
                sign_in.request_sign_in(
                    own, email=ANA, next_path=None, language_code="en", now=clock.now
                )
            )

    threads = [threading.Thread(target=one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(1 for m in made if m is not None) == sign_in.LINKS_PER_HOUR
    assert len(links(session)) == sign_in.LINKS_PER_HOUR


def test_the_sign_in_pages_are_rate_limited_per_client(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    codes = [client.get("/sign-in", headers=HTML).status_code for _ in range(25)]
    assert codes[:20] == [200] * 20
    assert codes[20:] == [429] * 5
    limited = client.post("/sign-in", data={"email": ANA}, headers=HTML)
    assert limited.status_code == 429 and "retry-after" in limited.headers
    assert links(session) == []


def test_a_link_is_spent_once_under_two_posts_at_once(
    client: TestClient, session: Session, runtime: Runtime, smtp: SmtpServer, engine: Engine
) -> None:
    ask(client, ANA)
    send_owed(session, runtime)
    token = token_in(smtp.messages[-1])
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def spend() -> None:
        with Session(engine) as own:
            barrier.wait()
            outcome = sign_in.spend_link(own, token, now=runtime.clock())
            own.commit()
            outcomes.append(
                outcome.learner.email if isinstance(outcome, sign_in.SpentLink) else outcome
            )

    threads = [threading.Thread(target=spend) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == sorted([ANA, sign_in.LinkState.gone])
    session.commit()
    assert len(session.exec(select(Learner)).all()) == 1


def test_an_expired_link_says_so_and_offers_the_form(
    client: TestClient, session: Session, runtime: Runtime, smtp: SmtpServer, clock: Clock
) -> None:
    ask(client, ANA)
    send_owed(session, runtime)
    token = token_in(smtp.messages[-1])
    page = client.get(f"/sign-in/{token}", headers=HTML)
    clock.advance(sign_in.LINK_LIFETIME + timedelta(seconds=1))
    late = client.post(
        f"/sign-in/{token}", data={"csrf_token": csrf_of(page)}, follow_redirects=False
    )
    assert late.status_code == 410
    assert "expired or was already used" in late.text
    assert 'action="/sign-in"' in late.text and 'name="email"' in late.text
    assert LEARNER_COOKIE not in late.cookies
    assert client.get(f"/sign-in/{token}", headers=HTML).status_code == 410
    assert session.exec(select(LearnerSession)).first() is None


def test_a_link_not_sent_in_time_is_not_sent_late(
    client: TestClient, session: Session, runtime: Runtime, smtp: SmtpServer, clock: Clock
) -> None:
    ask(client, ANA)
    clock.advance(sign_in.LINK_LIFETIME)
    assert [r.sent for r in send_owed(session, runtime)] == [False]
    assert smtp.messages == []


def test_a_temporary_failure_withdraws_the_token_and_retries(
    client: TestClient, session: Session, runtime: Runtime, smtp: SmtpServer, clock: Clock
) -> None:
    ask(client, ANA)
    smtp.refuse_rcpt = "451 4.3.0 try later"
    [failed] = send_owed(session, runtime)
    assert not failed.sent and failed.retry_at == clock.now + timedelta(minutes=1)
    assert links(session)[0].token_hash is None
    smtp.refuse_rcpt = None
    clock.advance(timedelta(minutes=1))
    [result] = send_owed(session, runtime)
    assert result.sent and len(smtp.messages) == 1


@pytest.mark.parametrize("token", ["A" * 32, "x", "A" * 65, "%00", "..%2F..%2Fme"])
def test_a_wrong_token_is_an_unknown_link(client: TestClient, runtime: Runtime, token: str) -> None:
    page = client.get(f"/sign-in/{token}", headers=HTML)
    assert page.status_code == 404
    if "Unknown sign-in link" in page.text:
        assert 'name="email"' in page.text
        used = client.post(
            f"/sign-in/{token}", data={"csrf_token": csrf_of(page)}, follow_redirects=False
        )
        assert used.status_code == 404 and LEARNER_COOKIE not in used.cookies


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
        "\\/evil.example",
        "evil.example",
        "/\r\nSet-Cookie:x=y",
        "/\tx",
        "javascript:alert(1)",
    ],
)
def test_next_is_only_ever_a_path_on_this_service(
    client: TestClient, session: Session, runtime: Runtime, smtp: SmtpServer, target: str
) -> None:
    page = client.get("/sign-in", params={"next": target}, headers=HTML)
    assert 'name="next"' not in page.text
    # Even a hand-made form: the stored path is refused again when the link is used.
    client.post(
        "/sign-in", data={"email": ANA, "next": target, "csrf_token": csrf_of(page)}, headers=HTML
    )
    assert links(session)[0].next_path is None
    send_owed(session, runtime)
    token = token_in(smtp.messages[-1])
    link = client.get(f"/sign-in/{token}", headers=HTML)
    done = client.post(
        f"/sign-in/{token}", data={"csrf_token": csrf_of(link)}, follow_redirects=False
    )
    assert done.headers["location"] == "/me"


def test_safe_next_keeps_paths_on_this_service() -> None:
    assert safe_next("/me") == "/me"
    assert (
        safe_next("/oauth/authorize?client_id=a&scope=b") == "/oauth/authorize?client_id=a&scope=b"
    )
    for bad in ("//x", "/\\x", "http://x", "", None, "/a\nb", "/" + "a" * 2001):
        assert safe_next(bad) is None


def test_a_good_next_is_where_the_educator_lands(
    client: TestClient, session: Session, runtime: Runtime, smtp: SmtpServer
) -> None:
    # /me without a session sends the browser to sign in, coming back to /me.
    away = client.get("/me?tab=apps", headers=HTML, follow_redirects=False)
    assert away.status_code == 303
    assert away.headers["location"] == "/sign-in?next=%2Fme%3Ftab%3Dapps"
    ask(client, ANA, "%2Fme%3Ftab%3Dapps")
    send_owed(session, runtime)
    token = token_in(smtp.messages[-1])
    link = client.get(f"/sign-in/{token}", headers=HTML)
    done = client.post(
        f"/sign-in/{token}", data={"csrf_token": csrf_of(link)}, follow_redirects=False
    )
    assert done.headers["location"] == "/me?tab=apps"


def test_csrf_missing_or_wrong_is_a_403(
    client: TestClient, session: Session, runtime: Runtime, smtp: SmtpServer
) -> None:
    page = client.get("/sign-in", headers=HTML)
    good = csrf_of(page)
    for data in ({"email": ANA}, {"email": ANA, "csrf_token": "x" + good[1:]}):
        refused = client.post("/sign-in", data=data, headers=HTML)
        assert refused.status_code == 403 and "This form cannot be accepted" in refused.text
    # A token from another browser (another pre-session cookie) is not this one's.
    with TestClient(client.app, base_url=BASE_URL) as other:
        theirs = csrf_of(other.get("/sign-in", headers=HTML))
    assert theirs != good
    assert client.post("/sign-in", data={"email": ANA, "csrf_token": theirs}).status_code == 403
    # No cookie at all: nothing to bind to.
    fresh = TestClient(client.app, base_url=BASE_URL)
    assert fresh.post("/sign-in", data={"email": ANA, "csrf_token": good}).status_code == 403
    assert links(session) == []

    # The link's POST and sign-out too.
    ask(client, ANA)
    send_owed(session, runtime)
    token = token_in(smtp.messages[-1])
    assert client.post(f"/sign-in/{token}", data={}).status_code == 403
    assert links(session)[0].used_at is None  # a refused POST spent nothing
    done = signed_in(client, session, runtime, smtp)
    assert done.status_code == 303
    me = client.get("/me", headers=HTML)
    assert client.post("/sign-out", data={"csrf_token": "nope"}).status_code == 403
    assert client.post("/sign-out", data={}).status_code == 403
    assert client.get("/me", headers=HTML, follow_redirects=False).status_code == 200
    # The session's token is not the pre-session one: bound to the session.
    assert csrf_of(me) != good


def test_cookie_flags(
    client: TestClient, session: Session, runtime: Runtime, smtp: SmtpServer
) -> None:
    done = signed_in(client, session, runtime, smtp)
    [cookie] = [c for c in done.headers.get_list("set-cookie") if c.startswith(LEARNER_COOKIE)]
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=lax", "path=/"} <= flags
    assert "secure" in flags  # the test service is https://issuer.test
    assert not any(f.startswith(("max-age", "expires", "domain")) for f in flags)
    form = client.get("/sign-in", headers=HTML, follow_redirects=False)
    assert form.status_code == 303  # signed in already: on to /me


@pytest.mark.parametrize(
    ("base", "secure"), [("https://i.example", True), ("http://127.0.0.1:8000", False)]
)
def test_the_cookie_is_secure_exactly_on_an_https_service(base: str, secure: bool) -> None:
    from fastapi import Response

    response = Response()
    set_session_cookie(response, "t" * 32, Settings(base_url=base))
    flags = {p.strip() for p in response.headers["set-cookie"].lower().split(";")[1:]}
    assert {"httponly", "samesite=lax", "path=/"} <= flags
    # Over plain http a Secure cookie would never come back (local development).
    assert ("secure" in flags) is secure


def test_sign_out_ends_the_session(
    client: TestClient, session: Session, runtime: Runtime, smtp: SmtpServer
) -> None:
    signed_in(client, session, runtime, smtp)
    cookie = client.cookies[LEARNER_COOKIE]
    me = client.get("/me", headers=HTML)
    out = client.post("/sign-out", data={"csrf_token": csrf_of(me)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/sign-in?signed_out=1"
    assert (
        f'{LEARNER_COOKIE}=""' in out.headers["set-cookie"]
        or "max-age=0" in out.headers["set-cookie"].lower()
    )
    session.commit()
    assert session.exec(select(LearnerSession)).all() == []
    # The old cookie, replayed, opens nothing.
    client.cookies.set(LEARNER_COOKIE, cookie)
    assert client.get("/me", headers=HTML, follow_redirects=False).status_code == 303
    assert "You are signed out" in client.get("/sign-in?signed_out=1", headers=HTML).text


def test_sessions_expire_idle_and_absolute_over_http(
    client: TestClient, session: Session, runtime: Runtime, smtp: SmtpServer, clock: Clock
) -> None:
    signed_in(client, session, runtime, smtp)
    clock.advance(timedelta(minutes=29))
    assert client.get("/me", headers=HTML, follow_redirects=False).status_code == 200
    clock.advance(timedelta(minutes=29))  # used 29 minutes ago: still alive
    assert client.get("/me", headers=HTML, follow_redirects=False).status_code == 200
    clock.advance(timedelta(minutes=31))
    assert client.get("/me", headers=HTML, follow_redirects=False).status_code == 303

    signed_in(client, session, runtime, smtp)
    for _ in range(12 * 3 - 1):
        clock.advance(timedelta(minutes=20))
        assert client.get("/me", headers=HTML, follow_redirects=False).status_code == 200
    clock.advance(timedelta(minutes=20))  # 12 hours after signing in
    assert client.get("/me", headers=HTML, follow_redirects=False).status_code == 303


@pytest.fixture
def no_smtp_client(database_url: str, tmp_path: Any, engine: Engine) -> Any:
    clean(engine)
    plain = Settings(
        data_dir=tmp_path / "plain",
        database_url=database_url,
        base_url=BASE_URL,
        key_encryption_key=TEST_KEK,
    )
    runtime = start(plain, engine, migrate_schema=False)
    with TestClient(create_app(plain, engine=engine, runtime=runtime), base_url=BASE_URL) as c:
        yield c


def test_without_smtp_the_page_says_sign_in_is_not_set_up(
    no_smtp_client: TestClient, session: Session
) -> None:
    page = no_smtp_client.get("/sign-in", headers=HTML)
    assert page.status_code == 200
    assert "Signing in by email is not set up on this service" in page.text
    assert 'name="email"' not in page.text
    answer = no_smtp_client.post(
        "/sign-in", data={"email": ANA, "csrf_token": csrf_of_cookie_page(no_smtp_client)}
    )
    assert answer.status_code == 503
    assert "Check your email" not in answer.text
    assert links(session) == []


def csrf_of_cookie_page(client: TestClient) -> str:
    """A CSRF token bound to this client's pre-session cookie, from the claim-free 403 page's
    sibling: the sign-in form is not shown without SMTP, so compute it as the server does."""
    from issuer.api.csrf import CSRF_COOKIE, _mac

    client.cookies.set(CSRF_COOKIE, "v" * 32)
    return _mac("v" * 32)


def test_an_invalid_address_is_said_so(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    answer = ask(client, "not an address")
    assert answer.status_code == 422
    assert "That is not an email address" in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert links(session) == []

"""Request bodies: admin writes authenticated before their body is read, every body capped
(issue 17, defect 2). Before: an unauthenticated 500 MB POST to /api/issuers/{i}/awards was
read whole (1.7 GB of memory) before its 401."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import Message, Receive, Scope, Send

from issuer.api.body_limit import (
    BATCH_BODY_LIMIT,
    DEFAULT_BODY_LIMIT,
    FORM_OVERHEAD,
    BodyLimitMiddleware,
    body_limit_for,
)
from schemas.baking import MAX_INPUT_BYTES as MAX_BAKE_BYTES
from tests.issuer.support import GOOD_AWARD
from verifier.inputs import MAX_INPUT_BYTES

# HTTP parsing and rendering, not storage: SQLite only (storage is tested on both databases
# elsewhere); the PostgreSQL runs cost make test minutes for nothing they could find.
pytestmark = pytest.mark.sqlite_only

MB = 1024 * 1024
AWARDS = "/api/issuers/nm-ped/awards"


class _Body:
    """A streamed body of ``total`` bytes that counts how much the server consumed."""

    def __init__(self, total: int, chunk: int = 64 * 1024) -> None:
        self.total, self.chunk, self.consumed = total, chunk, 0

    def __iter__(self) -> Iterator[bytes]:
        while self.consumed < self.total:
            piece = b" " * min(self.chunk, self.total - self.consumed)
            self.consumed += len(piece)
            yield piece


JSON = {"content-type": "application/json"}


@pytest.mark.parametrize("authorization", [None, "Bearer mc_nothing_here", "Basic eDp5", "Bearer "])
def test_an_unauthenticated_streamed_body_is_401_unread(
    client: TestClient, issuer: object, authorization: str | None
) -> None:
    body = _Body(50 * MB)
    headers = dict(JSON) | ({"authorization": authorization} if authorization else {})
    response = client.post(AWARDS, content=body, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "detail" in response.json()
    assert body.consumed < MB


def test_an_authenticated_oversized_streamed_body_is_413(
    client: TestClient, auth: dict[str, str]
) -> None:
    body = _Body(50 * MB)
    response = client.post(AWARDS, content=body, headers=auth | JSON)
    assert response.status_code == 413
    assert str(DEFAULT_BODY_LIMIT) in response.json()["detail"]
    # (TestClient buffers a body whole at the app's first read; the server-side count is
    # test_a_chunked_body_is_cut_off_at_the_limit's.)


def test_a_chunked_body_is_cut_off_at_the_limit() -> None:
    """At the ASGI level: the app stops being fed once the limit is passed, and answers 413."""
    chunk = 64 * 1024
    fed = 0

    async def receive() -> Message:
        nonlocal fed
        fed += chunk
        return {"type": "http.request", "body": b" " * chunk, "more_body": fed < 50 * MB}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await Request(scope, receive).body()
        await PlainTextResponse("read it all")(scope, receive, send)

    scope = {"type": "http", "method": "POST", "path": "/credentials/issue", "headers": []}
    anyio.run(BodyLimitMiddleware(app), scope, receive, send)
    assert sent[0]["status"] == 413
    assert fed <= DEFAULT_BODY_LIMIT + chunk


def test_a_declared_length_over_the_limit_is_413_unread(
    client: TestClient, auth: dict[str, str]
) -> None:
    body = _Body(50 * MB)
    headers = auth | JSON | {"content-length": str(50 * MB)}
    response = client.post(AWARDS, content=body, headers=headers)
    assert response.status_code == 413
    assert body.consumed == 0


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        (AWARDS, DEFAULT_BODY_LIMIT),
        ("/api/issuers", DEFAULT_BODY_LIMIT),
        ("/api/issuers/nm-ped/achievements", DEFAULT_BODY_LIMIT),
        ("/api/issuers/nm-ped/credentials/x/revoke", DEFAULT_BODY_LIMIT),
        ("/credentials/issue", DEFAULT_BODY_LIMIT),
        ("/instance/t/credentials/issue", DEFAULT_BODY_LIMIT),
        ("/api/issuers/nm-ped/batches", BATCH_BODY_LIMIT),
        ("/verify", MAX_INPUT_BYTES + FORM_OVERHEAD),
        ("/credentials/verify", MAX_INPUT_BYTES + FORM_OVERHEAD),
        ("/presentations/verify", MAX_INPUT_BYTES + FORM_OVERHEAD),
        ("/api/bake", 2 * MAX_BAKE_BYTES + FORM_OVERHEAD),
    ],
)
def test_every_documented_limit_holds(
    client: TestClient, auth: dict[str, str], path: str, limit: int
) -> None:
    assert body_limit_for(path) == limit
    kind = {"content-type": "multipart/form-data; boundary=b"} if path == "/api/bake" else JSON
    over = client.post(path, content=_Body(limit + 1), headers=auth | kind)
    assert over.status_code == 413, over.text
    declared = auth | kind | {"content-length": str(limit + 1)}
    assert client.post(path, content=_Body(limit + 1), headers=declared).status_code == 413


def test_a_batch_larger_than_the_default_limit_is_read(
    client: TestClient, auth: dict[str, str]
) -> None:
    """Batches have their own (larger) limit: a 3 MB CSV reaches the route (422, not 413)."""
    csv = b"email,name\n" + b"x@example.org,X\n" * (3 * MB // 16)
    response = client.post(
        "/api/issuers/nm-ped/batches", content=csv, headers=auth | {"content-type": "text/csv"}
    )
    assert response.status_code not in (401, 413), response.text


def test_the_keyless_bake_endpoint_needs_no_key(client: TestClient, issuer: object) -> None:
    response = client.post("/api/bake", files={"image": ("x.png", b"not an image", "image/png")})
    assert response.status_code == 422


def test_an_authenticated_write_looks_its_key_up_once(
    client: TestClient, auth: dict[str, str], issuer: object, engine: Engine
) -> None:
    """The middleware's check is the request's: the routes' key dependency takes the key it
    found instead of asking the database again."""
    lookups: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "FROM api_key" in statement:
            lookups.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.post(AWARDS, json=GOOD_AWARD, headers=auth)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 201, response.text
    assert len(lookups) == 1, lookups

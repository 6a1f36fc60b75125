"""Hostile request bodies and paging values answer 4xx, never 500 (issue 17).

A body nested 100,000 deep made Python's JSON decoder raise RecursionError on every endpoint
that reads its body itself (FastAPI's own body parsing already answers 400); an ``offset`` past
SQLite's 64-bit integers overflowed in the database.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from issuer.api.paging import MAX_LIST_OFFSET
from issuer.models import Issuer
from tests.issuer.support import ISSUER

# HTTP parsing and rendering, not storage: SQLite only (storage is tested on both databases
# elsewhere); the PostgreSQL runs cost make test minutes for nothing they could find.
pytestmark = pytest.mark.sqlite_only

#: Deep enough for any recursive decoder to give up, small enough for every body cap.
DEEP = b"[" * 100_000 + b"]" * 100_000

#: Every issuer endpoint that reads a JSON body itself (``{t}`` is the issuer's slug) → the
#: status it answers a body that is not JSON with: the VC-API's 400, the admin API's 422.
BODY_ENDPOINTS = {
    "/credentials/issue": 400,
    "/credentials/status": 400,
    "/credentials/verify": 400,
    "/presentations/verify": 400,
    "/instance/{t}/credentials/issue": 400,
    "/api/issuers/{t}/batches": 422,
}


@pytest.mark.parametrize("path", list(BODY_ENDPOINTS))
def test_a_deeply_nested_body_is_refused_as_not_json(
    client: TestClient, auth: dict[str, str], issuer: Issuer, path: str
) -> None:
    headers = {**auth, "content-type": "application/json"}
    response = client.post(path.format(t=issuer.slug), content=DEEP, headers=headers)
    assert response.status_code == BODY_ENDPOINTS[path], response.text
    assert "nested more than 64 levels deep" in response.text


@pytest.mark.parametrize("path", list(BODY_ENDPOINTS))
def test_a_body_64_deep_is_still_read(
    client: TestClient, auth: dict[str, str], issuer: Issuer, path: str
) -> None:
    """The limit is on nesting, not on content: 64 levels parse (and are refused, if at all,
    for what they are, not for how deep they go)."""
    headers = {**auth, "content-type": "application/json"}
    body = b"[" * 64 + b"]" * 64
    response = client.post(path.format(t=issuer.slug), content=body, headers=headers)
    assert response.status_code < 500, response.text
    assert "nested more than" not in response.text


@pytest.mark.parametrize("endpoint", ["awards", "status/events"])
@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"offset": 10**30}, 422),
        ({"offset": 2**63}, 422),
        ({"offset": MAX_LIST_OFFSET + 1}, 422),
        ({"offset": -1}, 422),
        ({"limit": 10**30}, 422),
        ({"offset": MAX_LIST_OFFSET}, 200),
    ],
    ids=str,
)
def test_paging_values_out_of_range_are_422(
    client: TestClient,
    auth: dict[str, str],
    issuer: Issuer,
    endpoint: str,
    params: dict[str, int],
    code: int,
) -> None:
    response = client.get(f"/api/issuers/{ISSUER}/{endpoint}", params=params, headers=auth)
    assert response.status_code == code, response.text
    if code == 200:
        assert response.json() == []

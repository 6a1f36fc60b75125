"""The pages people share and land on: criteria as lists, a stack's rule linked, credits with
their type, badge lettering that means nothing else in a school, the 404 page for browsers
(JSON for API clients), the favicon and the home page.

Fast HTTP and unit tests; the browser looks at the 404 and home pages in
``tests/e2e/test_browser_sharing.py``.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from issuer.demo_catalog import DEMO_ACHIEVEMENTS, DEMO_STACKS
from issuer.services.badge_design import LOADED_ABBREVIATIONS, badge_initials, badge_svg_text
from issuer.services.narrative import narrative_html
from tests.issuer.support import BASE_URL, ISSUER, award_http

# HTTP parsing and rendering, not storage: SQLite only (storage is tested on both databases
# elsewhere); the PostgreSQL runs cost make test minutes for nothing they could find.
pytestmark = pytest.mark.sqlite_only

HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


# ------------------------------------------------------------------------------ badge lettering


def test_generated_lettering_is_never_a_loaded_education_abbreviation() -> None:
    """The offending demo name ("Engaging Students in Learning" read "ESL") and every other
    demo name: no generated badge says ESL, IEP, ELL, ID… for something else."""
    assert badge_initials("Engaging Students in Learning") == "ES"
    for name in [a.name for a in (*DEMO_ACHIEVEMENTS, *DEMO_STACKS)]:
        assert badge_initials(name) not in LOADED_ABBREVIATIONS, name
    for name, lettering in [
        ("Instructional Design", "IN"),  # not ID (intellectual disability)
        ("Inclusive Education Practices", "IE"),  # not IEP
        ("Classroom Environment", "CE"),  # unchanged when nothing is wrong
        ("Social Emotional Learning", "SEL"),
        ("English as a Second Language", "ESL"),  # the abbreviation's own meaning: kept
    ]:
        assert badge_initials(name) == lettering, name
    svg = badge_svg_text({"name": "Engaging Students in Learning", "humanCode": "APL-X"})
    assert ">ES</text>" in svg and ">ESL<" not in svg


# ------------------------------------------------------------------------------ criteria


def test_a_narrative_renders_its_lists_and_escapes_everything() -> None:
    html = str(
        narrative_html(
            "Hold all of:\n\n- One <b>bold</b>\n- Two, any 1 of:\n  - A\n  - B\n"
            "3. third\n4) fourth\n\nSee https://x.example/rule.json. <script>alert(1)</script>"
        )
    )
    assert html.startswith("<p>Hold all of:</p>\n<ul>\n<li>One &lt;b&gt;bold&lt;/b&gt;</li>")
    assert "<li>Two, any 1 of:<ul>\n<li>A</li>\n<li>B</li></ul>\n</li></ul>" in html
    assert '<ol start="3">\n<li>third</li>\n<li>fourth</li></ol>' in html
    assert '<a href="https://x.example/rule.json" rel="nofollow noopener">' in html
    assert "&lt;script&gt;" in html and "<script>" not in html and "<b>" not in html
    assert str(narrative_html(None)) == ""
    # a link made of quotes and markup stays text
    sneaky = str(narrative_html('- https://x.example/"><script>x</script>'))
    assert "<script>" not in sneaky and 'href="https://x.example/"' in sneaky


def test_the_stack_page_lists_its_criteria_and_links_its_rule(
    client: TestClient, issuer: Any
) -> None:
    page = client.get("/achievements/apl-i-ii/v1", headers=HTML)
    assert page.status_code == 200
    criteria = page.text[page.text.index('id="criteria"') :]
    assert criteria.count("<li>") >= 5  # the five APL I-II micro-credentials, one item each
    rule = f"{BASE_URL}/achievements/apl-i-ii/v1/rule.json"
    assert f'<a href="{rule}" type="application/json">' in criteria
    assert client.get("/achievements/apl-i-ii/v1/rule.json").status_code == 200
    assert "<dt>Credits</dt>" not in page.text  # a stack offers none: no empty row
    # a micro-credential (not a stack) links no rule
    plain = client.get("/achievements/classroom-environment/v1", headers=HTML).text
    assert "rule.json" not in plain


# ------------------------------------------------------------------------------ credits


@pytest.mark.parametrize(
    ("credits", "credit_type", "shown"),
    [
        (3, "renewal hours", "3 renewal hours"),
        (1, "CEUs", "1 CEU"),
        (1.5, None, "1.5 credit hours"),
    ],
)
def test_credits_show_their_value_and_type(
    client: TestClient,
    auth: dict[str, str],
    credits: float,
    credit_type: str | None,
    shown: str,
) -> None:
    """On the achievement page (creditsAvailable) and on the badge page (creditsEarned), with
    the catalog's type; without one, Open Badges' own unit, said to be that."""
    content = client.get(
        f"/api/issuers/{ISSUER}/achievements/classroom-environment", headers=auth
    ).json()["achievement"]
    edited = {
        key: content[key]
        for key in ("name", "description", "achievementType", "humanCode", "tag")
        if key in content
    }
    edited |= {"criteria": {"narrative": "Do it."}, "creditsAvailable": credits}
    if credit_type is not None:
        edited["creditType"] = credit_type
    response = client.put(
        f"/api/issuers/{ISSUER}/achievements/classroom-environment", json=edited, headers=auth
    )
    assert response.status_code == 201, response.text
    version = response.json()["version"]
    page = client.get(f"/achievements/classroom-environment/v{version}", headers=HTML).text
    assert f'<span class="credits">{shown}</span>' in page
    assert ("(the Open Badges unit)" in page) is (credit_type is None)
    assert credit_type is None or credit_type not in response.json()["achievement"].values()
    body = award_http(client, auth, score=None, rubric_level=None)
    badge = client.get(f"/credentials/{body['id']}", headers=HTML).text
    assert f'<span class="credits">{shown}</span>' in badge


# ------------------------------------------------------------------------------ 404, favicon, home


@pytest.mark.parametrize(
    "path",
    [
        "/credentials/0b2e33d9-0000-4000-8000-00000000000",  # one digit short
        "/credentials/not-a-credential",
        "/achievements/no-such-thing",
        "/issuers/nobody",
        "/no/such/page",
    ],
)
def test_a_mistyped_link_is_a_page_for_browsers_and_json_for_clients(
    client: TestClient, issuer: Any, path: str
) -> None:
    page = client.get(path, headers=HTML)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert '<a class="button primary" href="/">Go to the home page</a>' in page.text
    assert 'href="/verify"' in page.text and 'rel="icon"' in page.text
    assert path in page.text
    for accept in ("*/*", "application/json", None):
        headers = {"accept": accept} if accept else {}
        answer = client.get(path, headers=headers)
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/json"
        assert "detail" in answer.json()


def test_a_mistyped_path_keeps_its_markup_as_text(client: TestClient) -> None:
    page = client.get("/x/%3Cscript%3Ealert(1)%3C%2Fscript%3E", headers=HTML)
    assert page.status_code == 404
    assert "<script>alert" not in page.text and "&lt;script&gt;alert" in page.text


def test_the_favicon_is_served_and_every_page_links_it_and_home(
    client: TestClient, auth: dict[str, str]
) -> None:
    ico = client.get("/favicon.ico")
    assert ico.status_code == 200 and ico.headers["content-type"] == "image/vnd.microsoft.icon"
    assert Image.open(io.BytesIO(ico.content)).format == "ICO"
    svg = client.get("/favicon.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and "<polygon" in svg.text
    body = award_http(client, auth)
    for path in (
        "/",
        f"/credentials/{body['id']}",
        f"/credentials/{body['id']}/certificate",
        "/achievements/classroom-environment/v1",
        f"/issuers/{ISSUER}",
    ):
        html = client.get(path, headers=HTML).text
        assert '<link rel="icon" href="/favicon.svg" type="image/svg+xml">' in html, path
        assert re.search(r'<a (class="home" )?href="/"', html), path  # a way home
    # The verifier's page, which the issuer serves too, links the issuer's icon and home.
    verify = client.get("/verify", headers=HTML).text
    assert '<link rel="icon" href="/favicon.svg" type="image/svg+xml">' in verify
    assert '<a href="/">Home</a>' in verify


def test_the_home_page_lists_the_achievements_and_links_the_verify_page(
    client: TestClient, issuer: Any
) -> None:
    html = client.get("/", headers=HTML).text
    assert '<a class="button primary" href="/verify">Verify a credential</a>' in html
    for item in DEMO_ACHIEVEMENTS:
        link = f'<a href="{BASE_URL}/achievements/{item.slug}/v1">{item.name}</a>'
        assert link in html, item.slug
    assert f'{BASE_URL}/achievements/apl-i-ii/v1"' in html  # the stacks too

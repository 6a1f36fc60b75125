"""Only http(s) URLs of a credential's (or a stack rule's) data become links.

``safe_url`` is checked on its own, table-driven, and through the verify page's template: a
stack rule whose ``id`` is ``javascript:alert(1)`` is shown as text, not as an ``<a href>``.
"""

from __future__ import annotations

from typing import Any

import pytest

from microcred.i18n import language
from verifier.http import _PAGES
from verifier.safe_links import safe_url

UNSAFE = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "\tjava\nscript:alert(1)",
    "\x01javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "//evil.example/x",
    "/relative",
    "",
    None,
    42,
]
SAFE = ["http://example.org/rule", "https://example.org/x?y=1#z", "HTTPS://EXAMPLE.ORG/"]


@pytest.mark.parametrize("value", UNSAFE)
def test_anything_but_http_s_is_not_a_link(value: Any) -> None:
    assert safe_url(value) is None


@pytest.mark.parametrize("value", SAFE)
def test_http_s_urls_stay_links(value: str) -> None:
    assert safe_url(value) == value


def _stack_page(rule_id: str) -> str:
    stack = {
        "verdict": "invalid",
        "credential": {},
        "checks": [
            {"id": "stack", "message": "m", "details": {"rule": {"id": rule_id, "version": 1}}}
        ],
    }
    english = language("en")
    context = {"stack": stack, "reports": [], "headlines": [], "form": {}, "labels": {}}
    context |= {"language": english, "languages": []}
    return _PAGES.environment(english).get_template("verify.html").render(**context)


@pytest.mark.parametrize("rule_id", ["javascript:alert(1)", " JaVaScRiPt:alert(1)"])
def test_a_javascript_rule_id_is_text_on_the_verify_page(rule_id: str) -> None:
    html = _stack_page(rule_id)
    assert "javascript:" in html.lower()  # shown ...
    assert 'href="javascript' not in html.lower() and 'href=" javascript' not in html.lower()
    assert f"Rule: {rule_id} (version" in html  # ... as plain text


def test_an_https_rule_id_is_a_link_on_the_verify_page() -> None:
    html = _stack_page("https://example.org/rules/apl")
    assert '<a href="https://example.org/rules/apl">https://example.org/rules/apl</a>' in html

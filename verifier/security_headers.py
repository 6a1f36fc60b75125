"""The response headers every page, image and document of the services carries, and CORS.

One ASGI middleware, added by both apps (``verifier.http.create_verifier_app`` and
``issuer.app.create_app``), so no route can forget them:

* every response: ``X-Content-Type-Options: nosniff`` (an upload is never sniffed into HTML),
  ``X-Frame-Options: DENY`` (no page can be framed, for click-jacking), and
  ``Referrer-Policy: no-referrer`` (badge links carry credential ids; they are not leaked to
  the sites a page links to);
* HTML pages: :data:`PAGE_CSP`: script, style, images and form targets from this origin only,
  no framing, no ``<base>``. The pages have no inline script; their ``<style>`` blocks are
  inline. ``/docs`` too: it is served from this origin with no inline script
  (:mod:`verifier.api_docs`);
* images (``image/*``, above all SVG, which is a document that can script): :data:`IMAGE_CSP`,
  no script, no loads, sandboxed — even an SVG opened on its own runs nothing;
* CORS (``public_reads``): public documents (DID documents, status lists, credentials, contexts,
  and every other GET) may be read cross-origin: ``GET``/``HEAD`` answer
  ``Access-Control-Allow-Origin: *`` (no credentials: the admin API takes bearer tokens, never
  cookies). Nothing else is ever allowed cross-origin: a ``POST`` (to ``/verify`` or anywhere,
  whatever its content type) gets no ``Access-Control-*`` header, so a page of another origin
  cannot read the answer, and a preflight for any other method is refused with 400.

A header a route already set (a stricter CSP, say) is kept.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["IMAGE_CSP", "PAGE_CSP", "SecurityHeadersMiddleware", "page_csp"]

PAGE_CSP = (
    "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def page_csp(*form_targets: str) -> str:
    """:data:`PAGE_CSP` for a page whose form's answer redirects elsewhere: browsers hold the
    redirect after a form's POST to ``form-action`` too, so an OAuth consent page (Allow → the
    app's redirect URI) or a "send to your backpack" form (→ the Host's consent page) names
    those targets (origins such as ``https://app.example``, or ``https:``) or the browser
    stops at the redirect."""
    return PAGE_CSP.replace("form-action 'self'", " ".join(["form-action 'self'", *form_targets]))
IMAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
_EVERY_RESPONSE = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
_READ_METHODS = frozenset({"GET", "HEAD"})
#: Request headers a cross-origin read may send without being "non-simple" (Fetch standard).
_SAFELISTED = frozenset({"accept", "accept-language", "content-language", "content-type"})


class SecurityHeadersMiddleware:
    """Adds the headers above to every HTTP response; see the module docstring."""

    def __init__(self, app: ASGIApp, *, public_reads: bool = False) -> None:
        self.app = app
        self.public_reads = public_reads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        request_headers = Headers(scope=scope)
        if (
            method == "OPTIONS"
            and "origin" in request_headers
            and "access-control-request-method" in request_headers
        ):
            await self._preflight(request_headers)(scope, receive, send)
            return
        cors = self.public_reads and method in _READ_METHODS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                _decorate(MutableHeaders(scope=message), cors=cors)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _preflight(self, request_headers: Headers) -> PlainTextResponse:
        """Allow a cross-origin read (GET/HEAD, safelisted headers); refuse anything else."""
        method = request_headers["access-control-request-method"].upper()
        asked = {
            h.strip().lower()
            for h in request_headers.get("access-control-request-headers", "").split(",")
            if h.strip()
        }
        allowed = self.public_reads and method in _READ_METHODS and asked <= _SAFELISTED
        if not allowed:
            response = PlainTextResponse("cross-origin requests may only read (GET, HEAD)", 400)
        else:
            response = PlainTextResponse("OK")
        _decorate(response.headers, cors=allowed)
        if allowed:
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD"
            if asked:
                response.headers["Access-Control-Allow-Headers"] = ", ".join(sorted(asked))
            response.headers["Access-Control-Max-Age"] = "600"
        return response


def _decorate(headers: MutableHeaders, *, cors: bool) -> None:
    for name, value in _EVERY_RESPONSE.items():
        headers.setdefault(name, value)
    content_type = headers.get("content-type", "").lower()
    if content_type.startswith("text/html"):
        headers.setdefault("Content-Security-Policy", PAGE_CSP)
    elif content_type.startswith("image/"):
        headers.setdefault("Content-Security-Policy", IMAGE_CSP)
    for name in [k for k in headers if k.lower().startswith("access-control-")]:
        del headers[name]  # only this middleware speaks CORS
    if cors:
        headers["Access-Control-Allow-Origin"] = "*"

"""``/docs``: the OpenAPI reference, served with Swagger UI from this service, never a CDN.

FastAPI's own ``/docs`` loads Swagger UI from a CDN and starts it with an inline script: on an
office's offline or locked-down network the page stayed blank, and it needed its own hole in
the page CSP. Here the page, its script, its stylesheet and the few lines that start it are all
served by the service itself, so ``/docs`` works offline and carries the same CSP as every other
page (:data:`verifier.security_headers.PAGE_CSP`: script from this origin only, no inline
script). Swagger UI's files come from the ``fastapi-offline`` package (its ``static`` folder:
Swagger UI 5, the OpenAPI 3.1 renderer); nothing else of that package is used. ReDoc is not
offered: one reference is enough, and ReDoc starts web workers from ``blob:`` URLs.

Both apps (the issuer and the stand-alone verifier) call :func:`install_docs`.
"""

from __future__ import annotations

import html
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response

__all__ = ["DOCS_PATH", "install_docs"]

DOCS_PATH = "/docs"
#: Swagger UI's files, as ``fastapi-offline`` ships them.
_ASSETS = Path(str(files("fastapi_offline") / "static"))
#: The assets change only with the package: browsers may keep them for a day.
_ASSET_CACHE = "public, max-age=86400"

#: What starts Swagger UI: a file, not an inline script, so the page CSP holds. The OpenAPI
#: document's URL comes from the page (``data-openapi``); the validator badge is off (it would
#: send the document to validator.swagger.io).
_INIT_JS = """\
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapi,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
});
"""


def _page(title: str, openapi_url: str, favicon: str | None) -> str:
    icon = f'<link rel="icon" href="{html.escape(favicon)}">' if favicon else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} · API reference</title>
<link rel="stylesheet" href="{DOCS_PATH}/swagger-ui.css">
{icon}
</head>
<body>
<div id="swagger-ui" data-openapi="{html.escape(openapi_url)}"></div>
<script src="{DOCS_PATH}/swagger-ui-bundle.js"></script>
<script src="{DOCS_PATH}/init.js"></script>
</body>
</html>
"""


def install_docs(app: FastAPI, *, favicon: str | None = None) -> None:
    """Serve ``/docs`` and its assets on ``app`` (built with ``docs_url=None``)."""
    if app.docs_url is not None or app.openapi_url is None:
        raise ValueError("install_docs wants an app built with docs_url=None and an openapi_url")
    page = _page(app.title, app.openapi_url, favicon)

    @app.get(DOCS_PATH, include_in_schema=False)
    def api_reference() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get(f"{DOCS_PATH}/init.js", include_in_schema=False)
    def api_reference_init() -> Response:
        return Response(
            _INIT_JS, media_type="text/javascript", headers={"Cache-Control": _ASSET_CACHE}
        )

    for name, media_type in (
        ("swagger-ui-bundle.js", "text/javascript"),
        ("swagger-ui.css", "text/css"),
    ):
        _serve_asset(app, name, media_type)


def _serve_asset(app: FastAPI, name: str, media_type: str) -> None:
    path = _ASSETS / name

    @app.get(f"{DOCS_PATH}/{name}", include_in_schema=False, name=f"docs_{name}")
    def asset() -> FileResponse:
        return FileResponse(path, media_type=media_type, headers={"Cache-Control": _ASSET_CACHE})

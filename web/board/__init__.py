"""The live ticket board (issue 13): `GET /board`, a page a wall screen opens once and then runs for weeks.

No build step and no third-party origin: the page is plain HTML, CSS and ES modules from `static/`,
served here with a strict Content-Security-Policy (no inline script or style, connections to this
origin only). The board signs in with a `board` API key kept in the browser's localStorage and sent
in the `Authorization` header and the WebSocket's `connection_init`, never in a URL.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

STATIC = Path(__file__).parent / "static"

# `'self'` covers ws:/wss: of the same origin in current browsers (CSP Level 3; checked in
# tests/board/test_board_page.py, which fails on any violation report).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # Revalidated on every load (a 304 when unchanged): a board picks up a new release when it reloads.
    "Cache-Control": "no-cache",
}
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


def load_assets(folder: Path = STATIC) -> dict[str, Asset]:
    """Every file of the page, read once at start-up: only these names are served (no path from the
    request ever reaches the file system)."""
    assets = {}
    for path in sorted(folder.iterdir()):
        if path.suffix in MEDIA_TYPES and path.is_file():
            body = path.read_bytes()
            etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            assets[path.name] = Asset(body, MEDIA_TYPES[path.suffix], etag)
    return assets


def respond(request: Request, asset: Asset) -> Response:
    headers = {**SECURITY_HEADERS, "ETag": asset.etag}
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


def routes() -> list[Route]:
    assets = load_assets()

    async def page(request: Request) -> Response:
        return respond(request, assets["index.html"])

    async def asset(request: Request) -> Response:
        found = assets.get(request.path_params["name"])
        if found is None or request.path_params["name"] == "index.html":
            return Response("not found", status_code=404, media_type="text/plain", headers=SECURITY_HEADERS)
        return respond(request, found)

    return [
        Route("/board", page, methods=["GET", "HEAD"]),
        Route("/board/assets/{name}", asset, methods=["GET", "HEAD"]),
    ]

"""GET /board and its assets: served by Tandem itself with a strict Content-Security-Policy, only the
page's own files, no inline script or style (these need no browser)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from web.board import CONTENT_SECURITY_POLICY, STATIC

ASSETS = ["board.js", "board.css", "graphql_ws.js", "store.js", "tickets.js", "i18n.js", "view.js"]


async def test_the_page_and_its_assets_carry_the_strict_policy(http):
    page = await http.get("/board?department=SERVICE&lang=zh-Hant")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    for directive in (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in CONTENT_SECURITY_POLICY
    assert page.headers["x-content-type-options"] == "nosniff"
    for name in ASSETS:
        asset = await http.get(f"/board/assets/{name}")
        assert asset.status_code == 200, name
        assert asset.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        expected = "text/javascript" if name.endswith(".js") else "text/css"
        assert asset.headers["content-type"].startswith(expected), name


async def test_an_unchanged_asset_is_revalidated_with_304(http):
    first = await http.get("/board/assets/board.js")
    again = await http.get("/board/assets/board.js", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


async def test_only_the_pages_own_files_are_served(http):
    for path in (
        "/board/assets/nope.js",
        "/board/assets/index.html",
        "/board/assets/..%2F__init__.py",
        "/board/assets/%2e%2e%2f%2e%2e%2fsettings.py",
    ):
        response = await http.get(path)
        assert response.status_code == 404, path


class _Inline(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style>")
        self.found += [f"{tag} {a}" for a in names if a == "style" or a.startswith("on")]


def test_the_page_has_no_inline_script_style_or_handler():
    parser = _Inline()
    parser.feed((STATIC / "index.html").read_text())
    assert parser.found == []
    # Nor do the modules write HTML or styles from strings (which CSP would refuse, and which would
    # let a ticket's subject inject markup).
    for path in STATIC.glob("*.js"):
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\.style\.", path.read_text()), (
            path
        )

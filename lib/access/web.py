"""A small ASGI middleware in front of Streamlit (serve.py): close its metrics to everyone, send
paths of several parts that are not Streamlit's own to the app's root (ホーム), and tell a page
opened at its own address (…/setai) where the app's root is."""
from __future__ import annotations

# Streamlit's own first path parts (its files, components, media, WebSocket and endpoints):
STREAMLIT_PARTS = frozenset({"_stcore", "static", "component", "media", "app", "auth", "oauth2callback",
                             "favicon.png", "manifest.json", "robots.txt"})
CLOSED = ("/_stcore/metrics",)
# A page opened at its own address (a link from a mail, a reload, a new tab: …/setai?id=H-001)
# looks for the server first under …/setai/_stcore/, and only after that fails and a pause of
# about 0.1 s under the app's root: every such page load waited for nothing. Streamlit's page
# takes the app's root from window.__streamlit.BACKEND_BASE_URL (set by hosts that serve it);
# this sets it to the address without its last part, worked out in the browser so that a proxy
# serving the app under a folder of its own still gets its folder:
ROOT_HINT = (b'<script>(function(){var u=new URL(location.href),p=u.pathname.replace(/\\/+$/,"");'
             b'u.pathname=p.slice(0,p.lastIndexOf("/")+1);u.search="";u.hash="";'
             b'window.__streamlit={BACKEND_BASE_URL:u.href}})()</script>')


def _app_parts(path: str, base: str) -> list[str] | None:
    """The parts of `path` after the app's folder `base` (Streamlit's server.baseUrlPath), or None
    for a path outside it."""
    parts = [p for p in path.split("/") if p]
    prefix = [p for p in base.split("/") if p]
    return parts[len(prefix):] if parts[:len(prefix)] == prefix else None


def verdict(path: str, base: str = "") -> str | None:
    """None to pass the request on, "closed" for a 404, or "home" to send the browser to the root.
    `base`: Streamlit's server.baseUrlPath (the app served under /base/…)."""
    parts = _app_parts(path, base)
    if parts is None:
        return None
    here = "/" + "/".join(parts)
    if any(here == c or here.startswith(c + "/") for c in CLOSED):
        return "closed"
    # (the page's scripts also probe <page>/_stcore/… to find the app's root: those pass)
    if len(parts) > 1 and not STREAMLIT_PARTS.intersection(parts):
        return "home"
    return None


def is_page_address(path: str, base: str = "") -> bool:
    """Whether `path` names one page of the app (…/setai, …/no-such-screen), not its root or
    one of Streamlit's own files: the pages that get ROOT_HINT."""
    parts = _app_parts(path, base)
    return parts is not None and len(parts) == 1 and parts[0] not in STREAMLIT_PARTS


def with_root_hint(html: bytes) -> bytes:
    """Streamlit's page with ROOT_HINT first in its head (before the page's own scripts run)."""
    at = html.find(b"<head>")
    return html if at < 0 else html[:at + 6] + ROOT_HINT + html[at + 6:]


def _without(headers, name: bytes) -> list:
    """ASGI headers without any named `name` (lower case)."""
    return [(k, v) for k, v in headers if k.lower() != name]


class PathGuard:
    """ASGI middleware applying `verdict` to every HTTP request (WebSocket and lifespan pass)."""

    def __init__(self, app, base=lambda: ""):
        self.app, self.base = app, base           # base(): Streamlit's server.baseUrlPath, read per request

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        base, path = self.base() or "", scope.get("path") or "/"
        outcome = verdict(path, base)
        if outcome is None and scope.get("method") == "GET" and is_page_address(path, base):
            return await self._hinted(scope, receive, send)
        if outcome is None:
            return await self.app(scope, receive, send)
        home = ("/" + base.strip("/") + "/") if base.strip("/") else "/"
        status, headers = (404, [(b"content-type", b"text/plain; charset=utf-8")]) if outcome == "closed" \
            else (302, [(b"location", home.encode()), (b"content-type", b"text/plain; charset=utf-8")])
        body = "見つかりません".encode() if outcome == "closed" else b""
        await send({"type": "http.response.start", "status": status,
                    "headers": headers + [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def _hinted(self, scope, receive, send):
        """Pass the request on uncompressed and add ROOT_HINT to the page it answers with."""
        scope = {**scope, "headers": _without(scope.get("headers", []), b"accept-encoding"),
                 "extensions": {k: v for k, v in (scope.get("extensions") or {}).items()
                                if k not in ("http.response.pathsend", "http.response.zerocopysend")}}
        start, body = None, []

        async def hint(message):
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if message["status"] != 200 or not headers.get(b"content-type", b"").startswith(b"text/html"):
                    return await send(message)
                start = message                 # the page: held until its whole body is here
                return
            if message["type"] != "http.response.body" or start is None:
                return await send(message)
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            page = with_root_hint(b"".join(body))
            await send({**start, "headers": _without(start.get("headers", []), b"content-length")
                        + [(b"content-length", str(len(page)).encode())]})
            await send({"type": "http.response.body", "body": page})

        return await self.app(scope, receive, hint)

"""A small ASGI middleware in front of Streamlit (serve.py): close its metrics to everyone, and send
paths of several parts that are not Streamlit's own to the app's root (ホーム)."""
from __future__ import annotations

# Streamlit's own first path parts (its files, components, media, WebSocket and endpoints):
STREAMLIT_PARTS = frozenset({"_stcore", "static", "component", "media", "app", "auth", "oauth2callback",
                             "favicon.png", "manifest.json", "robots.txt"})
CLOSED = ("/_stcore/metrics",)


def verdict(path: str, base: str = "") -> str | None:
    """None to pass the request on, "closed" for a 404, or "home" to send the browser to the root.
    `base`: Streamlit's server.baseUrlPath (the app served under /base/…)."""
    parts = [p for p in path.split("/") if p]
    prefix = [p for p in base.split("/") if p]
    if parts[:len(prefix)] != prefix:
        return None
    parts = parts[len(prefix):]
    here = "/" + "/".join(parts)
    if any(here == c or here.startswith(c + "/") for c in CLOSED):
        return "closed"
    # (the page's scripts also probe <page>/_stcore/… to find the app's root: those pass)
    if len(parts) > 1 and not STREAMLIT_PARTS.intersection(parts):
        return "home"
    return None


class PathGuard:
    """ASGI middleware applying `verdict` to every HTTP request (WebSocket and lifespan pass)."""

    def __init__(self, app, base=lambda: ""):
        self.app, self.base = app, base           # base(): Streamlit's server.baseUrlPath, read per request

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        base = self.base() or ""
        outcome = verdict(scope.get("path") or "/", base)
        if outcome is None:
            return await self.app(scope, receive, send)
        home = ("/" + base.strip("/") + "/") if base.strip("/") else "/"
        status, headers = (404, [(b"content-type", b"text/plain; charset=utf-8")]) if outcome == "closed" \
            else (302, [(b"location", home.encode()), (b"content-type", b"text/plain; charset=utf-8")])
        body = "見つかりません".encode() if outcome == "closed" else b""
        await send({"type": "http.response.start", "status": status,
                    "headers": headers + [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

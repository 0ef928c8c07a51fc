"""The dashboard's protections, as one ASGI middleware in front of every route.

- Token: when one is set, every request must carry it, in the ``X-Tansaku-Token`` header or
  the ``tansaku_token`` cookie; opening any page with ``?token=...`` sets the cookie and
  redirects to the same page without the token in its address.
- Host: on a loopback address only loopback host names are answered, so that a web page cannot
  reach the dashboard through a DNS name rebound to 127.0.0.1.
- CSRF: requests that change something are POSTs that carry the ``X-Tansaku-CSRF`` header equal
  to the ``tansaku_csrf`` cookie (which only the dashboard's own pages can read), and, when the
  browser sends an ``Origin``, it is the dashboard's own.
- Every response says what a page may load: its own scripts only, nothing inline.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

TOKEN_HEADER = "x-tansaku-token"
TOKEN_COOKIE = "tansaku_token"
CSRF_HEADER = "x-tansaku-csrf"
CSRF_COOKIE = "tansaku_csrf"

_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
_SAFE_METHODS = frozenset({"GET", "HEAD"})

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine only."""
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _equal(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


class Protection:
    """The middleware. ``token`` None lets every request in; ``bound_host`` is the address
    the server listens on (loopback: only loopback Host headers are answered)."""

    def __init__(self, app: Any, token: str | None, bound_host: str) -> None:
        self.app = app
        self.token = token
        self.loopback_only = is_loopback(bound_host)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from starlette.requests import Request
        from starlette.responses import PlainTextResponse, RedirectResponse

        request = Request(scope)
        host = (request.url.hostname or "").lower()
        if self.loopback_only and not is_loopback(host):
            await PlainTextResponse("Unknown host", status_code=421)(scope, receive, send)
            return
        if self.token is not None:
            offered = request.query_params.get("token")
            if offered is not None and request.method in _SAFE_METHODS:
                if not _equal(offered, self.token):
                    await _denied()(scope, receive, send)
                    return
                rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
                target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
                response = RedirectResponse(target, status_code=303)
                response.set_cookie(
                    TOKEN_COOKIE, self.token, httponly=True, samesite="strict", path="/"
                )
                await response(scope, receive, send)
                return
            given = request.headers.get(TOKEN_HEADER) or request.cookies.get(TOKEN_COOKIE)
            if not _equal(given, self.token):
                await _denied()(scope, receive, send)
                return
        csrf = request.cookies.get(CSRF_COOKIE)
        if request.method not in _SAFE_METHODS:
            reason = self._forgery(request, csrf)
            if reason is not None:
                await PlainTextResponse(reason, status_code=403)(scope, receive, send)
                return
        new_csrf = None if csrf else secrets.token_urlsafe(24)

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
                if not scope["path"].startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))
                if new_csrf is not None:
                    cookie = f"{CSRF_COOKIE}={new_csrf}; Path=/; SameSite=Strict"
                    headers.append((b"set-cookie", cookie.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    @staticmethod
    def _forgery(request: Any, csrf: str | None) -> str | None:
        """Why a state-changing request is refused, or None when it is the page's own."""
        if request.method != "POST":
            return "Only POST changes anything"
        origin = request.headers.get("origin")
        if origin is not None and origin != "null":
            own = f"{request.url.scheme}://{request.headers.get('host', '')}"
            if urlsplit(origin)._replace(path="").geturl() != own:
                return "Cross-origin request refused"
        elif origin == "null":
            return "Cross-origin request refused"
        if csrf is None or not _equal(request.headers.get(CSRF_HEADER), csrf):
            return "Missing or wrong CSRF token: reload the page"
        return None


def _denied() -> Any:
    from starlette.responses import PlainTextResponse

    return PlainTextResponse(
        "A token is required: open the address printed by `tansaku dashboard` "
        "(it ends with ?token=...), or send the X-Tansaku-Token header.",
        status_code=401,
    )

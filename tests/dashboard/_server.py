"""A real dashboard server for the tests: uvicorn in a thread, on a free loopback port."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tansaku.storages import BaseStorage


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(storage: BaseStorage, token: str | None = None) -> Iterator[str]:
    """Serve the dashboard of ``storage``; yield its base URL (``http://127.0.0.1:PORT``)."""
    import uvicorn

    from tansaku.dashboard import create_app

    port = free_port()
    config = uvicorn.Config(
        create_app(storage, token=token), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


class Client:
    """A tiny HTTP client that keeps cookies, as a browser does (no redirects followed)."""

    def __init__(self, base: str, headers: dict[str, str] | None = None) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}
        self.headers = dict(headers or {})

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        csrf: bool = True,
    ) -> tuple[int, dict[str, str], bytes]:
        all_headers = dict(self.headers)
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if method == "POST":
            data = json.dumps(body or {}).encode()
            all_headers["Content-Type"] = "application/json"
            if csrf and "tansaku_csrf" in self.cookies:
                all_headers["X-Tansaku-CSRF"] = self.cookies["tansaku_csrf"]
        all_headers.update(headers or {})
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers=all_headers
        )
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=60) as response:
                status, head, content = response.status, dict(response.headers), response.read()
                cookie_lines = response.headers.get_all("set-cookie") or []
        except urllib.error.HTTPError as error:
            status, head, content = error.code, dict(error.headers), error.read()
            cookie_lines = error.headers.get_all("set-cookie") or []
        for line in cookie_lines:
            name, _, rest = line.partition("=")
            self.cookies[name.strip()] = rest.split(";")[0]
        return status, {k.lower(): v for k, v in head.items()}, content

    def get_json(self, path: str) -> Any:
        status, _, content = self.request("GET", path)
        assert status == 200, (status, content)
        return json.loads(content)

    def post_json(self, path: str, body: Any = None, **kwargs: Any) -> tuple[int, Any]:
        status, _, content = self.request("POST", path, body, **kwargs)
        try:
            return status, json.loads(content)
        except ValueError:
            return status, content.decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None

"""The dashboard's web application (Starlette) and the server that runs it (uvicorn).

Pages are static HTML files that fetch JSON from ``/api``: no user data is ever written into
HTML by the server, and the pages' scripts show it with ``textContent``.
"""

from __future__ import annotations

import json
import os
import pathlib
import sys
import warnings
from collections.abc import Callable
from typing import Any

from tansaku.dashboard._security import Protection, is_loopback
from tansaku.dashboard._service import DashboardService
from tansaku.storages import BaseStorage

STATIC = pathlib.Path(__file__).parent / "static"
TOKEN_ENVIRONMENT_VARIABLE = "TANSAKU_DASHBOARD_TOKEN"
MAX_BODY_BYTES = 1 << 20


def _web() -> Any:
    """Starlette, or an ImportError naming the extra to install."""
    try:
        import starlette  # noqa: F401
    except ImportError:
        raise ImportError(
            "the dashboard needs starlette and uvicorn: pip install tansaku[dashboard]"
        ) from None


def _plotly_js() -> pathlib.Path:
    try:
        import plotly
    except ImportError:
        raise ImportError("the dashboard needs plotly: pip install tansaku[dashboard]") from None
    return pathlib.Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def create_app(storage: BaseStorage, *, token: str | None = None, host: str = "127.0.0.1") -> Any:
    """Build the dashboard's ASGI application over ``storage``.

    Args:
        storage: The storage whose studies are shown.
        token: When given, every request must carry it (see ``_security``).
        host: The address the server listens on; on a loopback address, requests naming
            another host are refused.

    Returns:
        The ASGI application (a ``starlette.applications.Starlette`` wrapped in the protection
        middleware).
    """
    _web()
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import FileResponse, JSONResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    service = DashboardService(storage)
    plotly_js = _plotly_js()

    def page(name: str) -> Callable[[Request], Any]:
        async def serve(request: Request) -> Response:
            return FileResponse(STATIC / name, media_type="text/html")

        return serve

    def api(handler: Callable[..., Any], post: bool = False) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            body: Any = {}
            if post:
                raw = await request.body()
                if len(raw) > MAX_BODY_BYTES:
                    return JSONResponse({"error": "Request body too large"}, status_code=413)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    return JSONResponse({"error": "The body must be JSON"}, status_code=400)
                if not isinstance(body, dict):
                    return JSONResponse({"error": "The body must be a JSON object"}, 400)
            try:
                result = await run_in_threadpool(handler, request, body)
            except KeyError as error:
                return JSONResponse({"error": str(error.args[0] if error.args else error)}, 404)
            except (ValueError, TypeError, ImportError) as error:
                return JSONResponse({"error": str(error)}, status_code=400)
            if isinstance(result, Response):
                return result
            return JSONResponse(result)

        return endpoint

    def ids(request: Request) -> tuple[int, int]:
        params = request.path_params
        return int(params["study_id"]), int(params.get("number", -1))

    def poll(request: Request, body: Any) -> Any:
        study_id, _ = ids(request)
        arguments = request.query_params
        live_text = arguments.get("live", "")
        try:
            next_number = int(arguments.get("next", "0"))
            live = [int(n) for n in live_text.split(",") if n]
        except ValueError:
            raise ValueError(
                f"The 'next' and 'live' arguments must be integers. Got {dict(arguments)!r}."
            ) from None
        return service.poll(study_id, next_number, live)

    def trial_poll(request: Request, body: Any) -> Any:
        study_id, number = ids(request)
        arguments = request.query_params
        try:
            after = int(arguments["after"]) if arguments.get("after") else None
            known = int(arguments.get("known", "0"))
        except ValueError:
            raise ValueError(
                f"The 'after' and 'known' arguments must be integers. Got {dict(arguments)!r}."
            ) from None
        return service.trial_poll(study_id, number, after, known)

    def plot(request: Request, body: Any) -> Any:
        study_id, _ = ids(request)
        arguments = request.query_params
        params_text = arguments.get("params", "")
        params = [p for p in params_text.split(",") if p] if params_text else None
        try:
            objective = int(arguments.get("objective", "0"))
        except ValueError:
            raise ValueError(
                f"The 'objective' argument must be an integer. Got {arguments['objective']!r}."
            ) from None
        figure = service.plot(study_id, request.path_params["kind"], params, objective)
        return Response(figure, media_type="application/json")

    def csv(request: Request, body: Any) -> Any:
        study_id, _ = ids(request)
        text, name = service.csv(study_id)
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:80] or "study"
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{safe}.csv"'},
        )

    routes = [
        Route("/", page("studies.html")),
        Route("/studies/{study_id:int}", page("study.html")),
        Route("/studies/{study_id:int}/trials/{number:int}", page("trial.html")),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Route("/static/plotly.min.js", lambda request: FileResponse(plotly_js)),
        Mount("/static", StaticFiles(directory=STATIC)),
        Route("/api/studies", api(lambda r, b: service.studies())),
        Route(
            "/api/studies/create",
            api(lambda r, b: service.create_study(b), post=True),
            methods=["POST"],
        ),
        Route("/api/studies/{study_id:int}", api(lambda r, b: service.study(ids(r)[0]))),
        Route(
            "/api/studies/{study_id:int}/delete",
            api(lambda r, b: service.delete_study(ids(r)[0], b), post=True),
            methods=["POST"],
        ),
        Route(
            "/api/studies/{study_id:int}/trials",
            api(lambda r, b: service.trials(ids(r)[0], r.query_params)),
        ),
        Route("/api/studies/{study_id:int}/trials.csv", api(csv)),
        Route("/api/studies/{study_id:int}/poll", api(poll)),
        Route("/api/studies/{study_id:int}/plot/{kind}", api(plot)),
        Route(
            "/api/studies/{study_id:int}/trials/{number:int}",
            api(lambda r, b: service.trial(*ids(r))),
        ),
        Route("/api/studies/{study_id:int}/trials/{number:int}/poll", api(trial_poll)),
        Route(
            "/api/studies/{study_id:int}/trials/{number:int}/tell",
            api(lambda r, b: service.tell(*ids(r), b), post=True),
            methods=["POST"],
        ),
        Route(
            "/api/studies/{study_id:int}/trials/{number:int}/remove",
            api(lambda r, b: service.remove_waiting(*ids(r)), post=True),
            methods=["POST"],
        ),
    ]
    app = Starlette(routes=routes)
    return Protection(app, token=token, bound_host=host)


def run_server(
    storage: BaseStorage, *, host: str = "127.0.0.1", port: int = 8080, token: str | None = None
) -> None:
    """Serve the dashboard of ``storage`` on ``host:port`` until interrupted (Ctrl-C).

    Args:
        storage: The storage whose studies are shown.
        host: The address to listen on; loopback by default, so that only this machine can
            connect. Another address without a token prints a warning.
        port: The port to listen on.
        token: A secret every request must carry; None reads ``TANSAKU_DASHBOARD_TOKEN`` (no
            token when that is unset too).
    """
    _web()
    import uvicorn

    if token is None:
        token = os.environ.get(TOKEN_ENVIRONMENT_VARIABLE) or None
    if not is_loopback(host) and token is None:
        warnings.warn(
            f"The dashboard listens on {host} without a token: anyone who can reach this "
            "machine can read and change its studies. Pass --token or set "
            f"{TOKEN_ENVIRONMENT_VARIABLE}.",
            UserWarning,
            stacklevel=2,
        )
    app = create_app(storage, token=token, host=host)
    shown = f"[{host}]" if ":" in host else host
    address = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    print(f"tansaku dashboard: {address}  (Ctrl-C to stop)", file=sys.stderr, flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")

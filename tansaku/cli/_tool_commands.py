"""Commands that open a storage for people to look at: report and dashboard."""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from typing import Any

from tansaku.cli._storage_args import resolve_storage
from tansaku.exceptions import CLIUsageError

Subparsers = Any  # argparse's _SubParsersAction, which is private

TOKEN_ENV_VAR = "TANSAKU_DASHBOARD_TOKEN"
_STORAGE_HELP = "storage URL, or the path of a journal or SQLite file"


def register(commands: Subparsers, parent: argparse.ArgumentParser) -> None:
    """Add ``report`` and ``dashboard`` to ``commands``."""
    report = commands.add_parser(
        "report", parents=[parent], help="write a study's results as one HTML page"
    )
    report.add_argument("target_storage", metavar="STORAGE", help=_STORAGE_HELP)
    report.add_argument(
        "--study", metavar="NAME", help="the study (needed when the storage has several)"
    )
    report.add_argument("-o", "--output", required=True, metavar="FILE", help="the HTML file")
    report.set_defaults(handler=write_report)

    dashboard = commands.add_parser(
        "dashboard", parents=[parent], help="serve the live web dashboard of a storage"
    )
    dashboard.add_argument("target_storage", metavar="STORAGE", help=_STORAGE_HELP)
    dashboard.add_argument("--host", default="127.0.0.1", help="address to bind")
    dashboard.add_argument("--port", type=int, default=8080, help="port to listen on")
    dashboard.add_argument(
        "--token",
        default=None,
        help=f"require this token on every request (default: ${TOKEN_ENV_VAR})",
    )
    dashboard.set_defaults(handler=serve_dashboard)


def write_report(args: argparse.Namespace) -> int:
    """``report``: ``tansaku.visualization.report`` of one study into ``--output``."""
    import tansaku
    from tansaku.visualization import report

    storage = resolve_storage(args.target_storage).storage
    name = args.study
    if name is None:
        names = [study.study_name for study in storage.get_all_studies()]
        if len(names) != 1:
            raise CLIUsageError(f"the storage holds {len(names)} studies; choose one with --study")
        name = names[0]
    study = tansaku.load_study(study_name=name, storage=storage)
    print(report(study, args.output))
    return 0


def serve_dashboard(args: argparse.Namespace) -> int:
    """``dashboard``: resolve STORAGE and hand it to ``tansaku.dashboard.run_server``."""
    token = args.token or os.environ.get(TOKEN_ENV_VAR) or None
    storage = resolve_storage(args.target_storage).storage
    try:
        from tansaku.dashboard import run_server
    except ImportError as error:
        raise CLIUsageError(
            f"the dashboard needs its web stack: pip install tansaku[dashboard] ({error})"
        ) from error
    if token is None and not _is_loopback(args.host):
        print(
            f"tansaku dashboard: warning: --host {args.host} is reachable from other machines "
            f"and no token is set: anyone who can connect can read and change the studies; "
            f"pass --token or set {TOKEN_ENV_VAR}",
            file=sys.stderr,
        )
    run_server(storage, host=args.host, port=args.port, token=token)
    return 0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to anything

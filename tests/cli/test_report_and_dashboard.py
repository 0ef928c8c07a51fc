"""tansaku report and tansaku dashboard: STORAGE resolution, the token, the missing extra."""

from __future__ import annotations

import json
import sys
import types

import pytest

import tansaku
from tests.cli._cli import error_line, run_in_process


def _dashboard(tmp_path, mode, *arguments, env=None):
    """``tansaku dashboard ARGS`` with ``tansaku.dashboard`` replaced: by nothing (its import
    fails), or by a ``run_server`` that prints what it was given. The dashboard itself is
    another package's work; these check what the CLI hands it."""

    def run_server(storage, *, host, port, token):
        names = [s.study_name for s in storage.get_all_studies()]
        print(json.dumps({"studies": names, "host": host, "port": port, "token": token}))

    stub = None if mode == "missing" else types.SimpleNamespace(run_server=run_server)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, "tansaku.dashboard", stub)
        return run_in_process(tmp_path, ("dashboard", *arguments), env)


def test_report_writes_the_html_page_of_the_study(run, tmp_path):
    study = tansaku.create_study(study_name="s", storage=f"sqlite:///{tmp_path / 's.db'}")
    study.optimize(lambda t: t.suggest_float("x", 0, 1) ** 2, n_trials=5)
    written = run("report", "s.db", "-o", "out.html")  # the only study: no --study needed
    assert written.returncode == 0, written.stderr
    assert written.stdout == "out.html\n"
    assert "<html" in (tmp_path / "out.html").read_text()
    tansaku.create_study(study_name="t", storage=f"sqlite:///{tmp_path / 's.db'}")
    ambiguous = run("report", "s.db", "-o", "out.html")
    assert ambiguous.returncode == 1
    assert (
        error_line(ambiguous)
        == "tansaku report: error: the storage holds 2 studies; choose one with --study"
    )
    assert run("report", "s.db", "--study", "s", "-o", "two.html").returncode == 0
    assert run("report", "missing.db", "--study", "s", "-o", "x.html").returncode == 1


def test_dashboard_gets_the_resolved_storage_and_the_token(tmp_path):
    from tansaku.storages.journal import JournalFileBackend, JournalStorage

    tansaku.create_study(
        study_name="j", storage=JournalStorage(JournalFileBackend(str(tmp_path / "run.log")))
    )
    served = _dashboard(
        tmp_path,
        "stub",
        "run.log",
        "--port",
        "9000",
        env={"TANSAKU_DASHBOARD_TOKEN": "env-secret"},
    )
    assert served.returncode == 0, served.stderr
    assert json.loads(served.stdout) == {
        "studies": ["j"],
        "host": "127.0.0.1",
        "port": 9000,
        "token": "env-secret",
    }
    assert served.stderr == ""
    given = _dashboard(tmp_path, "stub", "run.log", "--token", "t", "--host", "0.0.0.0")
    assert json.loads(given.stdout)["token"] == "t" and "warning" not in given.stderr


def test_dashboard_on_another_host_without_a_token_warns(tmp_path):
    tansaku.create_study(study_name="s", storage=f"sqlite:///{tmp_path / 's.db'}")
    served = _dashboard(tmp_path, "stub", "s.db", "--host", "0.0.0.0")
    assert served.returncode == 0
    assert served.stderr.startswith("tansaku dashboard: warning: --host 0.0.0.0 is reachable")
    assert "--token" in served.stderr
    for loopback in ("localhost", "::1", "127.0.0.2"):
        assert _dashboard(tmp_path, "stub", "s.db", "--host", loopback).stderr == ""


def test_dashboard_without_its_extra_or_its_storage_is_exit_1(tmp_path):
    tansaku.create_study(study_name="s", storage=f"sqlite:///{tmp_path / 's.db'}")
    missing_extra = _dashboard(tmp_path, "missing", "s.db")
    assert missing_extra.returncode == 1
    assert error_line(missing_extra).startswith(
        "tansaku dashboard: error: the dashboard needs its web stack: "
        "pip install tansaku[dashboard]"
    )
    missing_file = _dashboard(tmp_path, "stub", "nope.log")
    assert missing_file.returncode == 1
    assert error_line(missing_file).startswith(
        "tansaku dashboard: error: storage 'nope.log': no such file"
    )

"""The dashboard's JSON API and protections, over HTTP against a real server and SQLite."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

import tansaku
from tansaku.dashboard._followed import FollowedStudy
from tansaku.storages import InMemoryStorage, RDBStorage
from tansaku.trial import TrialState
from tests.dashboard._server import Client, serving
from tests.dashboard.conftest import XSS_NAME


def _study_id(client: Client) -> int:
    (study,) = client.get_json("/api/studies")
    return int(study["id"])


def test_studies_list_has_counts_best_value_and_last_activity(
    server: str, storage: RDBStorage
) -> None:
    (study,) = Client(server).get_json("/api/studies")
    best = tansaku.load_study(study_name=XSS_NAME, storage=storage).best_trial

    assert study["name"] == XSS_NAME
    assert study["directions"] == ["minimize"]
    assert study["counts"] == {"RUNNING": 1, "COMPLETE": 10, "PRUNED": 0, "FAIL": 0, "WAITING": 1}
    assert study["best"] == {"number": best.number, "values": [best.value]}
    assert study["last_activity"] is not None


def test_trials_are_paged_sorted_and_filtered_on_the_server(server: str) -> None:
    client = Client(server)
    study_id = _study_id(client)
    base = f"/api/studies/{study_id}/trials"

    page = client.get_json(f"{base}?per_page=5&page=3")
    assert page["total"] == 12
    assert [t["number"] for t in page["trials"]] == [10, 11]

    complete = client.get_json(f"{base}?state=complete&sort=value&order=desc")
    values = [t["values"][0] for t in complete["trials"]]
    assert complete["total"] == 10 and values == sorted(values, reverse=True)

    ranged = client.get_json(f"{base}?param=x:0:5&state=COMPLETE")
    assert all(0 <= t["params"]["x"] <= 5 for t in ranged["trials"])

    best = client.get_json(f"{base}?best=1")
    (summary,) = client.get_json("/api/studies")
    assert [t["number"] for t in best["trials"]] == [summary["best"]["number"]]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("state=DONE", "The 'state' argument must name states"),
        ("sort=color", "The 'sort' argument must be"),
        ("page=0", "The 'page' argument must be a number >= 1. Got '0'."),
        ("param=x:a:1", "The 'param' argument must be a number. Got 'a'."),
        ("order=up", "The 'order' argument must be 'asc' or 'desc'"),
    ],
)
def test_a_bad_trials_query_is_a_400_naming_the_argument(
    server: str, query: str, message: str
) -> None:
    client = Client(server)
    status, _, content = client.request("GET", f"/api/studies/{_study_id(client)}/trials?{query}")
    assert status == 400
    assert message in json.loads(content)["error"]


def test_poll_returns_only_what_changed_since_the_cursor(server: str, db_url: str) -> None:
    client = Client(server)
    study_id = _study_id(client)
    detail = client.get_json(f"/api/studies/{study_id}")
    cursor = detail["cursor"]
    assert cursor == {"next": 12, "live": [10, 11]}

    # Another storage object on the same file: another process, as far as the server knows.
    other = tansaku.load_study(study_name=XSS_NAME, storage=db_url)
    other.tell(10, 0.5)
    other.add_trial(tansaku.trial.create_trial(value=2.0))

    def poll() -> dict:
        live = ",".join(map(str, cursor["live"]))
        return client.get_json(f"/api/studies/{study_id}/poll?next={cursor['next']}&live={live}")

    answer = poll()
    deadline = time.monotonic() + 60
    while answer["next"] < 13 and time.monotonic() < deadline:  # refreshes come at most 4 Hz
        time.sleep(0.05)
        answer = poll()
    assert [t["number"] for t in answer["changed"]] == [10, 11, 12]
    assert answer["changed"][0]["state"] == "COMPLETE"
    assert (answer["next"], answer["live"]) == (13, [11])
    assert answer["summary"]["counts"]["COMPLETE"] == 12


def test_a_trial_poll_returns_the_steps_reported_since(server: str, db_url: str) -> None:
    client = Client(server)
    study_id = _study_id(client)
    poll = f"/api/studies/{study_id}/trials/10/poll"
    first = client.get_json(poll)
    assert (first["state"], first["intermediate_values"], first["all"]) == ("RUNNING", [], True)

    other = RDBStorage(db_url)  # another process, as far as the server knows
    trial_id = other.get_trial_id_from_study_id_trial_number(study_id, 10)
    other.set_trial_intermediate_value(trial_id, 0, 0.5)
    other.set_trial_intermediate_value(trial_id, 1, 0.25)
    assert client.get_json(poll + "?after=&known=0")["intermediate_values"] == [
        [0, 0.5],
        [1, 0.25],
    ]
    assert client.get_json(poll + "?after=1&known=2")["intermediate_values"] == []

    other.set_trial_intermediate_value(trial_id, 2, float("inf"))
    answer = client.get_json(poll + "?after=1&known=2")
    assert (answer["intermediate_values"], answer["all"]) == ([[2, "inf"]], False)
    # A page that holds other steps than the trial's up to ``after`` gets them all again.
    answer = client.get_json(poll + "?after=1&known=1")
    assert (len(answer["intermediate_values"]), answer["all"]) == (3, True)

    other.set_trial_state_values(trial_id, TrialState.COMPLETE, [4.5])
    answer = client.get_json(poll + "?after=2&known=3")
    assert (answer["state"], answer["values"], answer["intermediate_values"]) == (
        "COMPLETE",
        [4.5],
        [],
    )
    status, _, body = client.request("GET", poll + "?after=x")
    assert status == 400 and b"'after' and 'known' arguments must be integers" in body


def test_following_a_study_never_reads_its_whole_history_again() -> None:
    class CountingStorage(InMemoryStorage):
        full_reads = 0

        def get_all_trials(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            CountingStorage.full_reads += 1
            return super().get_all_trials(*args, **kwargs)

    storage = CountingStorage()
    study = tansaku.create_study(storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    followed = FollowedStudy(storage, study._study_id)
    followed.refresh(force=True)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    CountingStorage.full_reads = 0

    followed.refresh(force=True)

    assert CountingStorage.full_reads == 0
    assert [t.number for t in followed.trials] == list(range(8))
    assert followed.trials == study.get_trials()


def test_the_study_is_followed_without_intermediate_values_the_trial_page_has_them(
    storage: RDBStorage, db_url: str
) -> None:
    # A fresh storage on the file, as a dashboard started after the study ran: its first read
    # leaves the finished trials' intermediate values (most rows of a large study) out.
    fresh = RDBStorage(db_url)
    study_id = fresh.get_study_id_from_name(XSS_NAME)
    followed = FollowedStudy(fresh, study_id)
    followed.refresh(force=True)
    assert followed.trials[3].intermediate_values == {}
    whole = storage.get_all_trials(study_id)
    with serving(fresh) as base:
        client = Client(base)
        trial = client.get_json(f"/api/studies/{study_id}/trials/3")
        figure = client.get_json(f"/api/studies/{study_id}/plot/intermediate")
    assert trial["intermediate_values"] == [
        [s, v] for s, v in whole[3].intermediate_values.items()
    ]
    drawn = [y for trace in figure["data"] for y in trace["y"] if y is not None]
    assert len(drawn) == 30  # three steps of each of the ten completed trials


@pytest.mark.parametrize(
    "kind",
    [
        "history",
        "intermediate",
        "importances",
        "contour",
        "slice",
        "parallel",
        "rank",
        "edf",
        "timeline",
    ],
)
def test_every_plot_of_a_study_is_a_plotly_figure(server: str, kind: str) -> None:
    client = Client(server)
    figure = client.get_json(f"/api/studies/{_study_id(client)}/plot/{kind}")
    assert figure["data"] and "layout" in figure


def test_multi_objective_plots_and_a_plot_that_does_not_apply(server: str, storage) -> None:
    study = tansaku.create_study(
        study_name="mo", storage=storage, directions=["minimize", "maximize"]
    )
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=8)
    client = Client(server)
    for kind in ["pareto", "hypervolume", "history"]:
        figure = client.get_json(f"/api/studies/{study._study_id}/plot/{kind}?objective=1")
        assert figure["data"]
    single = [s for s in client.get_json("/api/studies") if s["name"] == XSS_NAME][0]
    status, _, content = client.request("GET", f"/api/studies/{single['id']}/plot/pareto")
    assert status == 400 and "several objectives" in json.loads(content)["error"]


def test_csv_export_quotes_cells_a_spreadsheet_would_run(server: str, storage) -> None:
    study = tansaku.load_study(study_name=XSS_NAME, storage=storage)
    study.add_trial(
        tansaku.trial.create_trial(
            value=1.0,
            params={"x": 0.0, "label": "=1+1"},
            distributions={
                "x": tansaku.distributions.FloatDistribution(-5, 5),
                "label": tansaku.distributions.CategoricalDistribution(["plain", "=1+1"]),
            },
            user_attrs={"note": '=HYPERLINK("x")'},
        )
    )
    client = Client(server)
    status, headers, content = client.request(
        "GET", f"/api/studies/{_study_id(client)}/trials.csv"
    )
    text = content.decode()
    assert status == 200 and headers["content-type"].startswith("text/csv")
    assert text.splitlines()[0].startswith("number,state,value,")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    assert "'=1+1" in text and ",=1+1" not in text


def test_create_and_delete_need_the_csrf_cookie_and_the_name_repeated(server: str) -> None:
    client = Client(server)
    client.get_json("/api/studies")  # sets the CSRF cookie, as loading a page does

    status, _ = client.post_json("/api/studies/create", {"name": "new"}, csrf=False)
    assert status == 403
    status, answer = client.post_json("/api/studies/create", {"name": "new"})
    assert status == 200
    new_id = answer["id"]

    assert client.request("GET", f"/api/studies/{new_id}/delete")[0] == 405
    status, answer = client.post_json(f"/api/studies/{new_id}/delete", {"confirm": "other"})
    assert status == 400 and "must repeat the study's name 'new'" in answer["error"]
    status, _ = client.post_json(
        f"/api/studies/{new_id}/delete", {"confirm": "new"}, headers={"Origin": "http://evil.test"}
    )
    assert status == 403
    status, _ = client.post_json(f"/api/studies/{new_id}/delete", {"confirm": "new"})
    assert status == 200
    assert [s["name"] for s in client.get_json("/api/studies")] == [XSS_NAME]


def test_tell_fail_and_remove_a_waiting_trial(server: str, storage) -> None:
    client = Client(server)
    study_id = _study_id(client)
    base = f"/api/studies/{study_id}/trials"

    status, answer = client.post_json(f"{base}/10/tell", {"state": "COMPLETE", "values": ["x"]})
    assert status == 400 and "must be a list of numbers" in answer["error"]
    status, answer = client.post_json(f"{base}/10/tell", {"state": "COMPLETE", "values": [3.5]})
    assert status == 200 and answer["state"] == "COMPLETE" and answer["values"] == [3.5]
    status, answer = client.post_json(f"{base}/10/tell", {"state": "FAIL"})
    assert status == 400  # finished trials never change

    status, answer = client.post_json(f"{base}/3/remove")
    assert status == 400 and "only a WAITING trial can be removed" in answer["error"]
    status, answer = client.post_json(f"{base}/11/remove")
    assert status == 200 and answer["state"] == "FAIL"
    trials = storage.get_all_trials(study_id)
    assert (trials[10].state, trials[11].state) == (TrialState.COMPLETE, TrialState.FAIL)


def test_a_token_guards_every_request_and_is_taken_from_the_address_once(storage) -> None:
    with serving(storage, token="s3cret") as base:
        anonymous = Client(base)
        assert anonymous.request("GET", "/")[0] == 401
        assert anonymous.request("GET", "/api/studies")[0] == 401
        assert anonymous.request("GET", "/static/common.js")[0] == 401
        assert anonymous.request("GET", "/?token=wrong")[0] == 401

        browser = Client(base)
        status, headers, _ = browser.request("GET", "/studies/1?token=s3cret&x=1")
        assert status == 303 and headers["location"] == "/studies/1?x=1"
        assert browser.get_json("/api/studies")[0]["name"] == XSS_NAME

        by_header = Client(base, headers={"X-Tansaku-Token": "s3cret"})
        assert by_header.request("GET", "/api/studies")[0] == 200


def test_a_loopback_server_refuses_other_host_names(server: str) -> None:
    client = Client(server)
    assert client.request("GET", "/api/studies", headers={"Host": "attacker.test"})[0] == 421
    assert client.request("GET", "/api/studies", headers={"Host": "localhost:1"})[0] == 200


def test_pages_carry_no_user_data_and_a_strict_content_security_policy(server: str) -> None:
    client = Client(server)
    for path in ["/", "/studies/1", "/studies/1/trials/0"]:
        status, headers, content = client.request("GET", path)
        assert status == 200
        assert b"alert" not in content
        assert "script-src 'self'" in headers["content-security-policy"]
        assert (
            "unsafe-inline"
            not in headers["content-security-policy"].split("script-src")[1].split(";")[0]
        )
    status, _, content = client.request("GET", "/static/plotly.min.js")
    assert status == 200 and len(content) > 1_000_000


def test_unknown_study_and_trial_are_404(server: str) -> None:
    client = Client(server)
    assert client.request("GET", "/api/studies/999")[0] == 404
    assert client.request("GET", f"/api/studies/{_study_id(client)}/trials/99")[0] == 404


def test_import_tansaku_and_the_dashboard_module_load_no_web_stack() -> None:
    code = (
        "import sys, tansaku, tansaku.dashboard; "
        "print([m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn', 'plotly')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

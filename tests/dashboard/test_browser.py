"""The dashboard in a real browser: Debian's Chromium driven by Playwright, against a real
server over a SQLite study. Run by ``make test-browser``; under CI a missing Chromium fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tansaku.storages import RDBStorage
from tansaku.trial import TrialState
from tests.dashboard._server import serving
from tests.dashboard.conftest import XSS_NAME

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
WAIT_MS = 60_000  # generous: the tests wait for things to appear, they never time them


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[Any]:
    """A page of a fresh Chromium profile; it records dialogs and page errors."""
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            args=FLAGS,
            headless=True,
            viewport={"width": 1400, "height": 900},
        )
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.dialogs = []  # type: ignore[attr-defined]
        page.errors = []  # type: ignore[attr-defined]
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        try:
            yield page
        finally:
            context.close()


def _wait_until(page: Any, expression: str, bound_s: float = 60.0) -> None:
    """Wait until ``expression`` is true in the page (at most ``bound_s``: then fail).

    Playwright's ``wait_for_function`` evaluates its predicate with ``eval`` inside the page,
    which the dashboard's Content-Security-Policy (``script-src 'self'``) refuses, as it should;
    ``page.evaluate`` goes through the browser's DevTools protocol, which the policy leaves be.
    """
    deadline = time.monotonic() + bound_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {bound_s} s: {expression}"
        page.wait_for_timeout(100)


def _shots(page: Any, tmp_path: Path, name: str) -> None:
    for width in (1400, 800):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(300)  # let plotly re-lay out the plot; nothing is asserted
        page.screenshot(path=str(tmp_path / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 900})


def _dismiss_all(page: Any) -> None:
    def on_dialog(dialog: Any) -> None:
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)


def test_studies_page_lists_the_study_and_names_render_as_text(
    server: str, browser_page: Any, tmp_path: Path
) -> None:
    page = browser_page
    _dismiss_all(page)
    page.goto(server + "/")
    link = page.locator("#studies-body a").first
    link.wait_for()

    assert link.text_content() == XSS_NAME
    assert page.locator("#studies-body script").count() == 0
    _shots(page, tmp_path, "studies")
    assert page.dialogs == [] and page.errors == []


def test_study_page_plots_one_point_per_completed_trial_and_shows_xss_as_text(
    server: str, browser_page: Any, storage: RDBStorage, tmp_path: Path
) -> None:
    page = browser_page
    _dismiss_all(page)
    (study,) = storage.get_all_studies()
    n_complete = storage.get_n_trials(study._study_id, TrialState.COMPLETE)

    page.goto(f"{server}/studies/{study._study_id}")
    page.wait_for_selector("#plot[data-loaded] .main-svg")
    points = page.evaluate("document.getElementById('plot').data[0].x.length")
    assert points == n_complete
    assert page.locator("#title").text_content() == XSS_NAME
    assert page.locator("#trials-body tr").count() == 12
    # The categorical choice and the attrs of the study are shown as text, not as markup.
    page.wait_for_selector("text=<img src=x onerror=alert(2)>")
    assert page.locator("#trials-body img, #user-attrs i").count() == 0
    _shots(page, tmp_path, "study")
    for kind in ["intermediate", "contour", "parallel", "timeline"]:
        page.click(f"#tabs button[data-kind={kind}]")
        page.wait_for_selector(f"#plot[data-kind={kind}] .main-svg")
    _shots(page, tmp_path, "study-timeline")
    page.goto(f"{server}/studies/{study._study_id}/trials/10")
    page.wait_for_selector("#tell")
    _shots(page, tmp_path, "trial")
    assert page.dialogs == [] and page.errors == []


def test_a_trial_added_by_another_process_appears_live(
    server: str, browser_page: Any, db_url: str, storage: RDBStorage, tmp_path: Path
) -> None:
    page = browser_page
    (study,) = storage.get_all_studies()
    page.goto(f"{server}/studies/{study._study_id}")
    page.wait_for_selector("#trials-body tr[data-number='11']")

    code = (
        "import sys, tansaku; "
        "s = tansaku.load_study(study_name=sys.argv[2], storage=sys.argv[1]); "
        "s.add_trial(tansaku.trial.create_trial(value=-1.0))"
    )
    subprocess.run([sys.executable, "-c", code, db_url, XSS_NAME], check=True)

    page.wait_for_selector("#trials-body tr[data-number='12']")
    _wait_until(page, "document.getElementById('plot').data[0].x.length === 11")
    _shots(page, tmp_path, "study-live")


def test_a_running_trials_page_shows_what_another_process_reports_and_tells(
    server: str, browser_page: Any, db_url: str, storage: RDBStorage, tmp_path: Path
) -> None:
    page = browser_page
    (study,) = storage.get_all_studies()
    page.goto(f"{server}/studies/{study._study_id}/trials/10")
    page.wait_for_selector("#tell")
    code = (
        "import sys, tansaku; "
        "s = tansaku.load_study(study_name=sys.argv[2], storage=sys.argv[1]); "
        "i = s._storage.get_trial_id_from_study_id_trial_number(s._study_id, 10); "
        "s._storage.set_trial_intermediate_value(i, 7, 0.125) if sys.argv[3] == 'report' "
        "else s.tell(10, 4.5)"
    )
    subprocess.run([sys.executable, "-c", code, db_url, XSS_NAME, "report"], check=True)

    page.wait_for_selector("#intermediate tr[data-step='7'] >> text=0.125")
    _shots(page, tmp_path, "trial-live")
    subprocess.run([sys.executable, "-c", code, db_url, XSS_NAME, "tell"], check=True)

    page.wait_for_selector("#overview >> text=COMPLETE")
    page.wait_for_selector("#overview >> text=4.5")
    assert page.locator("#tell").count() == 0
    assert page.locator("#intermediate tr").count() == 1
    assert page.errors == []


def test_delete_needs_confirmation(
    server: str, browser_page: Any, storage: RDBStorage, tmp_path: Path
) -> None:
    page = browser_page
    answers = ["dismiss", "accept"]
    messages: list[str] = []

    def on_dialog(dialog: Any) -> None:
        messages.append(dialog.message)
        getattr(dialog, answers.pop(0))()

    page.on("dialog", on_dialog)
    page.goto(server + "/")
    page.locator("#studies-body button.danger").first.click()
    _wait_until(page, "document.getElementById('live').textContent !== ''")
    assert len(messages) == 1 and XSS_NAME in messages[0]
    assert len(storage.get_all_studies()) == 1

    page.locator("#studies-body button.danger").first.click()
    page.wait_for_selector("#studies-body tr", state="detached")
    assert storage.get_all_studies() == []


def test_with_a_token_pages_need_it_and_delete_works_once_it_is_given(
    storage: RDBStorage, browser_page: Any
) -> None:
    page = browser_page
    page.on("dialog", lambda dialog: dialog.accept())
    with serving(storage, token="tok-123") as base:
        response = page.goto(base + "/")
        assert response.status == 401
        assert page.locator("#studies-body").count() == 0

        page.goto(base + "/?token=tok-123")
        assert page.url == base + "/"
        page.locator("#studies-body button.danger").first.click()
        page.wait_for_selector("#studies-body tr", state="detached")
    assert storage.get_all_studies() == []


def test_creating_a_study_from_the_studies_page(server: str, browser_page: Any) -> None:
    page = browser_page
    page.goto(server + "/")
    page.fill("#create-name", "made in the browser")
    page.select_option("#create-directions", "minimize,maximize")
    page.click("#create button[type=submit]")
    page.wait_for_selector("#studies-body a:text-is('made in the browser')")

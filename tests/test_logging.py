from __future__ import annotations

import logging

import pytest

import tansaku


def test_each_finished_trial_is_logged_at_info_with_the_best_so_far(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tansaku.logging.set_verbosity(tansaku.logging.INFO)
    tansaku.logging.enable_propagation()
    try:
        with caplog.at_level(logging.INFO, logger="tansaku"):
            study = tansaku.create_study()
            study.tell(study.ask(), 2.0)
            study.tell(study.ask(), 1.0)
    finally:
        tansaku.logging.disable_propagation()
    lines = [r.getMessage() for r in caplog.records]
    assert any(
        line.startswith("Trial 0 finished with value: 2.0 and parameters: {}.") for line in lines
    )
    assert any(
        line.startswith("Trial 1 finished") and line.endswith("Best is trial 1 with value: 1.0.")
        for line in lines
    )


def test_set_verbosity_warning_silences_trial_lines(capfd: pytest.CaptureFixture[str]) -> None:
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    assert tansaku.logging.get_verbosity() == tansaku.logging.WARNING
    study = tansaku.create_study()
    study.tell(study.ask(), 1.0)
    assert "finished" not in capfd.readouterr().err


def test_default_handler_writes_to_stderr_and_can_be_disabled(
    capfd: pytest.CaptureFixture[str],
) -> None:
    tansaku.logging.set_verbosity(tansaku.logging.INFO)
    study = tansaku.create_study()
    study.tell(study.ask(), 1.0)
    assert "Trial 0 finished" in capfd.readouterr().err
    tansaku.logging.disable_default_handler()
    try:
        study.tell(study.ask(), 1.0)
        assert "Trial 1 finished" not in capfd.readouterr().err
    finally:
        tansaku.logging.enable_default_handler()

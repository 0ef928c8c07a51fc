"""The study page reads params only where it shows them, and shows them all correctly.

The dashboard follows a study without the params of its finished trials (a storage reading a
database leaves them out of its first read: a third of a large study's rows) and reads them
for a table page's trials, or whole for a filter or sort by param, a plot of params and the
CSV export. Whatever was left out, every answer must be the one the whole trials give, on
every backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import tansaku
from tansaku.dashboard import _encode, _plots
from tansaku.dashboard._service import DashboardService
from tansaku.samplers import RandomSampler
from tansaku.storages import BaseStorage, RDBStorage
from tansaku.study import Study
from tansaku.trial import FrozenTrial, TrialState
from tests.storages._contract_backends import STORAGE_FACTORIES

N_TRIALS = 30


def _objective(trial: tansaku.Trial) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    n = trial.suggest_int("n", 1, 9, log=True)
    c = trial.suggest_categorical("c", ["a", "b", None])
    if trial.number == 3:
        trial.suggest_float("only_in_three", 0.0, 1.0)  # a name found in one trial only
    if trial.number == 20:
        raise RuntimeError("a failed trial")
    return x * x + n + (c == "a")


@pytest.fixture(params=["inmemory", "sqlite", "journal_file"])
def stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[BaseStorage, BaseStorage]]:
    """The storage a study ran in, and the one the dashboard reads: for SQLite, a fresh
    storage on the file (a dashboard started after the study ran), whose first read leaves
    the finished trials' params out."""
    tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    writer = STORAGE_FACTORIES[request.param](tmp_path)
    study = tansaku.create_study(study_name="lazy", storage=writer, sampler=RandomSampler(seed=3))
    study.optimize(_objective, n_trials=N_TRIALS, catch=(RuntimeError,))
    running = study.ask()
    running.suggest_float("x", -5.0, 5.0)
    reader = RDBStorage(writer.url) if isinstance(writer, RDBStorage) else writer
    yield writer, reader
    reader.remove_session()
    writer.remove_session()


def _service(reader: BaseStorage) -> tuple[DashboardService, int]:
    return DashboardService(reader), reader.get_study_id_from_name("lazy")


def _rows(trials: list[FrozenTrial]) -> list[dict[str, object]]:
    return [_encode.trial_row(t) for t in trials]


def test_the_cold_study_page_reads_params_of_the_table_page_only(
    stores: tuple[BaseStorage, BaseStorage],
) -> None:
    writer, reader = stores
    service, study_id = _service(reader)
    whole = writer.get_all_trials(study_id)

    header = service.study(study_id)
    page = service.trials(study_id, {"page": "2", "per_page": "7"})
    service.plot(study_id, "history", None, 0)

    assert header["param_names"] == ["c", "n", "only_in_three", "x"]
    assert page["total"] == N_TRIALS + 1
    assert page["trials"] == _rows(whole[7:14])
    assert page["trials"][0]["params"]["c"] in ("a", "b", None)
    kept = service.followed(study_id).trials
    if reader is not writer:  # a database read: the other finished trials' params wait
        assert [t.number for t in kept if t.params] == [*range(7, 14), N_TRIALS]
    assert all(t.params == whole[t.number].params for t in kept if t.params)


def test_every_page_filter_and_sort_by_param_is_the_whole_trials(
    stores: tuple[BaseStorage, BaseStorage],
) -> None:
    writer, reader = stores
    service, study_id = _service(reader)
    whole = writer.get_all_trials(study_id)

    pages = [service.trials(study_id, {"page": str(p), "per_page": "8"}) for p in (1, 2, 3, 4)]
    assert [row for page in pages for row in page["trials"]] == _rows(whole)

    in_range = [t for t in whole if isinstance(t.params.get("x"), float) and t.params["x"] >= -1]
    by_x = sorted(in_range, key=lambda t: t.params["x"], reverse=True)
    answer = service.trials(
        study_id, {"param": "x:-1:", "sort": "param:x", "order": "desc", "per_page": "50"}
    )
    assert answer["total"] == len(by_x) > 0
    assert answer["trials"] == _rows(by_x)
    by_n = service.trials(study_id, {"param": "n::2", "state": "COMPLETE", "per_page": "50"})
    expected = [t for t in whole if t.state is TrialState.COMPLETE and t.params["n"] <= 2]
    assert by_n["trials"] == _rows(expected)
    assert service.csv(study_id)[0] == _encode.trials_csv(whole, 1)


@pytest.mark.parametrize("kind", ["contour", "slice", "parallel", "rank"])
def test_plots_of_params_are_those_of_the_whole_study(
    stores: tuple[BaseStorage, BaseStorage], kind: str
) -> None:
    writer, reader = stores
    service, study_id = _service(reader)
    service.trials(study_id, {"page": "1"})  # the cold page first: params of one page read
    whole_study = Study("lazy", writer, sampler=RandomSampler(seed=0))

    for params in (None, ["x", "only_in_three"]):
        drawn = service.plot(study_id, kind, params, 0)
        assert drawn == _plots.figure_json(whole_study, kind, params, 0)


def test_new_trials_and_param_names_arrive_after_the_cold_read(
    stores: tuple[BaseStorage, BaseStorage],
) -> None:
    writer, reader = stores
    service, study_id = _service(reader)
    header = service.study(study_id)
    cursor = header["cursor"]
    study = tansaku.load_study(study_name="lazy", storage=writer, sampler=RandomSampler(seed=4))
    trial = study.ask()
    trial.suggest_float("x", -5.0, 5.0)
    trial.suggest_float("brand_new", 0.0, 1.0)
    study.tell(trial, 1.0)

    service.followed(study_id, force=True)
    answer = service.poll(study_id, cursor["next"], cursor["live"])
    # A client that polls from the start gets every trial's params too.
    everything = service.poll(study_id, 0, [])

    whole = writer.get_all_trials(study_id)
    assert answer["changed"] == _rows(whole[N_TRIALS:])  # the running one re-read, the new one
    assert everything["changed"] == _rows(whole)
    assert service.study(study_id)["param_names"] == [
        "brand_new",
        "c",
        "n",
        "only_in_three",
        "x",
    ]

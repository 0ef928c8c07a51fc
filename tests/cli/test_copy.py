"""tansaku copy: whole trials between storages, idempotent, and merging several sources."""

from __future__ import annotations

from pathlib import Path

import tansaku
from tansaku.cli._copy import ORIGIN_KEY
from tansaku.trial import TrialState
from tests.cli._cli import api_storage, error_line


def _fill(storage: object, seed: int) -> None:
    study = tansaku.create_study(
        study_name="s", storage=storage, sampler=tansaku.samplers.RandomSampler(seed=seed)
    )
    study.set_user_attr("team", "a")
    for i in range(4):
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        trial.suggest_categorical("c", ["p", "q"])
        trial.set_user_attr("i", i)
        study._storage.set_trial_system_attr(trial._trial_id, "seed", seed)
        trial.report(float(i), 0)
        if i == 1:
            study.tell(trial, state=TrialState.PRUNED)
        elif i == 2:
            study.tell(trial, state=TrialState.FAIL)
        elif i == 3:
            pass  # left running
        else:
            study.tell(trial, 0.5 + seed)


def _content(trial: tansaku.trial.FrozenTrial) -> tuple:
    attrs = {k: v for k, v in trial.system_attrs.items() if k != ORIGIN_KEY}
    return (
        trial.state,
        trial.values,
        trial.params,
        trial.distributions,
        trial.user_attrs,
        attrs,
        trial.intermediate_values,
        trial.datetime_start,
        trial.datetime_complete,
    )


def test_copy_twice_copies_every_trial_once(run, tmp_path):
    _fill(f"sqlite:///{tmp_path / 'a.db'}", seed=0)
    first = run("copy", "a.db", "b.log")
    assert first.returncode == 0, first.stderr
    assert first.stdout == "s -> s (created): 4 trials copied, 0 already there\n"
    second = run("copy", f"sqlite:///{tmp_path / 'a.db'}", str(tmp_path / "b.log"))
    assert second.stdout == "s -> s (merged into): 0 trials copied, 4 already there\n"

    source = tansaku.load_study(study_name="s", storage=f"sqlite:///{tmp_path / 'a.db'}")
    target = tansaku.load_study(study_name="s", storage=api_storage(str(tmp_path / "b.log")))
    assert [_content(t) for t in target.trials] == [_content(t) for t in source.trials]
    assert [t.state for t in target.trials][3] == TrialState.RUNNING
    assert target.user_attrs == {"team": "a"}
    assert target.trials[0].system_attrs[ORIGIN_KEY] == {
        "storage": f"sqlite:///{tmp_path / 'a.db'}",
        "trial_id": source.trials[0]._trial_id,
    }


def test_copy_merges_two_sources_and_a_copy_of_a_copy_is_no_new_trial(run, tmp_path):
    _fill(f"sqlite:///{tmp_path / 'gpu0.db'}", seed=0)
    _fill(f"sqlite:///{tmp_path / 'gpu1.db'}", seed=1)
    assert run("copy", "gpu0.db", "all.db").returncode == 0
    merged = run("copy", "gpu1.db", "all.db")
    assert merged.stdout == "s -> s (merged into): 4 trials copied, 0 already there\n"
    # gpu0 -> relay -> all brings gpu0's trials a second way: they are there already.
    assert run("copy", "gpu0.db", "relay.log").returncode == 0
    relayed = run("copy", "relay.log", "all.db")
    assert relayed.stdout == "s -> s (merged into): 0 trials copied, 4 already there\n"
    trials = tansaku.load_study(study_name="s", storage=f"sqlite:///{tmp_path / 'all.db'}").trials
    assert sorted(t.system_attrs["seed"] for t in trials) == [0] * 4 + [1] * 4
    assert [t.number for t in trials] == list(range(8))


def test_copy_selects_and_renames_studies_and_refuses_bad_merges(run, tmp_path):
    source = f"sqlite:///{tmp_path / 'a.db'}"
    _fill(source, seed=0)
    tansaku.create_study(study_name="other", storage=source, direction="maximize")
    renamed = run("copy", "a.db", "b.db", "--study", "s", "--to-study", "s2")
    assert renamed.stdout == "s -> s2 (created): 4 trials copied, 0 already there\n"
    assert tansaku.get_all_study_names(f"sqlite:///{tmp_path / 'b.db'}") == ["s2"]

    tansaku.create_study(study_name="other", storage=f"sqlite:///{tmp_path / 'b.db'}")
    clash = run("copy", "a.db", "b.db", "--study", "other")
    assert clash.returncode == 1
    assert error_line(clash) == (
        "tansaku copy: error: the target study 'other' has directions ['MINIMIZE'], the source "
        "['MAXIMIZE']; only studies of the same directions merge"
    )
    for arguments, expected in (
        (("a.db", "b.db", "--study", "nope"), "no study named 'nope' in the source storage"),
        (("a.db", "b.db", "--to-study", "x"), "--to-study needs exactly one --study"),
        (
            ("a.db", f"sqlite:///{tmp_path / 'a.db'}", "--study", "s"),
            "study 's' would be copied into itself",
        ),
        (("missing.db", "b.db"), "storage 'missing.db': no such file"),
    ):
        result = run("copy", *arguments)
        assert result.returncode == 1, arguments
        assert error_line(result).startswith(f"tansaku copy: error: {expected}"), result.stderr
    assert not Path(tmp_path / "missing.db").exists()

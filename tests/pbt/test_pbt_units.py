"""PBT's parts on their own: explore, quantiles, the plan, arguments, checkpoints, the plot."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

import tansaku
from tansaku.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tansaku.pbt import PBTSampler, lineage, plot_lineage, segment
from tansaku.pbt._explore import explore
from tansaku.pbt._plan import SEGMENT_KEY, Config, Record, Segment, plan_segment, quantiles

LR = FloatDistribution(1e-3, 1.0, log=True)
UNITS = IntDistribution(8, 64, step=8)
OPTIMIZER = CategoricalDistribution(("sgd", "adam", "rmsprop"))
MUTATIONS = {"lr": LR, "units": UNITS, "optimizer": OPTIMIZER}


def test_explore_perturbs_by_the_factors_within_the_spec_or_resamples_at_the_given_rate() -> None:
    rng = random.Random(0)
    parent = {"lr": 0.1, "units": 32, "optimizer": "adam", "kept": "as is"}
    n_draws, n_resampled = 2000, 0
    for _ in range(n_draws):
        child = explore(parent, MUTATIONS, rng, 0.25, (0.8, 1.2))
        assert child["kept"] == "as is"
        assert LR.low <= child["lr"] <= LR.high
        assert UNITS.low <= child["units"] <= UNITS.high and child["units"] % 8 == 0
        assert child["optimizer"] in OPTIMIZER.choices
        if child["lr"] not in (pytest.approx(0.08), pytest.approx(0.12)):
            n_resampled += 1
    # Resampled with probability 0.25: 500 expected, sd ~19.
    assert 400 < n_resampled < 600


def test_explore_without_resampling_moves_numbers_by_a_factor_and_choices_by_one() -> None:
    rng = random.Random(1)
    seen: dict[str, set[Any]] = {"lr": set(), "units": set(), "optimizer": set()}
    for _ in range(200):
        child = explore(
            {"lr": 0.9, "units": 64, "optimizer": "sgd"}, MUTATIONS, rng, 0.0, (0.8, 1.2)
        )
        for name in seen:
            seen[name].add(round(child[name], 12) if name == "lr" else child[name])
    # 0.9 * 1.2 is clipped to 1.0; 64 * 0.8 = 51.2 goes onto the grid (48), 76.8 is clipped.
    assert seen["lr"] == {0.72, 1.0}
    assert seen["units"] == {48, 64}
    # The first choice moves up by one or stays (clamped at the end of the list).
    assert seen["optimizer"] == {"sgd", "adam"}


@pytest.mark.parametrize(
    ("n_members", "fraction", "expected"),
    [(8, 0.25, 2), (5, 0.25, 2), (4, 0.25, 1), (3, 0.5, 1), (2, 0.5, 1), (1, 0.5, 0), (8, 0.0, 0)],
)
def test_quantiles_hold_ceil_of_the_fraction_but_at_most_half(
    n_members: int, fraction: float, expected: int
) -> None:
    latest = {m: _record(m, m, 0, value=float(m)) for m in range(n_members)}
    lower, upper = quantiles(latest, _config(fraction=fraction))
    assert lower == list(range(expected))
    assert upper == list(range(n_members - expected, n_members))
    lower, upper = quantiles(latest, _config(fraction=fraction, maximize=False))
    assert upper == list(range(expected))[::-1]  # minimizing: the lowest values are best


def _config(fraction: float = 0.25, maximize: bool = True, burn_in: int = 0) -> Config:
    return Config(
        population_size=4,
        perturbation_interval=2,
        burn_in_period=burn_in,
        quantile_fraction=fraction,
        resample_probability=0.0,
        perturbation_factors=(0.8, 1.2),
        mutations={"lr": LR},
        maximize=maximize,
    )


def _record(
    number: int, member: int, generation: int, value: float | None, live: bool = True
) -> Record:
    end = 2 * (generation + 1)
    return Record(
        number=number,
        segment=Segment(member, generation, None, "start", end - 2, end),
        live=live,
        value=value,
        params={"lr": 0.01 * (member + 1)},
        distributions={"lr": LR},
    )


def _population() -> list[Record]:
    # Members 0..3 finished generation 0; member 0 is the worst, member 3 the best.
    return [_record(m, m, 0, value=0.1 * (m + 1)) for m in range(4)]


def test_plan_starts_members_until_the_population_is_full() -> None:
    records = _population()[:3]
    plan = plan_segment(records, 3, _config(), random.Random(0), set())
    assert (plan.action, plan.member, plan.generation, plan.parent) == ("start", 3, 0, None)


def test_plan_exploits_the_upper_quantile_for_a_member_in_the_lower_one() -> None:
    plan = plan_segment(_population(), 4, _config(), random.Random(0), set())
    assert (plan.action, plan.member, plan.generation, plan.parent) == ("exploit", 0, 1, 3)
    assert (plan.start_step, plan.end_step) == (2, 4)
    assert plan.params["lr"] in (pytest.approx(0.04 * 0.8), pytest.approx(0.04 * 1.2))


def test_plan_continues_a_member_in_the_lower_quantile_during_burn_in() -> None:
    plan = plan_segment(_population(), 4, _config(burn_in=4), random.Random(0), set())
    assert (plan.action, plan.member, plan.parent, plan.params) == ("continue", 0, 0, {"lr": 0.01})


def test_plan_continues_the_oldest_free_member_outside_the_lower_quantile() -> None:
    # Member 0 is taken by a running trial, so member 1 (not in the lower quantile) goes on.
    records = [*_population(), _record(4, 0, 1, value=None)]
    plan = plan_segment(records, 5, _config(), random.Random(0), set())
    assert (plan.action, plan.member, plan.generation, plan.parent) == ("continue", 1, 1, 1)


def test_plan_branches_from_the_upper_quantile_when_every_member_is_busy() -> None:
    records = [*_population(), *(_record(4 + m, m, 1, value=None) for m in range(4))]
    plan = plan_segment(records, 8, _config(), random.Random(0), set())
    assert (plan.action, plan.member, plan.generation, plan.parent) == ("branch", 8, 0, 3)


def test_plan_skips_a_member_lost_to_another_trial_and_ignores_failed_claims() -> None:
    records = [*_population(), _record(4, 0, 1, value=None, live=False)]  # a failed segment
    plan = plan_segment(records, 5, _config(), random.Random(0), set())
    assert plan.member == 0  # the failed claim frees member 0 again
    plan = plan_segment(records, 5, _config(), random.Random(0), {0})
    assert plan.member == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"population_size": 1}, "population_size=1 must be >= 2"),
        ({"perturbation_interval": 0}, "perturbation_interval=0 must be >= 1"),
        ({"burn_in_period": -1}, "burn_in_period=-1 must be >= 0"),
        ({"quantile_fraction": 0.6}, "quantile_fraction=0.6 must be in [0, 0.5]"),
        ({"resample_probability": 1.5}, "resample_probability=1.5 must be in [0, 1.0]"),
        ({"perturbation_factors": (0.8, -1)}, "perturbation_factors=(0.8, -1) must hold"),
    ],
)
def test_bad_arguments_name_the_argument_rule_and_value(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=r"^PBTSampler\(\): " + _escape(message)):
        PBTSampler(**options)


def _escape(text: str) -> str:
    import re

    return re.escape(text)


@pytest.mark.parametrize(
    ("options", "argument"),
    [
        ({"population_size": 2.0}, "population_size"),
        ({"hyperparam_mutations": {"lr": "log"}}, "hyperparam_mutations['lr']"),
        ({"hyperparam_mutations": {"lr": []}}, "hyperparam_mutations['lr']"),
        ({"perturbation_factors": []}, "perturbation_factors"),
        ({"base_sampler": "tpe"}, "base_sampler"),
    ],
)
def test_arguments_of_the_wrong_type_are_named(options: dict[str, Any], argument: str) -> None:
    with pytest.raises(TypeError, match=r"^PBTSampler\(\): " + _escape(argument) + " must be"):
        PBTSampler(**options)


def test_segment_of_a_trial_without_pbt_says_how_to_get_one() -> None:
    study = tansaku.create_study()
    trial = study.ask()
    with pytest.raises(ValueError, match=r"sampler=tansaku.pbt.PBTSampler"):
        segment(trial)


def test_multi_objective_studies_are_refused() -> None:
    study = tansaku.create_study(directions=["minimize", "minimize"], sampler=PBTSampler())
    with pytest.raises(ValueError, match="multi-objective"):
        study.ask()


def test_checkpoints_of_files_and_objects_come_back_to_the_children(tmp_path: Path) -> None:
    store = tansaku.artifacts.FileSystemArtifactStore(str(tmp_path))
    sampler = PBTSampler(population_size=2, perturbation_interval=1, seed=0)
    study = tansaku.create_study(sampler=sampler)  # minimize
    for number in range(2):  # members 0 (saves a file, the better) and 1 (saves an object)
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        assert tansaku.pbt.load_parent_checkpoint(trial, store) is None
        if number == 0:
            path = tmp_path / "weights.bin"
            path.write_bytes(b"\x00member-0")
            tansaku.pbt.save_checkpoint(trial, str(path), store)
        else:
            tansaku.pbt.save_checkpoint(trial, {"w": [1.5, 2.5]}, store)
        study.tell(trial, float(number))
    # The oldest free member, 0, is the better one: it continues from its own file.
    child = study.ask()
    child.suggest_float("x", 0, 1)
    assert (segment(child).member, segment(child).action, segment(child).parent) == (
        0,
        "continue",
        0,
    )
    downloaded = tansaku.pbt.load_parent_checkpoint(child, store)
    assert Path(downloaded).read_bytes() == b"\x00member-0"
    tansaku.pbt.save_checkpoint(child, {"w": [3.0]}, store)
    study.tell(child, 0.0)
    # Member 1 is now in the lower quantile: it exploits member 0's latest checkpoint.
    second = study.ask()
    second.suggest_float("x", 0, 1)
    assert (segment(second).member, segment(second).action, segment(second).parent) == (
        1,
        "exploit",
        child.number,
    )
    assert tansaku.pbt.load_parent_checkpoint(second, store) == {"w": [3.0]}


def test_a_parent_without_a_checkpoint_is_an_error_naming_the_fix(tmp_path: Path) -> None:
    store = tansaku.artifacts.FileSystemArtifactStore(str(tmp_path))
    study = tansaku.create_study(sampler=PBTSampler(population_size=2, seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    trial = study.ask()
    with pytest.raises(ValueError, match="saved no checkpoint"):
        tansaku.pbt.load_parent_checkpoint(trial, store)


def _fixed_study() -> tansaku.Study:
    study = tansaku.create_study(direction="maximize")
    segments = [
        (0.5, Segment(0, 0, None, "start", 0, 2)),
        (0.7, Segment(1, 0, None, "start", 0, 2)),
        (0.6, Segment(0, 1, 1, "exploit", 2, 4)),
        (0.8, Segment(1, 1, 1, "continue", 2, 4)),
    ]
    for value, seg in segments:
        study.add_trial(
            tansaku.create_trial(
                value=value,
                params={"lr": 0.1},
                distributions={"lr": LR},
                system_attrs={SEGMENT_KEY: seg.to_json()},
            )
        )
    study.add_trial(tansaku.create_trial(value=0.0))  # not a PBT segment: left out
    return study


def test_lineage_table_of_a_fixed_study() -> None:
    rows = lineage(_fixed_study())
    assert [(r.number, r.member, r.generation, r.parent, r.action) for r in rows] == [
        (0, 0, 0, None, "start"),
        (1, 1, 0, None, "start"),
        (2, 0, 1, 1, "exploit"),
        (3, 1, 1, 1, "continue"),
    ]
    assert [r.value for r in rows] == [0.5, 0.7, 0.6, 0.8]


def test_lineage_plot_draws_a_curve_per_member_and_a_line_per_exploit() -> None:
    figure = plot_lineage(_fixed_study())
    members = [trace for trace in figure.data if trace.name]
    assert [trace.name for trace in members] == ["Member 0", "Member 1"]
    assert list(members[0].x) == [2, 4] and list(members[0].y) == [0.5, 0.6]
    assert list(members[1].x) == [2, 4] and list(members[1].y) == [0.7, 0.8]
    (exploit,) = [trace for trace in figure.data if not trace.name]
    assert list(exploit.x) == [2, 4] and list(exploit.y) == [0.7, 0.6]
    assert figure.layout.title.text == "PBT Lineage Plot"


def test_tansaku_pbt_is_loaded_on_first_use_and_needs_no_heavy_library() -> None:
    import subprocess
    import sys

    code = (
        "import sys, tansaku\n"
        "assert 'tansaku.pbt' not in sys.modules\n"
        "assert tansaku.pbt.PBTSampler is not None\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert set(output.split()).isdisjoint({"plotly", "sklearn", "pandas", "scipy", "boto3"})

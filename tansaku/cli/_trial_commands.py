"""Commands on trials: trials, best-trial, best-trials, ask and tell."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from tansaku.cli._common import add_format_options, open_storage, warn_experimental
from tansaku.cli._output import write_records
from tansaku.cli._records import trial_records
from tansaku.exceptions import CLIUsageError

Subparsers = Any  # argparse's _SubParsersAction, which is private

_FLATTEN_HELP = "spread nested columns such as params and user_attrs"


def register(commands: Subparsers, parent: argparse.ArgumentParser) -> None:
    """Add the trial commands to ``commands``; ``parent`` holds the global options."""
    for name, handler, what in (
        ("trials", list_trials, "list the trials of a study"),
        ("best-trial", best_trial, "show the best trial of a single-objective study"),
        ("best-trials", best_trials, "list the Pareto-optimal trials of a study"),
    ):
        command = commands.add_parser(name, parents=[parent], help=what)
        command.add_argument("--study-name", required=True, help="the study")
        add_format_options(command, "table", flatten=_FLATTEN_HELP)
        command.set_defaults(handler=handler)

    ask = commands.add_parser(
        "ask", parents=[parent], help="start a trial, suggest its params and print them"
    )
    ask.add_argument("--study-name", required=True, help="the study (create it first)")
    ask.add_argument("--sampler", help="the class name of a sampler in tansaku.samplers")
    ask.add_argument("--sampler-kwargs", help="the sampler's keyword arguments, as JSON")
    ask.add_argument(
        "--search-space",
        help="the params to suggest, as JSON: names mapped to "
        "tansaku.distributions.distribution_to_json objects",
    )
    add_format_options(ask, "json", flatten="spread nested columns such as params")
    ask.set_defaults(handler=ask_trial)

    tell = commands.add_parser("tell", parents=[parent], help="finish a trial started by ask")
    tell.add_argument("--study-name", required=True, help="the study")
    tell.add_argument("--trial-number", type=int, required=True, help="the trial's number")
    tell.add_argument("--values", type=float, nargs="+", help="the objective value(s)")
    tell.add_argument(
        "--state", choices=("complete", "pruned", "fail"), help="the state to end the trial in"
    )
    tell.add_argument(
        "--skip-if-finished",
        action="store_true",
        help="do nothing, without an error, when the trial is already finished",
    )
    tell.set_defaults(handler=tell_trial)


def _load(args: argparse.Namespace) -> Any:
    import tansaku

    return tansaku.load_study(study_name=args.study_name, storage=open_storage(args))


def _write_trials(args: argparse.Namespace, trials: Any, study: Any, *, single: bool) -> int:
    records = trial_records(trials, len(study.directions))
    write_records(records, args.format, sys.stdout, flatten=args.flatten, single=single)
    return 0


def list_trials(args: argparse.Namespace) -> int:
    """``trials``: every trial of the study."""
    warn_experimental("trials")
    study = _load(args)
    return _write_trials(args, study.get_trials(deepcopy=False), study, single=False)


def best_trial(args: argparse.Namespace) -> int:
    """``best-trial``: the best trial (single-objective studies)."""
    warn_experimental("best-trial")
    study = _load(args)
    return _write_trials(args, [study.best_trial], study, single=True)


def best_trials(args: argparse.Namespace) -> int:
    """``best-trials``: the trials on the Pareto front."""
    warn_experimental("best-trials")
    study = _load(args)
    return _write_trials(args, study.best_trials, study, single=False)


def _json_argument(option: str, text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CLIUsageError(f"{option}={text!r} is not valid JSON: {error}") from None


def ask_trial(args: argparse.Namespace) -> int:
    """``ask``: start a trial, suggest the params of ``--search-space``, print them."""
    import tansaku
    from tansaku.distributions import json_to_distribution

    warn_experimental("ask")
    sampler_kwargs = _json_argument("--sampler-kwargs", args.sampler_kwargs) or {}
    space = _json_argument("--search-space", args.search_space) or {}
    if not isinstance(sampler_kwargs, dict):
        raise CLIUsageError(f"--sampler-kwargs={args.sampler_kwargs!r} must be a JSON object")
    if not isinstance(space, dict):
        raise CLIUsageError(f"--search-space={args.search_space!r} must be a JSON object")
    sampler = None
    if args.sampler is not None:
        sampler_class = getattr(tansaku.samplers, args.sampler, None)
        if not isinstance(sampler_class, type):
            raise CLIUsageError(
                f"--sampler={args.sampler!r} is not a sampler class of tansaku.samplers"
            )
        sampler = sampler_class(**sampler_kwargs)
    elif sampler_kwargs:
        raise CLIUsageError("--sampler-kwargs needs --sampler")
    distributions = {name: json_to_distribution(json.dumps(d)) for name, d in space.items()}
    study = tansaku.load_study(
        study_name=args.study_name, storage=open_storage(args), sampler=sampler
    )
    trial = study.ask(fixed_distributions=distributions)
    tansaku.logging.get_logger("tansaku.cli").info(
        f"Asked trial {trial.number} with parameters {trial.params}."
    )
    record = {"number": trial.number, "params": trial.params}
    write_records([record], args.format, sys.stdout, flatten=args.flatten, single=True)
    return 0


def tell_trial(args: argparse.Namespace) -> int:
    """``tell``: finish a trial with values or a state."""
    from tansaku.trial import TrialState

    warn_experimental("tell")
    study = _load(args)
    state = None if args.state is None else TrialState[args.state.upper()]
    frozen = study.tell(
        args.trial_number, args.values, state=state, skip_if_finished=args.skip_if_finished
    )
    import tansaku

    tansaku.logging.get_logger("tansaku.cli").info(
        f"Told trial {frozen.number}: state {frozen.state.name}, values {frozen.values}."
    )
    return 0

"""Commands on studies: create-study, delete-study, study-names, studies, study set-user-attr."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tansaku.cli._common import add_format_options, open_storage
from tansaku.cli._output import write_records
from tansaku.cli._records import study_record
from tansaku.exceptions import CLIUsageError

_DIRECTIONS = ("minimize", "maximize")

Subparsers = Any  # argparse's _SubParsersAction, which is private


def register(commands: Subparsers, parent: argparse.ArgumentParser) -> None:
    """Add the study commands to ``commands``; ``parent`` holds the global options."""
    create = commands.add_parser(
        "create-study", parents=[parent], help="create a new study and print its name"
    )
    create.add_argument("--study-name", help="the study's name (default: a generated one)")
    create.add_argument(
        "--direction", choices=_DIRECTIONS, help="the direction of a single-objective study"
    )
    create.add_argument(
        "--directions",
        choices=_DIRECTIONS,
        nargs="+",
        help="the direction of each objective, separated by spaces",
    )
    create.add_argument(
        "--skip-if-exists",
        action="store_true",
        help="print the name of the existing study instead of failing when the name is taken",
    )
    create.set_defaults(handler=create_study)

    delete = commands.add_parser("delete-study", parents=[parent], help="delete a study")
    delete.add_argument("--study-name", required=True, help="the study to delete")
    delete.set_defaults(handler=delete_study)

    names = commands.add_parser(
        "study-names", parents=[parent], help="list the names of the storage's studies"
    )
    add_format_options(names, "value")
    names.set_defaults(handler=study_names)

    studies = commands.add_parser(
        "studies", parents=[parent], help="list the studies with their directions and sizes"
    )
    add_format_options(studies, "table", flatten="spread nested columns such as direction")
    studies.set_defaults(handler=list_studies)

    study = commands.add_parser("study", help="commands on one study (set-user-attr)")
    study_commands = study.add_subparsers(dest="study_command", metavar="COMMAND", required=True)
    set_attr = study_commands.add_parser(
        "set-user-attr", parents=[parent], help="set a user attribute of a study"
    )
    set_attr.add_argument("--study-name", required=True, help="the study")
    set_attr.add_argument("--key", "-k", required=True, help="the attribute's key")
    set_attr.add_argument("--value", required=True, help="the attribute's value (a string)")
    set_attr.set_defaults(handler=set_user_attr)


def create_study(args: argparse.Namespace) -> int:
    """``create-study``: print the name of the study created (or found, with skip)."""
    import tansaku

    try:
        study = tansaku.create_study(
            storage=open_storage(args, create=True),
            study_name=args.study_name,
            direction=args.direction,
            directions=args.directions,
            load_if_exists=args.skip_if_exists,
        )
    except tansaku.exceptions.DuplicatedStudyError:
        raise CLIUsageError(
            f"a study named {args.study_name!r} already exists; pass --skip-if-exists to use it"
        ) from None
    print(study.study_name)
    return 0


def delete_study(args: argparse.Namespace) -> int:
    """``delete-study``: delete the study and everything in it."""
    import tansaku

    tansaku.delete_study(study_name=args.study_name, storage=open_storage(args))
    return 0


def study_names(args: argparse.Namespace) -> int:
    """``study-names``: one name per study."""
    import tansaku

    names = tansaku.get_all_study_names(open_storage(args))
    write_records([{"name": name} for name in names], args.format, sys.stdout)
    return 0


def list_studies(args: argparse.Namespace) -> int:
    """``studies``: name, directions, number of trials, first start and user attrs."""
    import tansaku

    summaries = tansaku.get_all_study_summaries(open_storage(args), include_best_trial=False)
    records = [study_record(summary) for summary in summaries]
    write_records(records, args.format, sys.stdout, flatten=args.flatten)
    return 0


def set_user_attr(args: argparse.Namespace) -> int:
    """``study set-user-attr``: set one user attribute to a string value."""
    import tansaku

    study = tansaku.load_study(study_name=args.study_name, storage=open_storage(args))
    study.set_user_attr(args.key, args.value)
    tansaku.logging.get_logger("tansaku.cli").info("Attribute successfully written.")
    return 0

"""Commands on whole storages: storage upgrade and copy."""

from __future__ import annotations

import argparse
from typing import Any

from tansaku.cli._storage_args import rdb_url, resolve_storage, storage_argument
from tansaku.exceptions import CLIUsageError

Subparsers = Any  # argparse's _SubParsersAction, which is private


def register(commands: Subparsers, parent: argparse.ArgumentParser) -> None:
    """Add ``storage upgrade`` and ``copy`` to ``commands``."""
    storage = commands.add_parser("storage", help="commands on a storage (upgrade)")
    storage_commands = storage.add_subparsers(
        dest="storage_command", metavar="COMMAND", required=True
    )
    upgrade = storage_commands.add_parser(
        "upgrade",
        parents=[parent],
        help="migrate an RDB storage to this tansaku's schema (back it up first)",
    )
    upgrade.set_defaults(handler=upgrade_storage)

    copy = commands.add_parser(
        "copy",
        parents=[parent],
        help="copy or merge studies from one storage into another",
        description="Copy studies with all their trials (states, values, intermediate values, "
        "attrs and times) from SOURCE into TARGET, merging into a study of the same name and "
        "directions that TARGET has. Each copied trial records where it came from, so copying "
        "again adds only the trials not copied before.",
    )
    copy.add_argument("source", metavar="SOURCE", help="storage URL, or journal or SQLite file")
    copy.add_argument(
        "target",
        metavar="TARGET",
        help="storage URL, or journal or SQLite file (a missing file is created: a SQLite "
        "database for names ending in .db, .sqlite or .sqlite3, else a journal)",
    )
    copy.add_argument(
        "--study",
        action="append",
        metavar="NAME",
        help="a study to copy (repeat for several; default: every study)",
    )
    copy.add_argument("--to-study", metavar="NAME", help="the target study's name (one --study)")
    copy.set_defaults(handler=copy_studies)


def upgrade_storage(args: argparse.Namespace) -> int:
    """``storage upgrade``: bring an RDB storage's schema to this tansaku's version."""
    import tansaku
    from tansaku.storages import RDBStorage

    logger = tansaku.logging.get_logger("tansaku.cli")
    url = rdb_url(storage_argument(args.storage), storage_class=args.storage_class)
    if url is None:
        logger.info("This storage is a journal, which has no schema to upgrade.")
        return 0
    storage = RDBStorage(url, skip_compatibility_check=True)
    if storage.get_current_version() == storage.get_head_version():
        logger.info("This storage is up-to-date.")
        return 0
    storage.upgrade()
    logger.info(f"Upgraded the storage to schema version {storage.get_head_version()}.")
    return 0


def copy_studies(args: argparse.Namespace) -> int:
    """``copy``: copy the chosen studies (or all) and print what each copy did."""
    from tansaku.cli._copy import copy_study_trials

    if args.to_study is not None and (args.study is None or len(args.study) != 1):
        raise CLIUsageError("--to-study needs exactly one --study")
    source = resolve_storage(args.source)
    target = resolve_storage(args.target, create=True)
    names = args.study or [study.study_name for study in source.storage.get_all_studies()]
    for name in names:
        result = copy_study_trials(source, target, name, args.to_study or name)
        verb = "created" if result.created_study else "merged into"
        print(
            f"{result.source_name} -> {result.target_name} ({verb}): {result.copied} trials "
            f"copied, {result.already_there} already there"
        )
    return 0

"""Options every command accepts, and the helpers that command handlers share."""

from __future__ import annotations

import argparse
import warnings
from typing import TYPE_CHECKING

from tansaku.cli._output import FORMATS
from tansaku.cli._storage_args import STORAGE_CLASSES, resolve_storage, storage_argument

if TYPE_CHECKING:
    from tansaku.storages import BaseStorage


def add_global_options(parser: argparse.ArgumentParser, *, top_level: bool) -> None:
    """Add the options that go before or after the command name.

    Both the top-level parser and every command's parser get them. Below the top level their
    default is "not given" (SUPPRESS), so that ``tansaku --storage URL trials ...`` keeps the
    URL given before the command instead of the command parser's default overwriting it.
    """
    default = None if top_level else argparse.SUPPRESS
    parser.add_argument(
        "--storage",
        default=default,
        help="storage URL (e.g. sqlite:///example.db) or the path of a journal or SQLite "
        "file; defaults to $TANSAKU_STORAGE, then $OPTUNA_STORAGE",
    )
    parser.add_argument(
        "--storage-class",
        default=default,
        choices=STORAGE_CLASSES,
        metavar="STORAGE_CLASS",
        help="the kind of storage --storage names, when its form does not tell "
        f"({', '.join(STORAGE_CLASSES)})",
    )
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0 if top_level else argparse.SUPPRESS,
        help="show debug messages too",
    )
    verbosity.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=False if top_level else argparse.SUPPRESS,
        help="show only warnings and errors",
    )
    parser.add_argument("--log-file", default=default, help="also write log messages to a file")
    parser.add_argument(
        "--debug",
        action="store_true",
        default=False if top_level else argparse.SUPPRESS,
        help="show the traceback of an error",
    )


def add_format_options(
    parser: argparse.ArgumentParser, default: str, *, flatten: str | None = None
) -> None:
    """Add ``-f/--format`` (and ``--flatten`` when ``flatten`` describes it)."""
    parser.add_argument("-f", "--format", choices=FORMATS, default=default, help="output format")
    if flatten is not None:
        parser.add_argument("--flatten", action="store_true", help=flatten)


def open_storage(args: argparse.Namespace, *, create: bool = False) -> BaseStorage:
    """Open the storage of ``--storage`` (or the environment), as every command reads it."""
    spec = storage_argument(args.storage)
    return resolve_storage(spec, storage_class=args.storage_class, create=create).storage


def warn_experimental(command: str) -> None:
    """Warn that ``command`` is experimental, as Optuna does for the same commands."""
    from tansaku.exceptions import ExperimentalWarning

    warnings.warn(
        f"'{command}' is an experimental CLI command; its interface may change",
        ExperimentalWarning,
        stacklevel=2,
    )

"""The ``tansaku`` argument parser: global options and every command."""

from __future__ import annotations

import argparse

from tansaku.cli import _storage_commands, _study_commands, _tool_commands, _trial_commands
from tansaku.cli._common import add_global_options
from tansaku.version import __version__

# Optuna spells two commands as one word with a space ("study set-user-attr"); a script that
# passes either as one argument still works.
_TWO_WORD_COMMANDS = ("study set-user-attr", "storage upgrade")


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of ``tansaku`` with every command registered."""
    parser = argparse.ArgumentParser(
        prog="tansaku",
        description="Work with tansaku (and Optuna) studies from the command line.",
        epilog="Exit status: 0 done, 1 an error (one line on stderr; --debug shows the "
        "traceback), 2 a usage error.",
    )
    add_global_options(parser, top_level=True)
    parser.add_argument("--version", action="version", version=f"tansaku {__version__}")
    parent = argparse.ArgumentParser(add_help=False)
    add_global_options(parent, top_level=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _study_commands.register(commands, parent)
    _trial_commands.register(commands, parent)
    _storage_commands.register(commands, parent)
    _tool_commands.register(commands, parent)
    help_command = commands.add_parser("help", help="show the help of tansaku or of a command")
    help_command.add_argument("topic", nargs="*", metavar="COMMAND", help="a command")
    help_command.set_defaults(handler=None)
    return parser


def split_two_word_commands(argv: list[str]) -> list[str]:
    """Split Optuna's one-argument spellings of two-word commands into two arguments."""
    split: list[str] = []
    for argument in argv:
        split.extend(argument.split(" ") if argument in _TWO_WORD_COMMANDS else [argument])
    return split

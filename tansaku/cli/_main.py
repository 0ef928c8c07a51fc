"""``tansaku``'s entry point: parse, set up logging, run the command, map errors to exits."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
import warnings
from collections.abc import Sequence
from typing import Any

from tansaku.cli._parser import build_parser, split_two_word_commands

EXIT_OK = 0
EXIT_ERROR = 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``tansaku`` command line with ``argv`` (default: ``sys.argv[1:]``).

    Returns:
        The exit status: 0 when the command succeeded, 1 on an error (reported in one line on
        stderr, with the traceback under ``--debug``). Usage errors exit with status 2 from
        argparse.
    """
    arguments = split_two_word_commands(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser()
    args = parser.parse_args(arguments)
    if args.handler is None:  # `tansaku help [COMMAND ...]`
        parser.parse_args([*args.topic, "--help"])
        return EXIT_OK
    _configure_logging(args)
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            return int(args.handler(args))
        except KeyboardInterrupt:
            print("tansaku: interrupted", file=sys.stderr)
            return 130
        except BrokenPipeError:
            # The reader went away (`tansaku trials ... | head`): nothing more to say.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return EXIT_ERROR
        except Exception as error:
            if args.debug:
                traceback.print_exc()
            print(f"tansaku {_command_name(args)}: error: {_one_line(error)}", file=sys.stderr)
            return EXIT_ERROR


def _configure_logging(args: argparse.Namespace) -> None:
    import tansaku.logging

    if args.quiet:
        tansaku.logging.set_verbosity(tansaku.logging.WARNING)
    elif args.verbose:
        tansaku.logging.set_verbosity(tansaku.logging.DEBUG)
    else:
        tansaku.logging.set_verbosity(tansaku.logging.INFO)
    if args.log_file:
        handler = logging.FileHandler(args.log_file)
        handler.setFormatter(tansaku.logging.create_default_formatter())
        logging.getLogger("tansaku").addHandler(handler)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    # One line per warning, without the location and source line Python's default shows.
    del filename, lineno, file, line
    print(f"tansaku: {category.__name__}: {message}", file=sys.stderr)


def _command_name(args: argparse.Namespace) -> str:
    sub = getattr(args, "study_command", None) or getattr(args, "storage_command", None)
    return f"{args.command} {sub}" if sub else str(args.command)


def _one_line(error: BaseException) -> str:
    # A KeyError's str() is the repr of its argument; its message reads better unquoted.
    if isinstance(error, KeyError) and len(error.args) == 1 and isinstance(error.args[0], str):
        text = error.args[0]
    else:
        text = str(error)
    text = " ".join(text.split())
    return text or type(error).__name__

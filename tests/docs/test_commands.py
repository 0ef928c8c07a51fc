"""Every ``tansaku`` command line the documentation shows is one the command accepts.

The command lines are taken from the pages' sources (inline literals and console or shell
blocks) and from README.md's shell blocks, and parsed by the CLI's own parser, so a renamed
option or a positional argument written as an option fails here rather than for a reader.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tansaku.cli._parser import build_parser, split_two_word_commands

ROOT = Path(__file__).resolve().parents[2]
INLINE = re.compile(r"``(tansaku [^`]+)``")
# A line of a code block, "$ tansaku ..." (console) or "tansaku ..." (shell), up to a comment:
# indented in a page (a paragraph line starting with the word is prose), anywhere in a block
# of README.md.
PAGE_BLOCK_LINE = re.compile(r"^ {3,}(?:\$ )?(tansaku [^#\n]+)", re.MULTILINE)
BLOCK_LINE = re.compile(r"^\s*(?:\$ )?(tansaku [^#\n]+)", re.MULTILINE)
PLACEHOLDERS = ("COMMAND",)  # "tansaku COMMAND --help" names any command


def documented_commands() -> list[tuple[str, str]]:
    found = []
    for page in sorted((ROOT / "docs").rglob("*.rst")):
        if "_build" in page.parts or "_generated" in page.parts:
            continue
        text = page.read_text()
        lines = INLINE.findall(text) + PAGE_BLOCK_LINE.findall(text)
        found += [(page.relative_to(ROOT).as_posix(), line.strip()) for line in lines]
    readme = (ROOT / "README.md").read_text()
    for block in re.findall(r"```sh\n(.*?)```", readme, re.DOTALL):
        found += [("README.md", line.strip()) for line in BLOCK_LINE.findall(block)]
    return [(where, line) for where, line in found if not any(p in line for p in PLACEHOLDERS)]


def test_the_documentation_shows_command_lines() -> None:
    pages = {where for where, _ in documented_commands()}
    assert {"README.md", "docs/tutorials/dashboard.rst"} <= pages


@pytest.mark.parametrize(("where", "line"), documented_commands())
def test_documented_command_line_parses(where: str, line: str) -> None:
    argv = split_two_word_commands(shlex.split(line)[1:])
    try:
        build_parser().parse_args(argv)
    except SystemExit as error:  # argparse's usage error
        pytest.fail(f"{where}: `{line}` is not a valid command line (exit {error.code})")

"""Markdown tables and the number formats every suite shares."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

DASH = "—"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table; the first column is left-aligned, the rest right."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row)]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(
        (":" + "-" * (w + 1)) if i == 0 else ("-" * (w + 1) + ":") for i, w in enumerate(widths)
    )
    return "\n".join([line(headers), rule + "|", *(line(row) for row in rows)])


def number(value: float | None, digits: int = 3) -> str:
    """Three significant digits, without scientific notation for everyday magnitudes."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if float(value).is_integer() and abs(value) < 1e6:
        return str(int(value))
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude >= 6 or magnitude <= -4:
        return f"{value:.{digits - 1}e}"
    decimals = max(0, digits - 1 - magnitude)
    return f"{value:.{decimals}f}"


def spread(summary: Mapping[str, Any] | None, digits: int = 3) -> str:
    """``median [min–max]`` of a summary dict, or a dash."""
    if not summary:
        return DASH
    med, low, high = summary["median"], summary["low"], summary["high"]
    if summary.get("n", 1) <= 1 or low == high:
        return number(med, digits)
    return f"{number(med, digits)} [{number(low, digits)}–{number(high, digits)}]"


def ratio(value: float | None, paired: Mapping[str, Any] | None = None) -> str:
    """A ratio as ``0.52×``, with the range of per-repeat paired ratios when there is one."""
    if value is None:
        return DASH
    text = f"{number(value)}×"
    if paired and paired.get("n", 0) > 1 and paired["low"] != paired["high"]:
        text += f" [{number(paired['low'])}–{number(paired['high'])}]"
    return text


def notes(title: str, lines: Sequence[str]) -> str:
    """A bullet list under a bold title; empty when there is nothing to say."""
    if not lines:
        return ""
    return f"**{title}**\n\n" + "\n".join(f"- {line}" for line in lines)

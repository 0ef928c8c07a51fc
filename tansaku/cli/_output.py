"""Print records (one dict per study or trial) as ``value``, ``table``, ``json`` or ``yaml``.

The shapes follow Optuna's CLI: ``value`` is one line per record with its fields separated by
spaces, ``table`` an ASCII table with numbers right-aligned, ``json`` one line of JSON, and
``yaml`` a block document with sorted keys. ``--flatten`` spreads nested columns (``params``
becomes ``params_x``, ``params_y``; a list of directions ``direction_0``, ``direction_1``).

YAML is written by the small emitter below rather than by PyYAML: the records hold only JSON
values (strings, numbers, booleans, None, lists and dicts), which need a few dozen lines to
write as YAML, and the CLI then needs no dependency beyond the standard library. A string is
written plain only when it cannot be read back as anything else (a number, a date, a boolean,
null); otherwise it is double-quoted the JSON way, which YAML reads as the same string.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any, TextIO

FORMATS = ("value", "table", "json", "yaml")

Record = dict[str, Any]


def write_records(
    records: Sequence[Record],
    fmt: str,
    out: TextIO,
    *,
    flatten: bool = False,
    single: bool = False,
) -> None:
    """Write ``records`` to ``out`` in the format ``fmt``.

    Args:
        records: The records, each a dict from column to value, all with the same columns.
        fmt: One of ``FORMATS``.
        out: Where to write.
        flatten: Spread dict and list columns into one column per key or index.
        single: The command shows one record: ``json`` and ``yaml`` write it as an object
            rather than a list of one.
    """
    rows = flatten_records(records) if flatten else list(records)
    if fmt == "json":
        document: Any = rows[0] if single and rows else rows
        out.write(json.dumps(_jsonable(document)) + "\n")
    elif fmt == "yaml":
        document = rows[0] if single and rows else rows
        out.write("\n".join(yaml_lines(_jsonable(document))) + "\n")
    elif fmt == "table":
        if rows:
            out.write(_table(rows))
    else:
        for row in rows:
            out.write(" ".join(_cell(value) for value in row.values()) + "\n")


def flatten_records(records: Sequence[Record]) -> list[Record]:
    """Spread dict and list columns into ``column_key`` / ``column_index`` columns.

    Every record gets every column (None where it has no such key), in the order of the
    original columns, the keys of a dict column sorted.
    """
    expanded: dict[str, list[str]] = {}
    for record in records:
        for column, value in record.items():
            names = expanded.setdefault(column, [])
            for sub in _sub_keys(value):
                if sub not in names:
                    names.append(sub)
    for names in expanded.values():
        names.sort(key=lambda sub: (len(sub), sub) if sub.isdigit() else (0, sub))
    rows = []
    for record in records:
        row: Record = {}
        for column, subs in expanded.items():
            value = record.get(column)
            if not subs and not isinstance(value, (dict, list, tuple)):
                row[column] = value
                continue
            for sub in subs:
                row[f"{column}_{sub}"] = _sub_value(value, sub)
        rows.append(row)
    return rows


def _sub_keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [str(key) for key in value]
    if isinstance(value, (list, tuple)):
        return [str(index) for index in range(len(value))]
    return []


def _sub_value(value: Any, sub: str) -> Any:
    if isinstance(value, dict):
        return value.get(sub)
    if isinstance(value, (list, tuple)) and int(sub) < len(value):
        return value[int(sub)]
    return None


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _table(rows: Sequence[Record]) -> str:
    columns = list(rows[0])
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [
        max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)
    ]
    rule = "+" + "+".join("-" * (width + 2) for width in widths) + "+"
    header = "|" + "|".join(f" {c.ljust(w)} " for c, w in zip(columns, widths)) + "|"
    lines = [rule, header, rule]
    for row, line in zip(rows, cells):
        parts = []
        for column, text, width in zip(columns, line, widths):
            aligned = text.rjust(width) if _is_number(row.get(column)) else text.ljust(width)
            parts.append(f" {aligned} ")
        lines.append("|" + "|".join(parts) + "|")
    lines.append(rule)
    return "\n".join(lines) + "\n"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return value


# Plain YAML scalars that read back as the same string: start with a letter or underscore, no
# characters with a meaning in YAML, and not one of the words YAML 1.1 reads as a boolean/null.
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*")
_RESERVED = frozenset(["y", "n", "yes", "no", "true", "false", "on", "off", "null"])


def yaml_scalar(value: Any) -> str:
    """Return ``value`` (a JSON scalar) as a YAML scalar that reads back as the same value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _RESERVED:
        return text
    return json.dumps(text, ensure_ascii=False)


def yaml_lines(value: Any) -> list[str]:
    """Return the lines of ``value`` (JSON-shaped) as a YAML block document."""
    if isinstance(value, dict) and value:
        lines = []
        for key in sorted(value, key=str):
            item = value[key]
            name = yaml_scalar(str(key))
            if isinstance(item, dict) and item:
                lines.append(f"{name}:")
                lines.extend("  " + line for line in yaml_lines(item))
            elif isinstance(item, list) and item:
                lines.append(f"{name}:")
                lines.extend(yaml_lines(item))
            else:
                lines.append(f"{name}: {_yaml_inline(item)}")
        return lines
    if isinstance(value, list) and value:
        lines = []
        for item in value:
            nested = yaml_lines(item)
            if isinstance(item, (dict, list)) and item:
                lines.append("- " + nested[0])
                lines.extend("  " + line for line in nested[1:])
            else:
                lines.append("- " + nested[0])
        return lines
    return [_yaml_inline(value)]


def _yaml_inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return yaml_scalar(value)

"""The output formats: YAML that reads back as the same records, tables with numbers aligned."""

from __future__ import annotations

import io
import math

import yaml

from tansaku.cli._output import write_records


def _render(records, fmt, **options):
    out = io.StringIO()
    write_records(records, fmt, out, **options)
    return out.getvalue()


def test_yaml_reads_back_as_the_same_records():
    records = [
        {
            "plain": "COMPLETE",
            "looks_like_bool": "yes",
            "looks_like_number": "1e3",
            "date": "2026-01-02 03:04:05",
            "colon": "a: b",
            "empty": "",
            "quote": 'say "hi"',
            "newline": "a\nb",
            "unicode": "探索",
            "dash": "-",
            "none": None,
            "flag": True,
            "int": 3,
            "float": 0.1,
            "inf": math.inf,
            "list": [1, [2, 3], {"k": None}],
            "nested": {"b": {"c": []}, "a": {}},
            "tuple": ("MINIMIZE",),
        },
        {"only": 1},
    ]
    text = _render(records, "yaml")
    back = yaml.safe_load(text)
    expected = [dict(records[0], tuple=["MINIMIZE"]), records[1]]
    assert back == expected
    assert "plain: COMPLETE\n" in text and 'looks_like_bool: "yes"\n' in text


def test_single_record_json_and_yaml_are_objects():
    record = [{"number": 0, "params": {"x": 0.5}}]
    assert _render(record, "json", single=True) == '{"number": 0, "params": {"x": 0.5}}\n'
    assert _render(record, "yaml", single=True) == "number: 0\nparams:\n  x: 0.5\n"


def test_table_right_aligns_numbers_and_leaves_none_empty():
    text = _render([{"name": "a", "n": 5}, {"name": "long", "n": None}], "table")
    assert text == (
        "+------+---+\n| name | n |\n+------+---+\n| a    | 5 |\n| long |   |\n+------+---+\n"
    )
    assert _render([], "table") == ""
    assert _render([], "json") == "[]\n"

"""The benchmark suites. Each module defines the same small set of names:

- ``TITLE`` and ``PRESETS`` (``"full"``, ``"quick"``, ``"smoke"``), each with ``repeats``;
- ``PARALLEL_SAFE``: whether measurements may run side by side (only when nothing is timed);
- ``plan(preset, samplers)`` -> the cells to measure, as JSON-able dicts;
- ``describe(cell)`` -> a short label for progress lines and notes;
- ``measure(cell, impl, repeat, preset)`` (optional) -> an outcome, when one measurement is more
  than one worker process; otherwise the runner runs ``run_task`` in a fresh worker;
- ``run_task(impl, task)`` -> the raw numbers of one measurement (inside a worker);
- ``render(doc)`` -> Markdown tables and ``headline(doc)`` -> a few summary lines.
"""

from __future__ import annotations

SUITE_NAMES = ("overhead", "quality", "pruning", "storage", "importance", "moo")

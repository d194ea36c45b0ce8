"""Combining: a task's finished units -> its result, saved beside them.

A backtest's per-symbol results are combined (``vzb.engine.portfolio``) and saved; a
sweep's chunk tables are put back in grid order (``vzb.engine.merge_sweep_parts``) and
saved as one Parquet table; custom units give the list of their return values.

>>> import tempfile
>>> from vzb.jobs.store import TaskStore
>>> store = TaskStore(tempfile.mkdtemp())
>>> spec = {"function": "vzb.jobs.units:sleep", "units": [{}, {}]}
>>> task_id = store.create("units", spec, units_total=2, owner="me").task_id
>>> attempt = store.claim(task_id, "me").attempt
>>> for index, value in enumerate("ab"):
...     _ = store.finish_unit(task_id, attempt, index, {"format": "value", "value": value})
>>> combine_units(store, task_id, attempt)
({'values': ['a', 'b']}, ['a', 'b'])
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from vzb.jobs.planning import build_units
from vzb.jobs.record import TaskRecord, plain_data
from vzb.jobs.store import TaskStore
from vzb.jobs.worker import Cancelled, open_store

__all__ = ["FINALIZE", "combine_units", "finalize", "read_result"]

FINALIZE = -1
"""The unit index of a task's last step, when it runs in a worker: combining its units."""


def finalize(store_dir: str, task_id: str, attempt: int) -> dict:
    """Combine a task's finished units into its result (in a worker); return its summary.

    See :func:`combine_units`, which the runner calls directly when it holds the outputs.
    """
    return combine_units(open_store(store_dir), task_id, attempt)[0]


def combine_units(
    store: TaskStore,
    task_id: str,
    attempt: int,
    *,
    units: Sequence[Mapping[str, Any]] | None = None,
    tables: Mapping[int, Any] | None = None,
) -> tuple[dict, Any]:
    """Combine a task's finished units into its result; return ``(summary, result)``.

    ``units`` (the task's :func:`~vzb.jobs.planning.build_units`) and ``tables`` (unit
    index -> chunk table already in memory) spare rebuilding and re-reading what the
    caller has; any table missing there is read from its Parquet file.

    Raises
    ------
    Cancelled
        The task moved on to another attempt, or is no longer running.
    """
    record = store.get(task_id)
    if record.attempt != attempt or record.status != "running":
        raise Cancelled(f"Task {task_id} attempt {attempt} is stale")
    found = store.units(task_id)
    ordered = [found[i] for i in range(record.units_total)]
    if record.kind == "units":
        values = [u.get("value") for u in ordered]
        return {"values": values}, values
    specs = build_units(record.kind, record.spec) if units is None else units
    target = store.result_dir(task_id)
    if record.kind == "sweep":
        from vzb.engine.sweeps import merge_sweep_parts
        from vzb.results import load_table, save_table

        store.update(task_id, {"attempt": attempt}, message="saving the table")
        tables = tables or {}
        table = merge_sweep_parts(
            [tables[i] if i in tables else load_table(u["path"]) for i, u in enumerate(ordered)],
            [spec["set_indices"] for spec in specs],
            len(record.spec["symbols"]),
        )
        path = save_table(table, os.path.join(target, "sweep.parquet"))
        summary = {"path": path, "rows": len(table), "columns": [str(c) for c in table.columns]}
        return summary, table
    if len(ordered) == 1:  # one symbol: its result is the task's
        return {**ordered[0]["summary"], "path": ordered[0]["path"]}, None
    from vzb.engine.portfolio import combine
    from vzb.results import load_result, save_result

    store.update(task_id, {"attempt": attempt}, message="computing stats")
    results = {
        spec["kwargs"]["symbol"]: load_result(unit["path"])
        for spec, unit in zip(specs, ordered, strict=True)
    }
    result = combine(results)
    store.update(task_id, {"attempt": attempt}, message="saving")
    path = save_result(result, os.path.join(target, "result"))
    return plain_data({**result.to_dict(), "path": path}), result


def read_result(record: TaskRecord, held: Any = None) -> Any:
    """The result of a completed task, read from disk: a ``BacktestResult``, a sweep's
    table (``held``: the table still in memory, if any) or the units' return values."""
    if record.kind == "sweep":
        if held is not None:
            return held
        from vzb.results import load_table

        return load_table(record.result["path"])
    if record.kind == "backtest":
        from vzb.results import load_result

        return load_result(record.result["path"])
    return record.result["values"]

"""Combining: a task's finished units -> its result, saved beside them.

A backtest's per-symbol results are combined (``vzb.engine.portfolio``) and saved; a
sweep's chunk tables are put back in grid order (``vzb.engine.merge_sweep_parts``) and
saved as one Parquet table; a walk-forward's fold tables are assembled as
:func:`vzb.walk_forward` does (``vzb.analysis.walkforward.assemble``) and its parts
saved; custom units give the list of their return values.

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
from vzb.jobs.recording import queue_task_record
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

    A backtest, sweep or walk-forward then queues its run record for the catalog
    (:func:`~vzb.jobs.recording.queue_task_record`: a local file, written to the catalog
    by the runner's record sync; the task completes even when the catalog is down).

    Raises
    ------
    Cancelled
        The task moved on to another attempt, or is no longer running.
    """
    summary, result = _combine(store, task_id, attempt, units, tables)
    record = store.get(task_id)
    if record.attempt == attempt and record.status == "running":
        queue_task_record(store, record, summary, result if record.kind == "sweep" else None)
    return summary, result


def _combine(store: TaskStore, task_id: str, attempt: int, units, tables) -> tuple[dict, Any]:
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
    if record.kind == "walk_forward":
        return _combine_walk_forward(store, record, attempt, specs, ordered, target)
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


def _combine_walk_forward(
    store: TaskStore, record: TaskRecord, attempt: int, specs, ordered, target: str
) -> tuple[dict, Any]:
    """Each fold's training table and the sweep over all the candles -> the
    ``WalkForwardResult``, assembled as :func:`vzb.walk_forward` does; saved under
    ``target`` (folds, in-sample table, returns-free overfitting summary, chained result)."""
    import numpy as np
    import pandas as pd

    from vzb.analysis.folds import split_folds
    from vzb.analysis.walkforward import assemble, union_index
    from vzb.engine.options import validate_options
    from vzb.engine.sweeps import merge_sweep_parts
    from vzb.jobs.planning import load_market
    from vzb.results import load_table, save_result, save_table
    from vzb.strategies.registry import get_strategy

    spec = record.spec
    task_id = record.task_id
    store.update(task_id, {"attempt": attempt}, message="choosing the best set of each fold")
    frames = load_market(spec)
    index = union_index(frames)
    folds = split_folds(
        index, spec["train"], spec["test"], step=spec.get("step"),
        anchored=spec.get("anchored", False), purge=spec.get("purge", 0),
    )  # fmt: skip
    by_fold: dict[int, list[int]] = {}
    for i, unit_spec in enumerate(specs):
        by_fold.setdefault(unit_spec["fold"], []).append(i)

    def tables_of(number: int, part: int) -> tuple[list, list]:
        picked = by_fold[number]
        outputs = []
        for i in picked:
            unit = ordered[i]
            outputs.append(load_table(unit["paths"][part] if "paths" in unit else unit["path"]))
        return outputs, [specs[i]["set_indices"] for i in picked]

    tables = []
    for fold in folds:
        parts, indices = tables_of(fold.number, 0)
        symbols = len(specs[by_fold[fold.number][0]]["kwargs"]["symbols"])
        tables.append(merge_sweep_parts(parts, indices, symbols))
    parts, indices = tables_of(0, 0)
    in_sample = merge_sweep_parts(parts, indices, len(spec["symbols"]))
    curves, _ = tables_of(0, 1)
    curves = pd.concat(curves, axis=1, ignore_index=True)
    order = np.argsort(np.concatenate([np.asarray(k) for k in indices]), kind="stable")
    returns = pd.DataFrame(
        np.ascontiguousarray(curves.to_numpy().T[order]).T,
        index=curves.index,
        columns=pd.RangeIndex(len(order), name="set"),
    )
    store.update(task_id, {"attempt": attempt}, message="testing the chosen sets")
    opts = validate_options(**(spec.get("options") or {}))
    strat = get_strategy(spec["strategy"])
    result = assemble(
        frames, index, folds, tables, in_sample, returns, strat, spec["objective"], opts,
        home=spec.get("home"),
    )  # fmt: skip
    store.update(task_id, {"attempt": attempt}, message="saving")
    os.makedirs(target, exist_ok=True)
    overfitting = dict(result.overfitting)
    logits = overfitting.pop("pbo_logits", None)
    logits_path = None
    if logits is not None:
        logits_path = save_table(
            pd.DataFrame({"logit": np.asarray(logits, dtype=float)}),
            os.path.join(target, "pbo_logits.parquet"),
        )
    summary = {
        "folds": save_table(result.folds, os.path.join(target, "folds.parquet")),
        "in_sample": save_table(result.in_sample, os.path.join(target, "in_sample.parquet")),
        "result": save_result(result.result, os.path.join(target, "result")),
        "pbo_logits": logits_path,
        "overfitting": plain_data(overfitting),
        "objective": result.objective,
        "parameters": result.parameters,
        "swept": result.swept,
        "strategy": result.strategy,
        "stats": plain_data(result.result.to_dict()).get("stats"),
    }
    return plain_data(summary), result


def _read_walk_forward(summary: Mapping[str, Any]):
    from vzb.analysis.walkforward import WalkForwardResult
    from vzb.results import load_result, load_table

    overfitting = dict(summary["overfitting"])
    overfitting["pbo_logits"] = (
        None
        if summary.get("pbo_logits") is None
        else load_table(summary["pbo_logits"])["logit"].to_numpy()
    )
    return WalkForwardResult(
        folds=load_table(summary["folds"]),
        result=load_result(summary["result"]),
        in_sample=load_table(summary["in_sample"]),
        overfitting=overfitting,
        objective=summary["objective"],
        parameters=list(summary["parameters"]),
        swept=list(summary["swept"]),
        strategy=summary["strategy"],
    )


def read_result(record: TaskRecord, held: Any = None) -> Any:
    """The result of a completed task, read from disk: a ``BacktestResult``, a sweep's
    table (``held``: the table still in memory, if any) or the units' return values."""
    if record.kind == "sweep":
        if held is not None:
            return held
        from vzb.results import load_table

        return load_table(record.result["path"])
    if record.kind == "walk_forward":
        return _read_walk_forward(record.result)
    if record.kind == "backtest":
        from vzb.results import load_result

        return load_result(record.result["path"])
    return record.result["values"]

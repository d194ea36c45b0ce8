"""Job runs in the run catalog: every finished backtest, sweep and walk-forward task gets
a record (its spec, the candles' provenance, the code's, its key stats and artifacts).

:func:`queue_task_record` is called when a task's units are combined: the record goes to
the store's pending folder (local disk, so the task completes whatever the catalog's
state) and the runner's :class:`~vzb.results.sync.RecordSync` thread writes it to the
catalog. :func:`import_tasks` queues the tasks a store finished before it had a catalog.
:func:`task_problems` and :func:`task_counts` are the task half of ``vzb store check`` and
``vzb store stats``; :func:`adopt_restored` the task half of ``vzb store restore``.

>>> import tempfile
>>> from vzb.jobs.store import TaskStore
>>> store = TaskStore(tempfile.mkdtemp())
>>> spec = {"strategy": DEFAULT_STRATEGY, "params": {}, "symbols": ["BTC_USD"], "options": {}}
>>> task = store.create("backtest", spec, units_total=1)
>>> rec = task_run_record(task, {"path": "/results/x", "stats": {"Sharpe Ratio": 1.2}})
>>> rec["run_id"] == task.task_id, rec["files"], rec["candles"]["symbols"]
(True, {'result': '/results/x'}, ['BTC_USD'])
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Mapping
from typing import Any

from vzb.jobs.reaping import forget_runners as _forget
from vzb.jobs.reaping import runner_alive
from vzb.jobs.record import ACTIVE_STATES, TaskRecord
from vzb.jobs.store import TaskStore
from vzb.results.records import KINDS, sweep_summary
from vzb.results.sync import pending_ids, write_pending
from vzb.strategies.registry import DEFAULT_STRATEGY  # noqa: F401  (the doctest's)

__all__ = [
    "adopt_restored",
    "import_tasks",
    "queue_task_record",
    "task_counts",
    "task_ids",
    "task_problems",
    "task_run_record",
]


def _files(kind: str, summary: Mapping[str, Any]) -> dict[str, str]:
    if kind == "backtest":
        return {"result": summary["path"]}
    if kind == "sweep":
        return {"sweep.parquet": summary["path"]}
    files = {"folds.parquet": summary["folds"], "in_sample.parquet": summary["in_sample"]}
    files["result"] = summary["result"]
    if summary.get("pbo_logits"):
        files["pbo_logits.parquet"] = summary["pbo_logits"]
    return files


def task_run_record(
    record: TaskRecord, summary: Mapping[str, Any], table: Any = None, *, now: float | None = None
) -> dict[str, Any] | None:
    """The run record of a finished task (None for custom units).

    ``summary`` is the task's result summary, ``table`` a sweep's table if in memory."""
    from vzb.results.provenance import code_provenance
    from vzb.strategies.registry import get_strategy

    if record.kind not in KINDS:
        return None
    spec = record.spec
    now = time.time() if now is None else now
    strat = get_strategy(spec["strategy"])
    rec: dict[str, Any] = {
        "run_id": record.task_id, "kind": record.kind, "created_at": now,
        "duration": None if record.started_at is None else now - record.started_at,
        "strategy": strat.name, "strategy_ref": strat.ref or None, "task_id": record.task_id,
        "params": spec.get("params"), "grid": spec.get("grid"), "n_sets": spec.get("n_sets", 1),
        "symbols": list(spec["symbols"]), "timeframe": spec.get("timeframe"),
        "options": spec.get("options"), "tags": [], "note": None,
        "start_time": None, "end_time": None,
    }  # fmt: skip
    # the candles' provenance is read when the record is synced (not in the dispatcher)
    rec["candles"] = {k: spec.get(k) for k in ("symbols", "timeframe", "start", "end", "data_dir")}
    rec.update(code_provenance())  # the code as the run finished
    if record.kind == "sweep":
        if table is None:
            from vzb.results.store import load_table

            table = load_table(summary["path"])
        rec["stats"], rec["extra"] = sweep_summary(table)
    else:
        rec["stats"] = summary.get("stats")
        rec["fingerprint"] = summary.get("fingerprint")
        rec["extra"] = {"total_signals": summary.get("total_signals")}
    if record.kind == "walk_forward":
        rec["fingerprint"] = None  # the candles', read at sync (the result's is out of sample)
        rec["extra"] = {
            "objective": summary.get("objective"), "parameters": summary.get("parameters"),
            "swept": summary.get("swept"), "overfitting": summary.get("overfitting"),
        }  # fmt: skip
    rec["files"] = _files(record.kind, summary)
    return rec


def queue_task_record(
    store: TaskStore, record: TaskRecord, summary: Mapping[str, Any], table: Any = None
) -> None:
    """Put a finished task's run record in the store's pending folder. Never raises: a
    record that cannot be built is reported as a warning and the task still completes."""
    if record.kind not in KINDS:
        return
    try:
        rec = task_run_record(record, summary, table)
        write_pending(store.directory, rec)
    except Exception as exc:
        warnings.warn(
            f"Task {record.task_id}: no run record ({type(exc).__name__}: {exc})", stacklevel=2
        )


def import_tasks(store_dir: str) -> int:
    """Queue for the catalog every finished task of a store made before it had one;
    returns how many (the store importer of :func:`vzb.results.sync.sync`)."""
    if not os.path.exists(os.path.join(store_dir, "cache.db")):
        return 0
    store = TaskStore(store_dir)
    waiting = set(pending_ids(store_dir))
    queued = 0
    for record in store.tasks(status="completed"):
        if record.kind not in KINDS or record.task_id in waiting or not record.result:
            continue
        try:
            rec = task_run_record(record, record.result, now=record.finished_at)
        except Exception as exc:
            warnings.warn(f"Task {record.task_id} not imported: {exc}", stacklevel=2)
            continue
        write_pending(store_dir, rec)
        queued += 1
    return queued


def adopt_restored(store_dir: str, old_dir: str) -> int:
    """A store restored from a backup of ``old_dir``: its tasks' result paths moved into
    ``store_dir``, and the runners registered there forgotten (they ran elsewhere: the
    unfinished tasks become orphans that the next runner resumes, see
    :func:`~vzb.jobs.reaping.forget_runners`). Returns how many records moved."""
    if not os.path.exists(os.path.join(store_dir, "cache.db")):
        return 0
    store = TaskStore(store_dir)
    try:
        _forget(store)
        return store.relocate(old_dir)
    finally:
        store.close()


def task_problems(store_dir: str) -> list[str]:
    """Tasks left queued or running without a live runner (``vzb jobs resume`` finishes
    them), as lines for ``vzb store check``."""
    if not os.path.exists(os.path.join(store_dir, "cache.db")):
        return []
    store = TaskStore(store_dir)
    problems = []
    for record in store.tasks(status=ACTIVE_STATES):
        if not runner_alive(store, record.owner):
            problems.append(
                f"task {record.task_id} ({record.kind}) is {record.status} without a live "
                f"runner (was {record.owner}): run `vzb jobs resume --store {store_dir}`"
            )
    return problems


def task_counts(store_dir: str, *, day: float = 86400.0) -> dict[str, Any]:
    """Tasks by state, failures in the last ``day`` seconds, oldest and newest task,
    and every task id (for ``vzb store stats`` and the orphan check)."""
    counts: dict[str, Any] = {"tasks": {}, "failed_last_day": 0, "task_ids": set()}
    counts.update(oldest_task=None, newest_task=None)
    if not os.path.exists(os.path.join(store_dir, "cache.db")):
        return counts
    records = TaskStore(store_dir).tasks()
    now = time.time()
    for record in records:
        counts["tasks"][record.status] = counts["tasks"].get(record.status, 0) + 1
        counts["task_ids"].add(record.task_id)
        if record.status == "failed" and now - (record.finished_at or 0) < day:
            counts["failed_last_day"] += 1
    if records:
        counts["newest_task"], counts["oldest_task"] = records[0].created_at, records[-1].created_at
    return counts


def task_ids(store_dir: str) -> set[str]:
    """Every task id in a store (folders under ``results/`` with these names are not
    orphans)."""
    return task_counts(store_dir)["task_ids"]

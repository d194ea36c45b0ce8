"""The worker runtime: run one work unit in a worker process and save its output.

A unit is plain data, so it crosses process boundaries safely::

    {"task_id": ..., "attempt": 1, "index": 0, "total": 4,
     "function": "vzb.jobs.units:backtest_symbol", "kwargs": {...},
     "store_dir": "/path/to/.vzb",          # None when the workers are remote
     "nice": True}                          # lower the worker's CPU priority

:func:`execute` imports ``function`` by its import path, calls it with a
:class:`UnitContext` and ``kwargs``, and saves the output. The context's
:meth:`~UnitContext.checkpoint` writes heartbeats, the worker's pid and throttled
progress into the store (fenced by the task's attempt number) and raises
:class:`Cancelled` once the task should stop: pass it as the engine's ``checkpoint=`` and
a cancel reaches the numba kernels' chunk boundaries.

When ``store_dir`` is None (a dask cluster whose workers cannot reach the store's disk)
the unit touches no store and returns its output object; the runner saves it.

>>> unit = {"task_id": "t", "attempt": 1, "index": 0, "total": 1, "store_dir": None,
...         "function": "vzb.jobs.units:sleep", "kwargs": {"seconds": 0, "value": 42}}
>>> execute(unit)
{'output': 42}
"""

from __future__ import annotations

import importlib
import math
import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from vzb.errors import VzbError
from vzb.jobs.record import plain_data
from vzb.jobs.store import TaskStore

__all__ = [
    "WORKER_NICENESS",
    "Cancelled",
    "UnitContext",
    "execute",
    "open_store",
    "record_output",
    "resolve_function",
    "save_unit_output",
]

#: Seconds between two progress writes of one unit (diskcache serialises writes).
PROGRESS_INTERVAL = 0.25
#: Seconds a new stage's message may wait to be written (stages of a short unit pass by
#: too fast to see: one write covers them).
STAGE_INTERVAL = 0.1
#: Seconds between two looks at the cancel flag.
STOP_CHECK_INTERVAL = 0.05
#: How much lower than the notebook's the CPU priority of a worker process is.
WORKER_NICENESS = 10

_STORES: dict[str, TaskStore] = {}
_niced_pid: int | None = None


class Cancelled(VzbError):
    """Raised inside a unit when its task was cancelled, timed out or superseded."""


def open_store(directory: str) -> TaskStore:
    """The store at ``directory``, opened once per process."""
    store = _STORES.get(directory)
    if store is None:
        store = _STORES[directory] = TaskStore(directory)
    return store


def resolve_function(path: str) -> Callable:
    """Import ``"package.module:function"`` and return the function.

    >>> resolve_function("vzb.jobs.units:sleep").__name__
    'sleep'
    """
    module, sep, name = path.partition(":")
    if not sep or not module or not name:
        raise ValueError(f"Unit function {path!r} must be written 'package.module:function'")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise ValueError(
            f"Cannot import unit function {path!r} ({exc}); define it in an importable "
            "module, not in a notebook, so worker processes can find it"
        ) from None


class UnitContext:
    """What a running unit knows about its task: checkpoints, progress and the stop flag.

    Parameters
    ----------
    unit : dict
        The unit (plain data, see the module docstring).
    """

    def __init__(self, unit: Mapping[str, Any]):
        self.task_id = unit["task_id"]
        self.attempt = unit["attempt"]
        self.index = unit["index"]
        self.total = unit["total"]
        self.store = open_store(unit["store_dir"]) if unit.get("store_dir") else None
        self.pid = os.getpid()
        self._last_write = -math.inf
        self._last_check = -math.inf
        self._message: str | None = None
        self._new_stage = False

    def stage(self, fraction: float, message: str) -> None:
        """Enter a new stage (``"loading candles"``, ``"saving"``); check the stop flag now.

        The first stage of a unit is written at once, later ones within
        :data:`STAGE_INTERVAL` (at the next checkpoint).
        """
        self._message = message
        self._new_stage = True
        self.checkpoint(fraction, force=True)

    def checkpoint(self, fraction: float, *, force: bool = False) -> None:
        """Report this unit's fraction done (0..1); raise :class:`Cancelled` if it must stop.

        Cheap to call often: the stop flag is read at most every 50 ms (``force``: now)
        and progress is written at most four times a second.
        """
        if self.store is None:
            return
        now = time.monotonic()
        if force or now - self._last_check >= STOP_CHECK_INTERVAL:
            self._last_check = now
            reason = self.store.should_stop(self.task_id, self.attempt)
            if reason:
                raise Cancelled(f"Task {self.task_id} unit {self.index} stopped: {reason}")
        interval = STAGE_INTERVAL if self._new_stage else PROGRESS_INTERVAL
        if now - self._last_write >= interval:
            self._last_write = now
            self._new_stage = False
            written = self.store.report(
                self.task_id, self.attempt, self.index, fraction, self._message, pid=self.pid
            )
            if written is None:
                raise Cancelled(f"Task {self.task_id} unit {self.index} stopped: stale attempt")

    def scaled(self, low: float, high: float) -> Callable[[float], None]:
        """A checkpoint for a sub-step covering ``low..high`` of this unit (for the engine)."""

        def checkpoint(fraction: float) -> None:
            self.checkpoint(low + (high - low) * float(fraction))

        return checkpoint


def execute(unit: Mapping[str, Any]) -> dict:
    """Run one unit (in a worker process) and save its output.

    Returns ``{"output": object}`` when the unit has no store (remote workers), else
    ``{"saved": bool}`` (False when the write was stale: another attempt owns the task)
    and, for a table, ``"table"``: the runner then combines the tables it holds without
    reading them back (the saved copy is for a runner that has to resume the task).
    Raises :class:`Cancelled` when the task had to stop.
    """
    context = UnitContext(unit)
    if unit.get("nice"):  # a local worker process, on the notebook's own cores
        _yield_to_the_notebook()
    function = resolve_function(unit["function"])
    context.checkpoint(0.0, force=True)  # stopped already? (the first write: the pid)
    output = function(context, **unit.get("kwargs", {}))
    if context.store is None:
        return {"output": output}
    return record_output(context.store, unit, output)


def record_output(store: TaskStore, unit: Mapping[str, Any], output: Any) -> dict:
    """Save a unit's output and record the unit as finished (fenced by its attempt).

    Returns what :func:`execute` returns; the runner calls it for remote workers.
    """
    info = save_unit_output(store, unit, output)
    label = (unit.get("kwargs") or {}).get("label")
    if label:  # leads the task's message: "fold 3/8, training: 12/90 units done"
        info["label"] = label
    record = store.finish_unit(unit["task_id"], unit["attempt"], unit["index"], info)
    if record is not None and info["format"] == "table":
        return {"saved": True, "table": output}
    return {"saved": record is not None}


def _yield_to_the_notebook() -> None:
    """Lower this worker process's CPU priority once, so that the kernel that submits,
    polls and draws panels stays responsive while units keep every core busy."""
    global _niced_pid
    if _niced_pid != os.getpid():
        _niced_pid = os.getpid()
        if os.name == "posix" and os.getpriority(os.PRIO_PROCESS, 0) < WORKER_NICENESS:
            os.setpriority(os.PRIO_PROCESS, 0, WORKER_NICENESS)


def save_unit_output(store: TaskStore, unit: Mapping[str, Any], output: Any) -> dict:
    """Save a unit's output under the store directory; return its plain-data description.

    A DataFrame goes to Parquet (``save_table``), a tuple of DataFrames to one Parquet
    file each, a ``BacktestResult`` to a result directory (``save_result``); plain data
    is kept in the store as is.
    """
    base = os.path.join(
        store.result_dir(unit["task_id"]), f"unit-{unit['index']:05d}-a{unit['attempt']}"
    )
    if hasattr(output, "stats") and hasattr(output, "to_dict"):
        from vzb.results import save_result

        path = save_result(output, base)
        return {"format": "result", "path": path, "summary": plain_data(output.to_dict())}
    pandas = sys.modules.get("pandas")  # not loaded: the output cannot be a DataFrame
    if pandas is not None and isinstance(output, pandas.DataFrame):
        from vzb.results import save_table

        path = save_table(output, base + ".parquet")
        return {"format": "table", "path": path, "rows": len(output)}
    if (
        pandas is not None
        and isinstance(output, tuple)
        and output
        and all(isinstance(part, pandas.DataFrame) for part in output)
    ):  # several tables (a sweep chunk's stats and returns): one Parquet file each
        from vzb.results import save_table

        paths = [save_table(part, f"{base}-{k}.parquet") for k, part in enumerate(output)]
        return {"format": "tables", "paths": paths, "rows": len(output[0])}
    return {"format": "value", "value": output}

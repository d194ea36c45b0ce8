"""Work units: the pieces a task is split into, run in worker processes.

A unit is plain data, so it crosses process boundaries safely::

    {"task_id": ..., "attempt": 1, "index": 0, "total": 4,
     "function": "vzb.jobs.units:backtest_symbol", "kwargs": {...},
     "store_dir": "/path/to/.vzb"}          # None when the workers are remote

:func:`execute` runs one unit in a worker: it imports ``function`` by its import path,
calls it with a :class:`UnitContext` and ``kwargs``, and saves the output. The context's
:meth:`~UnitContext.checkpoint` writes heartbeats and throttled progress into the store
(fenced by the task's attempt number) and raises :class:`Cancelled` once the task should
stop: pass it as the engine's ``checkpoint=`` and a cancel reaches the numba kernels'
chunk boundaries.

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
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from vzb.errors import VzbError
from vzb.jobs.store import TaskStore

__all__ = [
    "FINALIZE",
    "Cancelled",
    "UnitContext",
    "backtest_symbol",
    "build_units",
    "combine_units",
    "execute",
    "finalize",
    "plain_data",
    "resolve_function",
    "save_unit_output",
    "sleep",
    "sweep_chunk",
    "sweep_chunks",
    "sweep_table",
]

#: Seconds between two progress writes of one unit (diskcache serialises writes).
PROGRESS_INTERVAL = 0.25
#: Seconds a new stage's message may wait to be written (stages of a short unit pass by
#: too fast to see: one write covers them).
STAGE_INTERVAL = 0.1
#: Runs (one parameter set on one symbol of daily candles) in the smallest sweep unit:
#: about 0.25 s of work, enough that a unit's fixed cost (saving its table, a few store
#: writes, the hand-over to a worker) stays small beside it.
MIN_UNIT_WORK = 2000
#: Sweep units shrink down to ``1 / (SHORTEST * workers)`` of the parameter sets.
SHORTEST = 32
#: Seconds between two looks at the cancel flag.
STOP_CHECK_INTERVAL = 0.05

_STORES: dict[str, TaskStore] = {}


class Cancelled(VzbError):
    """Raised inside a unit when its task was cancelled, timed out or superseded."""


def _store(directory: str) -> TaskStore:
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
        self.store = _store(unit["store_dir"]) if unit.get("store_dir") else None
        self.pid = os.getpid()
        self._last_write = -math.inf
        self._last_check = -math.inf
        self._fraction = 0.0
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
        self._fraction = fraction
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
    if context.store is not None:  # a local worker, on the notebook's own cores
        _yield_to_the_notebook()
    function = resolve_function(unit["function"])
    context.checkpoint(0.0, force=True)  # stopped already? (the first write, worker pid)
    output = function(context, **unit.get("kwargs", {}))
    if context.store is None:
        return {"output": output}
    info = save_unit_output(context.store, unit, output)
    record = context.store.finish_unit(unit["task_id"], unit["attempt"], unit["index"], info)
    if record is not None and info["format"] == "table":
        return {"saved": True, "table": output}
    return {"saved": record is not None}


#: how much lower than the notebook's the CPU priority of a worker process is
WORKER_NICENESS = 10
_niced_pid: int | None = None


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

    A DataFrame goes to Parquet (``save_table``), a ``BacktestResult`` to a result
    directory (``save_result``); plain data is kept in the store as is.
    """
    import pandas as pd

    base = os.path.join(
        store.result_dir(unit["task_id"]), f"unit-{unit['index']:05d}-a{unit['attempt']}"
    )
    if isinstance(output, pd.DataFrame):
        from vzb.results import save_table

        return {
            "format": "table",
            "path": save_table(output, base + ".parquet"),
            "rows": len(output),
        }
    if hasattr(output, "stats") and hasattr(output, "to_dict"):
        from vzb.results import save_result

        path = save_result(output, base)
        return {"format": "result", "path": path, "summary": plain_data(output.to_dict())}
    return {"format": "value", "value": output}


# -- the built-in unit functions ------------------------------------------------------------
def sleep(
    context: UnitContext,
    seconds: float = 1.0,
    value: Any = None,
    ignore_cancel: bool = False,
    fail: str | None = None,
) -> Any:
    """Sleep ``seconds`` in small steps, reporting progress; return ``value``.

    A unit for demos, tests and benchmarks of the job machinery. ``ignore_cancel=True``
    never checks the flag (a stuck unit, to be killed); ``fail`` raises ValueError(fail).
    """
    end = time.monotonic() + seconds
    context.stage(0.0, f"sleeping {seconds:g} s")
    while (left := end - time.monotonic()) > 0:
        time.sleep(min(0.01, left))
        if not ignore_cancel:
            context.checkpoint(1.0 - left / seconds)
    if fail:
        raise ValueError(fail)
    return value


def _load(symbols: Sequence[str], timeframe: str, start, end, data_dir) -> dict:
    from vzb.data import load_candles

    return {s: load_candles(s, timeframe, start, end, data_dir=data_dir) for s in symbols}


def backtest_symbol(
    context: UnitContext,
    *,
    strategy: str,
    params: Mapping[str, Any] | None,
    symbol: str,
    timeframe: str = "1d",
    start: str | None = None,
    end: str | None = None,
    options: Mapping[str, Any] | None = None,
    data_dir: str | None = None,
):
    """Backtest one symbol of a task: load candles, run, return the ``BacktestResult``."""
    from vzb.engine import backtest

    context.stage(0.0, f"loading candles {symbol}")
    candles = _load([symbol], timeframe, start, end, data_dir)[symbol]
    context.stage(0.05, f"running {symbol} {context.index + 1}/{context.total}")
    result = backtest(
        candles,
        strategy,
        dict(params or {}),
        checkpoint=context.scaled(0.05, 0.95),
        **(options or {}),
    )
    context.stage(0.95, f"saving {symbol}")
    return result


def sweep_chunk(
    context: UnitContext,
    *,
    strategy: str,
    param_sets: Sequence[Mapping[str, Any]],
    symbols: Sequence[str],
    timeframe: str = "1d",
    start: str | None = None,
    end: str | None = None,
    options: Mapping[str, Any] | None = None,
    data_dir: str | None = None,
):
    """Run a chunk of parameter sets over the task's symbols: return the stats table."""
    from vzb.engine import sweep_stats

    context.stage(0.0, "loading candles")
    candles = _load(symbols, timeframe, start, end, data_dir)
    data = candles[symbols[0]] if len(symbols) == 1 else candles
    context.stage(0.05, f"running chunk {context.index + 1}/{context.total}")
    table = sweep_stats(
        data,
        strategy,
        [dict(p) for p in param_sets],
        checkpoint=context.scaled(0.05, 0.95),
        **(options or {}),
    )
    context.stage(0.95, f"saving chunk {context.index + 1}/{context.total}")
    return table


def build_units(
    kind: str, spec: Mapping[str, Any], *, sets: Sequence[Mapping[str, Any]] | None = None
) -> list[dict]:
    """Split a task spec into unit descriptions ``{"function", "kwargs"}`` (deterministic).

    ``sets``: a sweep's parameter sets when the caller has them already.

    >>> units = build_units("units", {"function": "vzb.jobs.units:sleep",
    ...                               "units": [{"seconds": 0}, {"seconds": 0}]})
    >>> len(units), units[0]["function"]
    (2, 'vzb.jobs.units:sleep')
    """
    common = {
        "timeframe": spec.get("timeframe", "1d"),
        "start": spec.get("start"),
        "end": spec.get("end"),
        "options": spec.get("options") or {},
        "data_dir": spec.get("data_dir"),
    }
    if kind == "backtest":
        return [
            {
                "function": "vzb.jobs.units:backtest_symbol",
                "kwargs": {
                    "strategy": spec["strategy"],
                    "params": spec.get("params"),
                    "symbol": s,
                    **common,
                },
            }
            for s in spec["symbols"]
        ]
    if kind == "sweep":
        from vzb.engine import parameter_sets

        if sets is None:
            sets = parameter_sets(
                spec["strategy"], spec["grid"], n_iter=spec.get("n_iter"), seed=spec.get("seed")
            )
        if "workers" in spec:
            chunks = sweep_chunks(
                sets,
                chunk_size=spec.get("chunk_size"),
                workers=spec["workers"],
                symbols=len(spec["symbols"]),
                timeframe=spec.get("timeframe") or "1d",
            )
        else:  # stored by vzb before guided units: cut as then, so a resume reuses units
            order = sorted(
                range(len(sets)),
                key=lambda k: tuple(str(sets[k].get(p)) for p in ("volume_window", "num_bins")),
            )
            size = max(int(spec.get("chunk_size") or 1), 1)
            chunks = [order[i : i + size] for i in range(0, len(order), size)]
        return [
            {
                "function": "vzb.jobs.units:sweep_chunk",
                "kwargs": {
                    "strategy": spec["strategy"],
                    "param_sets": [sets[k] for k in chunk],
                    "symbols": list(spec["symbols"]),
                    **common,
                },
                "set_indices": chunk,
            }
            for chunk in chunks
        ]
    if kind == "units":
        return [{"function": spec["function"], "kwargs": dict(k)} for k in spec["units"]]
    raise ValueError(f"Unknown task kind {kind!r}; use 'backtest', 'sweep' or 'units'")


def sweep_table(parts: Sequence, set_indices: Sequence[Sequence[int]], n_symbols: int):
    """Put the chunk tables of a sweep back in :func:`vzb.engine.sweep_stats` order.

    Each part holds its chunk's sets for every symbol (symbol-major); the whole table is
    symbol-major with the sets in grid order, exactly as a direct sweep gives it.
    """
    import numpy as np
    import pandas as pd

    blocks, keys = [], []
    for part, indices in zip(parts, set_indices, strict=True):
        m = len(indices)
        for s in range(n_symbols):
            blocks.append(part.iloc[s * m : (s + 1) * m])
            keys.append(np.asarray(indices, dtype=np.int64) + s * (1 << 40))
    table = pd.concat(blocks, ignore_index=True)
    order = np.argsort(np.concatenate(keys), kind="stable")
    return table.iloc[order].reset_index(drop=True)


FINALIZE = -1
"""The unit index of a task's last step: combining its units' outputs."""


def finalize(store_dir: str, task_id: str, attempt: int) -> dict:
    """Combine a task's finished units into its result (in a worker); return its summary.

    See :func:`combine_units`, which the runner calls directly when it holds the outputs.
    """
    return combine_units(_store(store_dir), task_id, attempt)[0]


def combine_units(
    store: TaskStore,
    task_id: str,
    attempt: int,
    *,
    units: Sequence[Mapping[str, Any]] | None = None,
    tables: Mapping[int, Any] | None = None,
) -> tuple[dict, Any]:
    """Combine a task's finished units into its result; return ``(summary, result)``.

    A backtest's per-symbol results are combined (``vzb.engine.combine``) and saved; a
    sweep's chunk tables are put back in grid order and saved as one Parquet table.
    ``units`` (the task's :func:`build_units`) and ``tables`` (unit index -> chunk
    table already in memory) spare rebuilding and re-reading what the caller has; any
    table missing there is read from its Parquet file.
    """
    record = store.get(task_id)
    if record["attempt"] != attempt or record["status"] != "running":
        raise Cancelled(f"Task {task_id} attempt {attempt} is stale")
    specs = build_units(record["kind"], record["spec"]) if units is None else units
    found = store.units(task_id)
    ordered = [found[i] for i in range(len(specs))]
    target = store.result_dir(task_id)
    if record["kind"] == "units":
        values = [u.get("value") for u in ordered]
        return {"values": values}, values
    if record["kind"] == "sweep":
        from vzb.results import load_table, save_table

        store.update(task_id, {"attempt": attempt}, message="saving the table")
        tables = tables or {}
        table = sweep_table(
            [tables[i] if i in tables else load_table(u["path"]) for i, u in enumerate(ordered)],
            [spec["set_indices"] for spec in specs],
            len(record["spec"]["symbols"]),
        )
        path = save_table(table, os.path.join(target, "sweep.parquet"))
        summary = {"path": path, "rows": len(table), "columns": [str(c) for c in table.columns]}
        return summary, table
    if len(ordered) == 1 and "summary" in ordered[0]:
        return {**ordered[0]["summary"], "path": ordered[0]["path"]}, None
    from vzb.engine import combine
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


def plain_data(value: Any) -> Any:
    """Numpy scalars, tuples and timestamps -> plain Python data (for the store).

    >>> import numpy as np
    >>> plain_data({"a": np.int64(3), "b": (1.5, np.float64(2))})
    {'a': 3, 'b': [1.5, 2.0]}
    """
    if isinstance(value, Mapping):
        return {str(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_data(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    if hasattr(value, "isoformat") and callable(value.isoformat):
        return value.isoformat()
    return value


def _profile_key(params: Mapping[str, Any], shared: Sequence[str]) -> tuple:
    """Parameter sets with equal keys share precomputed work in the engine."""
    return tuple(params.get(name) for name in shared)


def _heavier_first(key: tuple) -> tuple:
    """Sort key: longer windows, more bins cost more (numbers compare as numbers)."""
    return tuple((0, v, "") if isinstance(v, int | float) else (1, 0, str(v)) for v in key)


def sweep_chunks(
    sets: Sequence[Mapping[str, Any]],
    *,
    chunk_size: int | None = None,
    workers: int = 1,
    symbols: int = 1,
    timeframe: str = "1d",
) -> list[list[int]]:
    """Cut a sweep's parameter sets into units: lists of indices into ``sets``.

    Sets that share work in the engine (a volume profile, a mean volume: equal values of
    :data:`vzb.engine.sweep.SHARED_WORK_PARAMETERS`) stay together. Their cost differs a
    lot (a 400-bar window costs several times a 10-bar one), so:

    - a small sweep (under ``workers * MIN_UNIT_WORK`` runs of one set on one symbol of
      daily candles; a run on hourly candles counts 24) is dealt into one unit per
      worker, heaviest groups first and turn about (0, 1, 1, 0, ...), which evens out
      the workers: more units would only add fixed costs;
    - otherwise the groups are mixed (golden-ratio order: every stretch holds heavy and
      light ones alike) and cut into units of ``chunk_size`` sets or, by default, units
      that shrink as the sweep goes on (guided scheduling): each takes
      ``1 / (2 * workers)`` of the sets still left, down to ``1 / (SHORTEST * workers)``
      of them all and at least ``MIN_UNIT_WORK`` runs. The first units are large (few
      units, little fixed cost), the last ones small (no worker idles long at the end
      while another finishes a large unit).

    >>> sets = [{"volume_window": w, "top_percentile": p} for w in range(5, 505)
    ...         for p in (0.1, 0.2)]
    >>> chunks = sweep_chunks(sets, workers=2, symbols=2, timeframe="1h")
    >>> [len(c) for c in chunks]
    [250, 188, 141, 106, 79, 59, 45, 42, 42, 48]
    >>> windows = [sets[k]["volume_window"] for k in chunks[0]]
    >>> min(windows) < 20 and max(windows) > 490, sorted(sum(chunks, [])) == list(range(1000))
    (True, True)
    >>> [len(c) for c in sweep_chunks(sets[:100], workers=2)]
    [50, 50]
    >>> [len(c) for c in sweep_chunks(sets, chunk_size=400)]
    [400, 400, 200]
    """
    from vzb.data import bars_per_year
    from vzb.engine.sweep import SHARED_WORK_PARAMETERS  # here: importing it loads numba

    groups: dict[tuple, list[int]] = {}
    for k, params in enumerate(sets):
        groups.setdefault(_profile_key(params, SHARED_WORK_PARAMETERS), []).append(k)
    heavy_first = [groups[key] for key in sorted(groups, key=_heavier_first, reverse=True)]
    workers = max(int(workers), 1)
    per_set = max(int(symbols), 1) * bars_per_year(timeframe) / 365  # runs, in daily terms
    least = math.ceil(MIN_UNIT_WORK / per_set)  # sets in the smallest unit
    if not chunk_size and len(sets) <= workers * least and len(groups) >= workers:
        dealt: list[list[int]] = [[] for _ in range(workers)]
        for i, members in enumerate(heavy_first):
            turn = i % (2 * workers)
            dealt[turn if turn < workers else 2 * workers - 1 - turn].extend(members)
        return [chunk for chunk in dealt if chunk]
    mixed = sorted(range(len(heavy_first)), key=lambda i: (i * _GOLDEN) % 1.0)
    order = [k for i in mixed for k in heavy_first[i]]
    if chunk_size or len(sets) <= workers * least:  # fixed size, or a few big groups
        size = int(chunk_size) if chunk_size else math.ceil(len(order) / workers)
        return [order[i : i + size] for i in range(0, len(order), size)]
    shortest = max(least, math.ceil(len(order) / (SHORTEST * workers)))
    chunks, start = [], 0
    while start < len(order):
        end = start + max(shortest, math.ceil((len(order) - start) / (2 * workers)))
        if len(order) - end < shortest / 2:  # no tiny unit at the very end
            end = len(order)
        chunks.append(order[start:end])
        start = end
    return chunks


_GOLDEN = (5**0.5 - 1) / 2

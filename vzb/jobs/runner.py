"""The job runner: submit backtests and sweeps as background tasks, poll, cancel, wait.

A :class:`JobRunner` lives in the notebook kernel. ``submit`` validates the request,
stores a queued task and returns at once; a dispatcher thread splits tasks into work
units (one per symbol, or one per chunk of parameter sets) and feeds them to worker
processes (loky's reusable executor by default), keeping only about ``max_workers``
units inside the executor, because a future handed to loky cannot be taken back.
The :class:`~vzb.jobs.store.TaskStore` is the single source of truth: anything (a
``JobPanel``, ``vzb jobs list`` in a terminal, a second notebook) reads it.

>>> import tempfile
>>> runner = JobRunner(tempfile.mkdtemp(), max_workers=1)
>>> task = runner.submit_units("vzb.jobs.units:sleep", [{"seconds": 0, "value": 7}])
>>> runner.wait(task.task_id, timeout=60)["status"]
'completed'
>>> task.result()
[7]
>>> runner.close()
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import os
import queue
import signal
import socket
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from vzb.errors import ParameterError, TaskStateError, UnknownSymbolError
from vzb.jobs.store import TERMINAL_STATES, TaskStore
from vzb.jobs.units import (
    FINALIZE,
    Cancelled,
    build_units,
    chunk_size_for,
    execute,
    finalize,
    plain_data,
    save_unit_output,
)

__all__ = ["DEFAULT_STORE", "JobRunner", "Task", "default_store_dir", "shared_loky_executor"]

#: Store directory when none is given and ``$VZB_HOME`` is unset.
DEFAULT_STORE = ".vzb"
#: A unit whose worker process dies this many times fails its task.
MAX_UNIT_RETRIES = 2
#: A task whose runner died this many times is failed instead of resumed.
MAX_ATTEMPTS = 3
_HEARTBEAT = 2.0
_REAP_EVERY = 5.0


def default_store_dir() -> str:
    """``$VZB_HOME`` if set, else ``./.vzb``."""
    return os.environ.get("VZB_HOME") or DEFAULT_STORE


def _fmt_seconds(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


class Task:
    """A handle on one task: the same calls as the runner, without the id.

    Attributes
    ----------
    task_id : str
    runner : JobRunner
    """

    def __init__(self, runner: JobRunner, task_id: str):
        self.runner = runner
        self.task_id = task_id

    def __repr__(self) -> str:
        record = self.runner.store.get(self.task_id)
        return (
            f"<Task {self.task_id} {record['kind']} {record['status']} "
            f"{record['progress']:.0%} ({record['units_done']}/{record['units_total']} units)>"
        )

    def status(self) -> dict:
        """The task record (see :meth:`JobRunner.status`)."""
        return self.runner.status(self.task_id)

    @property
    def progress(self) -> float:
        """Fraction done, 0..1."""
        return self.runner.store.get(self.task_id)["progress"]

    def cancel(self, reason: str = "Task cancelled by user") -> dict:
        """Cancel this task (see :meth:`JobRunner.cancel`)."""
        return self.runner.cancel(self.task_id, reason=reason)

    def wait(self, timeout: float | None = None) -> dict:
        """Wait until the task finishes (see :meth:`JobRunner.wait`)."""
        return self.runner.wait(self.task_id, timeout=timeout)

    def result(self, timeout: float | None = None):
        """Wait and load the result (see :meth:`JobRunner.result`)."""
        return self.runner.result(self.task_id, timeout=timeout)


@dataclass
class _Run:
    """The dispatcher's view of one task it owns."""

    task_id: str
    kind: str
    attempt: int = 0  # 0: not claimed yet
    units: list[dict] | None = None
    pending: deque = field(default_factory=deque)
    in_flight: set = field(default_factory=set)
    retries: dict = field(default_factory=dict)
    started_at: float | None = None
    stop_status: str | None = None  # "cancelled" | "failed" once stopping
    stop_error: dict | None = None
    stop_since: float = 0.0
    killed: bool = False


class JobRunner:
    """Run backtests and sweeps as background tasks stored in a :class:`TaskStore`.

    Parameters
    ----------
    store : TaskStore or str or os.PathLike, optional
        The task store or its directory. Default ``$VZB_HOME`` or ``./.vzb``.
    max_workers : int, optional
        Worker processes (default: the number of CPUs). At most this many units are
        inside the executor at any time.
    executor : concurrent.futures.Executor, optional
        Where units run. Default: ``joblib.externals.loky.get_reusable_executor``. A dask
        ``distributed`` client's ``client.get_executor()`` works too.
    remote : bool, optional
        True when the workers cannot reach the store's disk: units then return their
        output and only this process writes the store (cancel then takes effect between
        units). Default: False for loky and the standard process/thread pools, True for
        any other executor.
    time_limit : float
        Seconds a task may run before it fails "timed out after ..." (default one hour).
    grace_period : float
        Seconds a cancelled unit may keep running before its worker process is killed.

    Examples
    --------
    >>> import tempfile
    >>> runner = JobRunner(tempfile.mkdtemp(), max_workers=1)
    >>> task = runner.submit_units("vzb.jobs.units:sleep", [{"seconds": 30}])
    >>> runner.cancel(task.task_id)["cancel_requested"]
    True
    >>> runner.wait(task.task_id, timeout=30)["status"]
    'cancelled'
    >>> runner.close()
    """

    def __init__(
        self,
        store: TaskStore | str | os.PathLike | None = None,
        *,
        max_workers: int | None = None,
        executor: cf.Executor | None = None,
        remote: bool | None = None,
        time_limit: float = 3600.0,
        grace_period: float = 5.0,
    ):
        if store is None:
            store = default_store_dir()
        self.store = store if isinstance(store, TaskStore) else TaskStore(store)
        if max_workers is not None and int(max_workers) < 1:
            raise ParameterError(f"max_workers={max_workers!r} must be at least 1")
        self.max_workers = int(
            max_workers or getattr(executor, "_max_workers", 0) or os.cpu_count() or 1
        )
        self._executor = executor
        self._own_executor = executor is None
        if remote is None:
            local_types = (cf.ProcessPoolExecutor, cf.ThreadPoolExecutor)
            remote = not (
                executor is None or isinstance(executor, local_types) or _is_loky(executor)
            )
        self.remote = bool(remote)
        if time_limit <= 0 or grace_period < 0:
            raise ParameterError(
                f"time_limit={time_limit!r} must be > 0 and grace_period={grace_period!r} >= 0"
            )
        self.time_limit = float(time_limit)
        self.grace_period = float(grace_period)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._runs: dict[str, _Run] = {}
        self._futures: dict[cf.Future, tuple[str, int, int]] = {}
        self._done: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._closed = False
        self._stop = False
        self._listeners: list[Callable[[str], None]] = []
        self._last_heartbeat = 0.0
        self._last_reap = 0.0
        self._last_queued_check = 0.0
        self._kill_time = 0.0
        self.store.register_runner(self.owner)
        self.reap()
        self._thread = threading.Thread(target=self._loop, name="vzb-dispatcher", daemon=True)
        self._thread.start()
        atexit.register(self._at_exit)

    def __repr__(self) -> str:
        return (
            f"JobRunner(store={self.store.directory!r}, max_workers={self.max_workers}, "
            f"active={len(self._runs)})"
        )

    def __enter__(self) -> JobRunner:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- submitting -----------------------------------------------------------------------
    def submit(
        self,
        strategy: str = "volume_zone_breakout",
        params: Mapping[str, Any] | None = None,
        symbols: str | Sequence[str] = ("BTC_USD",),
        start: Any = None,
        end: Any = None,
        timeframe: str = "1d",
        *,
        data_dir: str | None = None,
        **options,
    ) -> Task:
        """Submit a backtest of ``strategy`` on ``symbols``; returns a queued :class:`Task`.

        Everything is checked first (strategy, parameters, symbols, dates, timeframe,
        engine options): a bad request raises and stores nothing. Each symbol is one work
        unit; the result is the combined ``BacktestResult``.

        Raises
        ------
        ParameterError
            Unknown strategy, parameter out of range, bad dates, timeframe or option.
        UnknownSymbolError
            A symbol the catalog does not hold for this timeframe.
        """
        spec = self._check(strategy, symbols, start, end, timeframe, data_dir, options)
        from vzb.strategies import get_strategy

        spec["params"] = plain_data(get_strategy(spec["strategy"]).validate(params))
        return self._submit("backtest", spec, len(spec["symbols"]))

    def submit_sweep(
        self,
        strategy: str,
        grid: Mapping[str, Any],
        symbols: str | Sequence[str] = ("BTC_USD",),
        *,
        n_iter: int | None = None,
        seed: int | None = None,
        start: Any = None,
        end: Any = None,
        timeframe: str = "1d",
        chunk_size: int | None = None,
        data_dir: str | None = None,
        **options,
    ) -> Task:
        """Submit a sweep of ``strategy`` over a parameter ``grid``; returns a queued Task.

        ``n_iter`` samples that many parameter sets at random (reproducible with
        ``seed``). Parameter sets are split into chunks of ``chunk_size`` (default: about
        four units per worker); the result is the stats table, one row per parameter set
        and symbol, as :func:`vzb.engine.sweep_stats` gives it.
        """
        spec = self._check(strategy, symbols, start, end, timeframe, data_dir, options)
        from vzb.engine import parameter_sets

        grid = plain_data(dict(grid))
        sets = parameter_sets(spec["strategy"], grid, n_iter=n_iter, seed=seed)
        if not sets:
            raise ParameterError(f"grid={grid!r} gives no parameter sets; give each a value")
        if chunk_size is not None and int(chunk_size) < 1:
            raise ParameterError(f"chunk_size={chunk_size!r} must be at least 1")
        size = int(chunk_size or chunk_size_for(len(sets), self.max_workers))
        spec.update(grid=grid, n_iter=n_iter, seed=seed, chunk_size=size, n_sets=len(sets))
        return self._submit("sweep", spec, -(-len(sets) // size))

    def submit_units(
        self, function: str, kwargs: Iterable[Mapping[str, Any]], *, description: str = ""
    ) -> Task:
        """Submit your own function as a task: one unit per kwargs dict.

        ``function`` is an import path ``"package.module:name"`` of a function
        ``f(context, **kwargs)``; call ``context.checkpoint(fraction)`` often so that
        cancel works. Its return values (plain data) are the task's result, a list.
        """
        from vzb.jobs.units import resolve_function

        resolve_function(function)
        units = [plain_data(dict(k)) for k in kwargs]
        if not units:
            raise ParameterError("kwargs is empty: give at least one unit")
        spec = {"function": function, "units": units, "description": description}
        return self._submit("units", spec, len(units))

    def _check(self, strategy, symbols, start, end, timeframe, data_dir, options) -> dict:
        import pandas as pd

        from vzb.data import TIMEFRAMES, list_symbols
        from vzb.engine import validate_options
        from vzb.strategies import get_strategy

        get_strategy(strategy)
        if timeframe not in TIMEFRAMES:
            raise ParameterError(f"timeframe={timeframe!r} is not one of {list(TIMEFRAMES)}")
        if isinstance(symbols, str):
            symbols = [symbols]
        symbols = list(dict.fromkeys(symbols))
        if not symbols:
            raise ParameterError("symbols is empty: give at least one symbol, e.g. 'BTC_USD'")
        catalog = list_symbols(data_dir)
        have = catalog.loc[catalog["timeframe"] == timeframe, "symbol"].tolist()
        for symbol in symbols:
            if symbol not in have:
                raise UnknownSymbolError(
                    f"No {timeframe} candles for symbol {symbol!r}; available: {sorted(set(have))} "
                    "(add CSV files to data_dir or $VZB_DATA_DIR)"
                )
        dates = {}
        for name, value in (("start", start), ("end", end)):
            if value is None:
                dates[name] = None
                continue
            try:
                stamp = pd.Timestamp(value)
            except (ValueError, TypeError):
                raise ParameterError(
                    f"{name}={value!r} is not a date; write it like '2021-01-31'"
                ) from None
            if stamp is pd.NaT:
                raise ParameterError(f"{name}={value!r} is not a date; write it like '2021-01-31'")
            stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
            dates[name] = stamp
        if (
            dates["start"] is not None
            and dates["end"] is not None
            and dates["start"] >= dates["end"]
        ):
            raise ParameterError(f"start={start!r} must be before end={end!r}")
        checked = validate_options(**options)
        return {
            "strategy": strategy,
            "symbols": symbols,
            "start": None if dates["start"] is None else dates["start"].isoformat(),
            "end": None if dates["end"] is None else dates["end"].isoformat(),
            "timeframe": timeframe,
            "options": plain_data(checked),
            # resolved now: workers may have been started before $VZB_DATA_DIR changed
            "data_dir": os.fspath(data_dir) if data_dir else os.environ.get("VZB_DATA_DIR"),
        }

    def _submit(self, kind: str, spec: dict, units_total: int) -> Task:
        if self._closed:
            raise TaskStateError("This runner is closed; create a new JobRunner")
        record = self.store.create(kind, spec, units_total=units_total, owner=self.owner)
        task_id = record["task_id"]
        with self._lock:
            self._runs[task_id] = _Run(task_id, kind)
        self._wake.set()
        for listener in list(self._listeners):
            try:
                listener(task_id)
            except Exception:  # a broken listener must not break submit
                traceback.print_exc()
        return Task(self, task_id)

    # -- querying -------------------------------------------------------------------------
    def status(self, task_id: str) -> dict:
        """The task record: ``task_id, status, progress, message, units_done, units_total,
        created_at, started_at, finished_at, result`` (the JSON summary once completed),
        ``error`` (``{"type", "message", "traceback"}`` once failed or cancelled) and more.

        Raises
        ------
        TaskNotFound
            No task with this id.
        """
        return self.store.get(task_id)

    def task(self, task_id: str) -> Task:
        """A :class:`Task` handle for an existing task id."""
        self.store.get(task_id)
        return Task(self, task_id)

    def wait(self, task_id: str, timeout: float | None = None) -> dict:
        """Wait until the task is completed, failed or cancelled; return its record.

        Raises
        ------
        TimeoutError
            Still unfinished after ``timeout`` seconds (the task goes on).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.002
        while True:
            record = self.store.get(task_id)
            if record["status"] in TERMINAL_STATES:
                return record
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(
                    f"Task {task_id} still {record['status']} after {timeout:g} s "
                    f"({record['progress']:.0%}); it goes on: wait again or cancel it"
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.01)

    def result(self, task_id: str, timeout: float | None = None):
        """Wait for the task and load its result from disk.

        Returns the ``BacktestResult`` of a backtest, the stats DataFrame of a sweep, or
        the list of return values of :meth:`submit_units`.

        Raises
        ------
        TaskStateError
            The task failed or was cancelled (the message says why).
        """
        record = self.wait(task_id, timeout=timeout)
        if record["status"] != "completed":
            raise TaskStateError(
                f"Task {task_id} is {record['status']}, it has no result: {record['message']}"
            )
        summary = record["result"]
        if record["kind"] == "sweep":
            from vzb.results import load_table

            return load_table(summary["path"])
        if record["kind"] == "backtest":
            from vzb.results import load_result

            return load_result(summary["path"])
        return summary["values"]

    def tasks(self, status: str | Iterable[str] | None = None, strategy: str | None = None):
        """The store's tasks as a DataFrame, newest first."""
        import pandas as pd

        rows = []
        for r in self.store.tasks(status=status, strategy=strategy):
            spec = r["spec"]
            rows.append(
                {
                    "task_id": r["task_id"],
                    "kind": r["kind"],
                    "strategy": spec.get("strategy") or spec.get("function"),
                    "symbols": ",".join(spec.get("symbols") or []),
                    "status": r["status"],
                    "progress": r["progress"],
                    "units_done": r["units_done"],
                    "units_total": r["units_total"],
                    "message": r["message"],
                    "created_at": r["created_at"],
                    "started_at": r["started_at"],
                    "finished_at": r["finished_at"],
                }
            )
        columns = [
            "task_id",
            "kind",
            "strategy",
            "symbols",
            "status",
            "progress",
            "units_done",
            "units_total",
            "message",
            "created_at",
            "started_at",
            "finished_at",
        ]
        frame = pd.DataFrame(rows, columns=columns)
        for name in ("created_at", "started_at", "finished_at"):
            frame[name] = pd.to_datetime(frame[name].astype("float64"), unit="s", utc=True)
        return frame

    # -- cancelling -----------------------------------------------------------------------
    def cancel(self, task_id: str, reason: str = "Task cancelled by user") -> dict:
        """Cancel a task: a queued one at once, a running one at its next checkpoint.

        A unit that ignores the flag for ``grace_period`` seconds is killed with its worker
        process. Returns the task record.

        Raises
        ------
        TaskNotFound
            No task with this id.
        TaskStateError
            The task already finished.
        """
        record = self.store.request_cancel(task_id, reason=reason)
        self._wake.set()
        return record

    def add_listener(self, fn: Callable[[str], None]) -> None:
        """Call ``fn(task_id)`` after each submit (lets a panel wake up)."""
        self._listeners.append(fn)

    def panel(self):
        """A ``vzb.widgets.JobPanel`` showing this runner's store."""
        from vzb.widgets import JobPanel

        return JobPanel(self)

    # -- lifecycle ------------------------------------------------------------------------
    def close(self, cancel: bool = True, timeout: float | None = None) -> None:
        """Stop the runner.

        With ``cancel=True`` its unfinished tasks are cancelled ("runner closed") and
        waited for (at most ``timeout``, default grace period + 5 s). With
        ``cancel=False`` they are left for the next runner on this store to resume.
        """
        if self._closed:
            return
        self._closed = True
        if cancel:
            with self._lock:
                ids = list(self._runs)
            for task_id in ids:
                try:
                    self.store.request_cancel(
                        task_id, reason="Runner closed before the task finished"
                    )
                except TaskStateError:
                    pass
            self._wake.set()
            deadline = time.monotonic() + (self.grace_period + 5 if timeout is None else timeout)
            while self._runs and time.monotonic() < deadline:
                time.sleep(0.01)
        self._stop = True
        self._wake.set()
        self._thread.join(timeout=10)
        self.store.unregister_runner(self.owner)
        atexit.unregister(self._at_exit)

    def _at_exit(self) -> None:
        try:
            self.close(cancel=False)
        except Exception:
            pass

    # -- reaping --------------------------------------------------------------------------
    def reap(self) -> list[str]:
        """Adopt tasks whose runner is gone; return their ids.

        Finished units are kept and the task resumes here, unless its runners already died
        :data:`MAX_ATTEMPTS` times or its time limit passed: then it fails with a message
        that says why. Called when the runner starts and every few seconds.
        """
        adopted = []
        for record in self.store.tasks(status=("queued", "running")):
            old = record["owner"]
            if old == self.owner or self.store.runner_alive(old):
                continue
            task_id, attempt = record["task_id"], record["attempt"]
            why = f"its runner {old} stopped" if old else "it had no runner"
            started = record["started_at"]
            if record["status"] == "running" and attempt >= MAX_ATTEMPTS:
                message = f"Failed: {why}; its runners died {attempt} times, giving up"
                self.store.finish(
                    task_id,
                    "failed",
                    attempt=attempt,
                    message=message,
                    error={"type": "RunnerLost", "message": message, "traceback": ""},
                )
                continue
            if started is not None and time.time() - started > self.time_limit:
                message = f"timed out after {_fmt_seconds(self.time_limit)} ({why})"
                self.store.finish(
                    task_id,
                    "failed",
                    attempt=attempt,
                    message=message,
                    error={"type": "TimeoutError", "message": message, "traceback": ""},
                )
                continue
            kept = record["units_done"]
            message = f"resumed: {why}; kept {kept}/{record['units_total']} finished units"
            new = self.store.adopt(
                task_id, old_owner=old, attempt=attempt, owner=self.owner, message=message
            )
            if new is None:
                continue
            run = _Run(task_id, new["kind"])
            if new["status"] == "running":
                self._prepare(run, new)
            with self._lock:
                self._runs[task_id] = run
            adopted.append(task_id)
        self._wake.set()
        return adopted

    # -- the dispatcher thread ------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop:
            self._wake.wait(timeout=0.05)
            self._wake.clear()
            try:
                self._step()
            except Exception:  # never let the dispatcher die silently
                traceback.print_exc()
                time.sleep(0.2)

    def _step(self) -> None:
        now = time.time()
        if now - self._last_heartbeat > _HEARTBEAT:
            self._last_heartbeat = now
            self.store.register_runner(self.owner)
        if now - self._last_reap > _REAP_EVERY:
            self._last_reap = now
            self.reap()
        while True:
            try:
                future = self._done.get_nowait()
            except queue.Empty:
                break
            self._collect(future)
        with self._lock:
            runs = list(self._runs.values())
        check_queued = now - self._last_queued_check > 0.2
        if check_queued:
            self._last_queued_check = now
        for run in runs:
            if run.attempt or check_queued:  # queued ones only need a look now and then
                self._supervise(run, now)
        self._fill(runs)

    def _get_executor(self) -> cf.Executor:
        if self._executor is None:
            self._executor = shared_loky_executor(self.max_workers)
        return self._executor

    def _prepare(self, run: _Run, record: dict) -> None:
        """Build the units of a claimed task and queue those not finished yet."""
        run.attempt = record["attempt"]
        run.started_at = record["started_at"]
        run.units = build_units(record["kind"], record["spec"])
        done = self.store.units(run.task_id)
        run.pending = deque(i for i in range(len(run.units)) if i not in done)

    def _fill(self, runs: list[_Run]) -> None:
        free = self.max_workers - len(self._futures)
        for run in runs:
            if free <= 0:
                return
            if run.stop_status is not None:
                continue
            if run.attempt == 0:
                record = self.store.claim(run.task_id, self.owner)
                if record is None:  # cancelled while queued, or adopted elsewhere
                    self._forget(run)
                    continue
                try:
                    self._prepare(run, record)
                except Exception as exc:
                    self._stop_run(run, "failed", _error_of(exc))
                    continue
            while free > 0 and run.pending:
                index = run.pending.popleft()
                unit = {
                    "task_id": run.task_id,
                    "attempt": run.attempt,
                    "index": index,
                    "total": len(run.units),
                    "store_dir": None if self.remote else self.store.directory,
                    **run.units[index],
                }
                try:
                    future = self._get_executor().submit(execute, unit)
                except (cf.BrokenExecutor, RuntimeError) as exc:  # broken, or shut down
                    if not self._own_executor:  # the caller's executor: cannot replace it
                        self._stop_run(run, "failed", _error_of(exc))
                        break
                    run.pending.appendleft(index)
                    self._replace_executor()
                    return
                self._futures[future] = (run.task_id, index, run.attempt)
                run.in_flight.add(index)
                future.add_done_callback(self._on_done)
                free -= 1

    def _on_done(self, future: cf.Future) -> None:
        self._done.put(future)
        self._wake.set()

    def _replace_executor(self) -> None:
        if self._own_executor:
            self._executor = None  # loky hands out a fresh one next time

    def _collect(self, future: cf.Future) -> None:
        task_id, index, attempt = self._futures.pop(future)
        run = self._runs.get(task_id)
        if run is None or run.attempt != attempt:
            return
        run.in_flight.discard(index)
        exc = future.exception()
        if index == FINALIZE:
            if run.stop_status is not None:
                return  # stopping: _supervise writes the final state
            if exc is None:
                self._finish(run, "completed", result=future.result())
            elif isinstance(exc, cf.BrokenExecutor):
                self._replace_executor()  # _supervise submits it again
            elif not isinstance(exc, Cancelled):
                self._finish(run, "failed", error=_error_of(exc))
            return
        if exc is None:
            if self.remote:
                output = future.result()["output"]
                unit = {"task_id": task_id, "attempt": attempt, "index": index}
                try:
                    info = save_unit_output(self.store, unit, output)
                except Exception as err:
                    self._stop_run(run, "failed", _error_of(err))
                    return
                self.store.finish_unit(task_id, attempt, index, info)
            return
        if isinstance(exc, Cancelled) or run.stop_status is not None:
            return
        if isinstance(exc, cf.BrokenExecutor):
            self._replace_executor()
            if time.time() - self._kill_time < 5.0:  # we killed the workers ourselves
                run.pending.appendleft(index)
                return
            tries = run.retries[index] = run.retries.get(index, 0) + 1
            if tries > MAX_UNIT_RETRIES:
                message = (
                    f"A worker process died {tries} times while running unit {index} "
                    f"({type(exc).__name__}): killed, or out of memory?"
                )
                self._stop_run(
                    run,
                    "failed",
                    {"type": type(exc).__name__, "message": message, "traceback": _tb(exc)},
                )
                return
            run.pending.appendleft(index)
            self.store.update(
                task_id,
                {"attempt": attempt},
                message=f"unit {index} re-queued: its worker process died ({type(exc).__name__})",
            )
            return
        self._stop_run(run, "failed", _error_of(exc, unit=index))

    def _stop_run(self, run: _Run, status: str, error: dict) -> None:
        """Start stopping a task: no more units; in-flight units see the stop reason."""
        if run.stop_status is not None:
            return
        run.stop_status, run.stop_error, run.stop_since = status, error, time.time()
        run.pending.clear()
        if run.attempt:
            self.store.update(
                run.task_id,
                {"attempt": run.attempt},
                stop_reason=error["message"],
                message=f"stopping: {error['message']}",
            )

    def _supervise(self, run: _Run, now: float) -> None:
        if run.attempt == 0:
            record = self.store.get(run.task_id)
            if record["status"] in TERMINAL_STATES or record["owner"] != self.owner:
                self._forget(run)
            return
        record = self.store.get(run.task_id)
        if record["status"] in TERMINAL_STATES or record["attempt"] != run.attempt:
            run.pending.clear()
            if not run.in_flight:
                self._forget(run)
            return
        if run.stop_status is None:
            if record["cancel_requested"]:
                reason = record["stop_reason"] or "Task cancelled by user"
                self._stop_run(
                    run, "cancelled", {"type": "Cancelled", "message": reason, "traceback": ""}
                )
            elif run.started_at is not None and now - run.started_at > self.time_limit:
                message = f"timed out after {_fmt_seconds(self.time_limit)}"
                self._stop_run(
                    run, "failed", {"type": "TimeoutError", "message": message, "traceback": ""}
                )
        if run.stop_status is not None:
            if run.in_flight and not run.killed and now - run.stop_since > self.grace_period:
                run.killed = True
                if self._kill_workers():
                    self.store.update(
                        run.task_id,
                        {"attempt": run.attempt},
                        message=f"killed workers: units ignored the stop for "
                        f"{_fmt_seconds(self.grace_period)}",
                    )
                else:  # cannot kill (remote executor): stop waiting for them
                    run.in_flight.clear()
            if not run.in_flight:
                error = run.stop_error
                self.store.finish(
                    run.task_id,
                    run.stop_status,
                    attempt=run.attempt,
                    error=error,
                    message=error["message"],
                )
                self._forget(run)
            return
        if not run.pending and not run.in_flight:
            self._complete(run)

    def _complete(self, run: _Run) -> None:
        """All units done: combine them (in a worker when workers are local) and finish."""
        units = self.store.units(run.task_id)
        if len(units) < len(run.units):  # a stale unit write was dropped: run it again
            run.pending.extend(i for i in range(len(run.units)) if i not in units)
            return
        light = run.kind == "units" or (run.kind == "backtest" and len(run.units) == 1)
        if self.remote or light:  # nothing to load, or workers cannot reach the disk
            try:
                summary = finalize(self.store.directory, run.task_id, run.attempt)
            except Exception as exc:
                self._finish(run, "failed", error=_error_of(exc))
            else:
                self._finish(run, "completed", result=summary)
            return
        try:
            future = self._get_executor().submit(
                finalize, self.store.directory, run.task_id, run.attempt
            )
        except (cf.BrokenExecutor, RuntimeError):
            self._replace_executor()
            return  # tried again at the next step
        self._futures[future] = (run.task_id, FINALIZE, run.attempt)
        run.in_flight.add(FINALIZE)
        future.add_done_callback(self._on_done)

    def _finish(self, run: _Run, status: str, *, result=None, error=None) -> None:
        self.store.finish(run.task_id, status, attempt=run.attempt, result=result, error=error)
        self._forget(run)

    def _kill_workers(self) -> bool:
        """SIGKILL the executor's worker processes; loky then fails every in-flight future."""
        processes = getattr(self._executor, "_processes", None)
        if not processes or isinstance(self._executor, cf.ThreadPoolExecutor):
            return False
        self._kill_time = time.time()
        for process in list(processes.values()):
            try:
                os.kill(process.pid, signal.SIGKILL)
            except (ProcessLookupError, AttributeError):
                pass
        return True

    def _forget(self, run: _Run) -> None:
        with self._lock:
            self._runs.pop(run.task_id, None)


def shared_loky_executor(max_workers: int) -> cf.Executor:
    """loky's reusable executor, configured exactly as ``joblib.Parallel(backend="loky")``.

    loky keeps one reusable executor per process and joblib assumes it built it: an
    executor made by ``get_reusable_executor`` directly breaks a later
    ``joblib.Parallel`` (``vzb.sweep(n_jobs=2)``) in the same kernel, and different
    settings would make each restart the other's workers. Asking joblib for it keeps
    one shared pool of workers for jobs and direct sweeps alike.
    """
    import joblib

    parallel = joblib.Parallel(n_jobs=max_workers, backend="loky")
    try:
        with parallel:
            executor = parallel._backend._workers
    except Exception:  # a joblib without these internals: plain loky
        executor = None
    if executor is None:
        from joblib.externals.loky import get_reusable_executor

        executor = get_reusable_executor(max_workers=max_workers)
    return executor


def _is_loky(executor: cf.Executor) -> bool:
    return type(executor).__module__.startswith("joblib.externals.loky")


def _tb(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


def _error_of(exc: BaseException, unit: int | None = None) -> dict:
    where = f" in unit {unit}" if unit is not None else ""
    return {"type": type(exc).__name__, "message": f"{exc}{where}", "traceback": _tb(exc)}

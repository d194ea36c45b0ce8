"""The job runner: submit backtests and sweeps as background tasks, poll, cancel, wait.

A :class:`JobRunner` lives in the notebook kernel. ``submit`` validates the request,
stores a queued task and returns at once; a dispatcher thread splits tasks into work
units (one per symbol, or one per chunk of parameter sets) and feeds them to worker
processes (loky's reusable executor by default), keeping only :data:`LOOKAHEAD` units
per worker inside the executor, because a future handed to loky cannot be taken back.
Each unit saves its output under the store before it counts as done, so a runner that
dies loses no finished unit; the runner combines a task's outputs when the last one is
in (a sweep's tables from memory) and writes the result.
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
import socket
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from vzb.errors import ParameterError, TaskStateError
from vzb.jobs.executors import is_local, kill_workers, shared_loky_executor
from vzb.jobs.requests import backtest_spec, sweep_spec, units_spec
from vzb.jobs.store import TERMINAL_STATES, TaskStore, error_record
from vzb.jobs.task import Task, task_table
from vzb.jobs.units import (
    FINALIZE,
    Cancelled,
    build_units,
    combine_units,
    execute,
    finalize,
    save_unit_output,
)

__all__ = ["DEFAULT_STORE", "JobRunner", "default_store_dir"]

#: Store directory when none is given and ``$VZB_HOME`` is unset.
DEFAULT_STORE = ".vzb"
#: A unit whose worker process dies this many times fails its task.
MAX_UNIT_RETRIES = 2
#: A task whose runner died this many times is failed instead of resumed.
MAX_ATTEMPTS = 3
#: Finished sweep tables held in memory for :meth:`JobRunner.result` (read from disk after).
KEEP_RESULTS = 2
#: Units handed to the executor per worker (one running, the next waiting in line).
LOOKAHEAD = 2
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
    tables: dict = field(default_factory=dict)  # unit index -> its output table, in memory
    started_at: float | None = None
    stop_status: str | None = None  # "cancelled" | "failed" once stopping
    stop_error: dict | None = None
    stop_since: float = 0.0
    killed: bool = False
    notes: list = field(default_factory=list)  # what went wrong on the way, for the message


class JobRunner:
    """Run backtests and sweeps as background tasks stored in a :class:`TaskStore`.

    Parameters
    ----------
    store : TaskStore or str or os.PathLike, optional
        The task store or its directory. Default ``$VZB_HOME`` or ``./.vzb``.
    max_workers : int, optional
        Worker processes (default: the number of CPUs). At most :data:`LOOKAHEAD` times
        this many units are inside the executor at any time, and a new task starts only
        while fewer than this many are.
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

    Notes
    -----
    The kill after the grace period is not surgical: it SIGKILLs **every** worker
    process of the executor, and the default executor is the loky pool this kernel
    shares with joblib, so a direct ``vzb.sweep(n_jobs=2)`` running at the same moment
    in the same kernel loses its workers too (joblib raises ``TerminatedWorkerError``
    there; run it again). Units of this runner's other tasks caught by the kill are
    re-queued and their task's final message says so. The broken pool is dropped: the
    next unit, and the next joblib call, get a fresh one.

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
        self.remote = not is_local(executor) if remote is None else bool(remote)
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
        self._finished = threading.Condition(self._lock)  # notified when a run ends here
        self._results: dict[str, Any] = {}  # task id -> sweep table not yet handed out
        self._wake = threading.Event()
        self._closed = False
        self._stop = False
        self._listeners: list[Callable[[str], None]] = []
        self._last_heartbeat = 0.0
        self._last_reap = 0.0
        self._last_queued_check = 0.0
        self._kill_time = 0.0
        # (symbol, timeframe, data_dir, file version) -> candle timestamps, for submit checks
        self._candle_index: dict = {}
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
        spec = backtest_spec(
            strategy,
            params,
            symbols,
            start=start,
            end=end,
            timeframe=timeframe,
            data_dir=data_dir,
            options=options,
            index_cache=self._candle_index,
        )
        return self._submit("backtest", spec)

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
        ``seed``). Parameter sets are split into units of ``chunk_size`` sets (default:
        units that shrink as the sweep goes on, see :func:`~vzb.jobs.units.sweep_chunks`);
        the result is the stats table, one row per parameter set
        and symbol, as :func:`vzb.engine.sweep_stats` gives it.
        """
        spec, sets = sweep_spec(
            strategy,
            grid,
            symbols,
            n_iter=n_iter,
            seed=seed,
            start=start,
            end=end,
            timeframe=timeframe,
            chunk_size=chunk_size,
            workers=self.max_workers,
            data_dir=data_dir,
            options=options,
            index_cache=self._candle_index,
        )
        return self._submit("sweep", spec, sets=sets)

    def submit_units(
        self, function: str, kwargs: Iterable[Mapping[str, Any]], *, description: str = ""
    ) -> Task:
        """Submit your own function as a task: one unit per kwargs dict.

        ``function`` is an import path ``"package.module:name"`` of a function
        ``f(context, **kwargs)``; call ``context.checkpoint(fraction)`` often so that
        cancel works. Its return values (plain data) are the task's result, a list.
        """
        return self._submit("units", units_spec(function, kwargs, description))

    def _submit(self, kind: str, spec: dict, sets: list | None = None) -> Task:
        if self._closed:
            raise TaskStateError("This runner is closed; create a new JobRunner")
        units = build_units(kind, spec, sets=sets)  # kept: the dispatcher needs them next
        record = self.store.create(kind, spec, units_total=len(units), owner=self.owner)
        task_id = record["task_id"]
        with self._lock:
            self._runs[task_id] = _Run(task_id, kind, units=units)
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
        delay = 0.001
        while True:
            record = self.store.get(task_id)
            if record["status"] in TERMINAL_STATES:
                return record
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise TimeoutError(
                    f"Task {task_id} still {record['status']} after {timeout:g} s "
                    f"({record['progress']:.0%}); it goes on: wait again or cancel it"
                )
            with self._finished:
                # a task of this runner: woken the moment it ends here (a look at the store
                # now and then is enough); another runner's: poll the store
                ours = task_id in self._runs
                delay = min(delay * 2, 0.25 if ours else 0.02)
                self._finished.wait(delay if left is None else min(delay, left))

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
            with self._lock:
                table = self._results.pop(task_id, None)
            if table is not None:  # as saved; a later call reads the file
                return table
            from vzb.results import load_table

            return load_table(summary["path"])
        if record["kind"] == "backtest":
            from vzb.results import load_result

            return load_result(summary["path"])
        return summary["values"]

    def tasks(self, status: str | Iterable[str] | None = None, strategy: str | None = None):
        """The store's tasks as a DataFrame, newest first (see :func:`task_table`)."""
        return task_table(self.store.tasks(status=status, strategy=strategy))

    # -- cancelling -----------------------------------------------------------------------
    def cancel(self, task_id: str, reason: str = "Task cancelled by user") -> dict:
        """Cancel a task: a queued one at once, a running one at its next checkpoint.

        A unit that ignores the flag for ``grace_period`` seconds is killed with its worker
        process, and with it every other worker of the executor (for the default loky
        executor: the pool shared with joblib, so a direct ``vzb.sweep(n_jobs=...)``
        running at that moment fails too; see the class notes). Other tasks' units
        caught by the kill are re-queued. Returns the task record.

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
        self._results.clear()
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
            error = None
            if record["status"] == "running" and attempt >= MAX_ATTEMPTS:
                message = f"Failed: {why}; its runners died {attempt} times, giving up"
                error = error_record("RunnerLost", message)
            elif started is not None and time.time() - started > self.time_limit:
                message = f"timed out after {_fmt_seconds(self.time_limit)} ({why})"
                error = error_record("TimeoutError", message)
            if error is not None:
                self.store.finish(
                    task_id, "failed", attempt=attempt, message=error["message"], error=error
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
        if run.units is None:  # adopted: built from the stored spec
            run.units = build_units(record["kind"], record["spec"])
        done = self.store.units(run.task_id)
        run.pending = deque(i for i in range(len(run.units)) if i not in done)

    def _fill(self, runs: list[_Run]) -> None:
        # Up to two units per worker inside the executor: a worker that finishes a unit
        # starts the next at once instead of idling until this thread hands it one (a
        # unit of a cancelled task that starts anyway stops at its first checkpoint).
        # A new task is claimed only while a worker would otherwise be idle.
        free = LOOKAHEAD * self.max_workers - len(self._futures)
        for run in runs:
            if free <= 0:
                return
            if run.stop_status is not None:
                continue
            if run.attempt == 0:
                if len(self._futures) >= self.max_workers:
                    continue  # claimed runs further on may still fill the lookahead
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
            answer = future.result()
            if self.remote:
                output = answer["output"]
                unit = {"task_id": task_id, "attempt": attempt, "index": index}
                try:
                    info = save_unit_output(self.store, unit, output)
                except Exception as err:
                    self._stop_run(run, "failed", _error_of(err))
                    return
                if self.store.finish_unit(task_id, attempt, index, info) is None:
                    return
                answer = {"table": output} if info["format"] == "table" else {}
            if "table" in answer:
                run.tables[index] = answer["table"]
            return
        if isinstance(exc, Cancelled) or run.stop_status is not None:
            return
        if isinstance(exc, cf.BrokenExecutor):
            self._replace_executor()
            if time.time() - self._kill_time < 5.0:  # we killed the workers ourselves
                run.pending.appendleft(index)
                run.notes.append(
                    f"unit {index} re-queued: the workers were killed to stop another task"
                )
                return
            tries = run.retries[index] = run.retries.get(index, 0) + 1
            if tries > MAX_UNIT_RETRIES:
                message = (
                    f"A worker process died {tries} times while running unit {index} "
                    f"({type(exc).__name__}): killed, or out of memory?"
                )
                self._stop_run(run, "failed", error_record(type(exc).__name__, message, _tb(exc)))
                return
            run.pending.appendleft(index)
            note = f"unit {index} re-queued: its worker process died ({type(exc).__name__})"
            run.notes.append(note)
            self.store.update(task_id, {"attempt": attempt}, message=note)
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
                self._stop_run(run, "cancelled", error_record("Cancelled", reason))
            elif run.started_at is not None and now - run.started_at > self.time_limit:
                message = f"timed out after {_fmt_seconds(self.time_limit)}"
                self._stop_run(run, "failed", error_record("TimeoutError", message))
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
        """All units done: combine them and finish.

        Here when that is light: a sweep's tables are mostly in memory already, custom
        units and one-symbol backtests have nothing to load, and remote workers cannot
        reach the disk anyway. A multi-symbol backtest is combined in a worker (it loads
        every symbol's curves), so that the notebook kernel stays responsive.
        """
        units = self.store.units(run.task_id)
        if len(units) < len(run.units):  # a stale unit write was dropped: run it again
            run.pending.extend(i for i in range(len(run.units)) if i not in units)
            return
        light = run.kind != "backtest" or len(run.units) == 1
        if self.remote or light:
            try:
                summary, value = combine_units(
                    self.store, run.task_id, run.attempt, units=run.units, tables=run.tables
                )
            except Exception as exc:
                self._finish(run, "failed", error=_error_of(exc))
            else:
                if self._finish(run, "completed", result=summary) and run.kind == "sweep":
                    self._keep(run.task_id, value)
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

    def _finish(self, run: _Run, status: str, *, result=None, error=None) -> bool:
        """Write the task's terminal state; True if it was written as ``status``.

        A task that completed although units had to be run again says so in its message
        ("completed; unit 0 re-queued: its worker process died ...").
        """
        message = None
        if status == "completed" and run.notes:
            message = "completed; " + "; ".join(dict.fromkeys(run.notes[-3:]))
        record = self.store.finish(
            run.task_id, status, attempt=run.attempt, result=result, error=error, message=message
        )
        self._forget(run)
        return record is not None and record["status"] == status

    def _keep(self, task_id: str, value) -> None:
        """Hold a finished sweep's table for :meth:`result` (the latest few only)."""
        with self._lock:
            self._results[task_id] = value
            while len(self._results) > KEEP_RESULTS:
                self._results.pop(next(iter(self._results)))

    def _kill_workers(self) -> bool:
        """SIGKILL the executor's worker processes; loky then fails every in-flight future.

        All of them: loky cannot kill one worker. The pool is dropped when its failed
        futures come back (:meth:`_replace_executor`), and loky itself hands joblib a
        new one, since it checks its reusable executor for breakage on every call.
        """
        self._kill_time = time.time()
        return kill_workers(self._executor)

    def _forget(self, run: _Run) -> None:
        with self._finished:
            self._runs.pop(run.task_id, None)
            self._finished.notify_all()


def _tb(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


def _error_of(exc: BaseException, unit: int | None = None) -> dict:
    where = f" in unit {unit}" if unit is not None else ""
    return error_record(type(exc).__name__, f"{exc}{where}", _tb(exc))

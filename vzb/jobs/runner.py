"""The job runner: submit backtests, sweeps and walk-forwards as background tasks, poll,
cancel, wait.

A :class:`JobRunner` lives in the notebook kernel. ``submit`` checks the request
(:mod:`vzb.jobs.requests`), stores a queued task and returns at once; its
:class:`~vzb.jobs.dispatcher.Dispatcher` thread splits tasks into work units
(:mod:`vzb.jobs.planning`), feeds them to worker processes (a loky pool the runner owns,
by default; see :mod:`vzb.jobs.executors`), and combines a task's outputs
(:mod:`vzb.jobs.combining`) when its last unit is in. Each unit saves its output under
the store before it counts as done (:mod:`vzb.jobs.worker`), so a runner that dies loses
no finished unit. The :class:`~vzb.jobs.store.TaskStore` is the single source of truth:
anything (``vzb.JobPanel(runner)``, ``vzb jobs list`` in a terminal, a second notebook)
reads it.

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
import os
import socket
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from vzb._home import DEFAULT_HOME, home_dir
from vzb.errors import ParameterError, TaskStateError
from vzb.jobs.combining import read_result
from vzb.jobs.dispatcher import Dispatcher
from vzb.jobs.executors import ExecutorBackend, executor_backend
from vzb.jobs.planning import build_units
from vzb.jobs.reaping import register_runner, unregister_runner
from vzb.jobs.record import TERMINAL_STATES, TaskRecord
from vzb.jobs.store import TaskStore
from vzb.jobs.submitting import Submitting
from vzb.jobs.task import Task, task_table
from vzb.results.sync import RecordSync

__all__ = ["DEFAULT_STORE", "JobRunner", "default_store_dir"]

#: Store directory when none is given and ``$VZB_HOME`` is unset (shared with the ledger).
DEFAULT_STORE = DEFAULT_HOME


def default_store_dir() -> str:
    """``$VZB_HOME`` if set, else ``./.vzb``: where the store and the ledger of trials live."""
    return home_dir()


class JobRunner(Submitting):
    """Run backtests and sweeps as background tasks stored in a :class:`TaskStore`.

    Parameters
    ----------
    store : TaskStore or str or os.PathLike, optional
        The task store or its directory. Default ``$VZB_HOME`` or ``./.vzb``.
    max_workers : int, optional
        Units run at once (default: the number of CPUs; a dask client: its threads). At
        most ``LOOKAHEAD`` times this many units are inside the executor at any time, and
        a new task starts only while fewer than this many are.
    executor : str or concurrent.futures.Executor or distributed.Client, optional
        Where units run: ``"loky"`` (default: a process pool this runner creates and
        owns, apart from the pool joblib shares with your own ``vzb.sweep(n_jobs=...)``),
        another name registered with :func:`~vzb.jobs.executors.register_executor`, any
        ``concurrent.futures.Executor``, or a dask ``distributed`` ``Client``.
    remote : bool, optional
        True when the workers cannot reach the store's disk: units then return their
        output and only this process writes the store (cancel then takes effect between
        units). Default: False for loky and the standard process/thread pools, True for
        a dask client and any other executor.
    time_limit : float
        Seconds a task may run before it fails "timed out after ..." (default one hour).
    grace_period : float
        Seconds a cancelled unit may keep running before its worker process is killed.

    Notes
    -----
    A unit that ignores a cancel for ``grace_period`` seconds is stopped by SIGKILL of
    the worker process running it (the pid it reported), and only in the runner's own
    loky pool; the pool is then replaced, and the units of other tasks it was running
    are re-queued (their task's final message says so). Nothing outside that pool is
    touched: a ``vzb.sweep(n_jobs=2)`` running in the same kernel goes on. Workers of an
    executor you pass in are never killed: the runner stops waiting for such a unit.

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
        executor: str | ExecutorBackend | Any = None,
        remote: bool | None = None,
        time_limit: float = 3600.0,
        grace_period: float = 5.0,
    ):
        if max_workers is not None and int(max_workers) < 1:
            raise ParameterError(f"max_workers={max_workers!r} must be at least 1")
        if time_limit <= 0 or grace_period < 0:
            raise ParameterError(
                f"time_limit={time_limit!r} must be > 0 and grace_period={grace_period!r} >= 0"
            )
        self.backend = executor_backend(executor, max_workers)
        self.max_workers = self.backend.max_workers
        self.remote = not self.backend.local if remote is None else bool(remote)
        self.time_limit = float(time_limit)
        self.grace_period = float(grace_period)
        if store is None:
            store = default_store_dir()
        self.store = store if isinstance(store, TaskStore) else TaskStore(store)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._closed = False
        self._listeners: list[Callable[[str], None]] = []
        # (symbol, timeframe, data_dir, file version) -> candle timestamps, for submit checks
        self._candle_index: dict = {}
        self._dispatcher = Dispatcher(
            self.store, self.backend, owner=self.owner, remote=self.remote,
            time_limit=self.time_limit, grace_period=self.grace_period,
        )  # fmt: skip
        register_runner(self.store, self.owner)
        #: ids of the tasks this runner took over when it started (see :meth:`reap`)
        self.resumed: list[str] = self.reap()
        self._dispatcher.start()
        # writes the run records of finished tasks to the catalog, retrying while it is down
        self._record_sync = RecordSync(self.store.directory)
        self._record_sync.start()
        atexit.register(self._at_exit)

    def __repr__(self) -> str:
        return (
            f"JobRunner(store={self.store.directory!r}, max_workers={self.max_workers}, "
            f"active={len(self._dispatcher.runs)})"
        )

    def __enter__(self) -> JobRunner:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _submit(self, kind: str, spec: dict, sets: list | None = None) -> Task:
        if self._closed:
            raise TaskStateError("This runner is closed; create a new JobRunner")
        units = build_units(kind, spec, sets=sets)  # kept: the dispatcher needs them next
        task_id = self.store.create(kind, spec, units_total=len(units), owner=self.owner).task_id
        self._dispatcher.add(task_id, kind, units)
        for listener in list(self._listeners):
            try:
                listener(task_id)
            except Exception:  # a broken listener must not break submit
                traceback.print_exc()
        return Task(self, task_id)

    # -- querying -------------------------------------------------------------------------
    def status(self, task_id: str) -> TaskRecord:
        """The task record: ``task_id, status, progress, message, units_done, units_total,
        created_at, started_at, finished_at, result`` (the JSON summary once completed),
        ``error`` (``{"type", "message", "traceback"}`` once failed or cancelled) and more
        (see :class:`~vzb.jobs.record.TaskRecord`; ``record["status"]`` works too).

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

    def wait(self, task_id: str, timeout: float | None = None) -> TaskRecord:
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
            if record.status in TERMINAL_STATES:
                return record
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise TimeoutError(
                    f"Task {task_id} still {record.status} after {timeout:g} s "
                    f"({record.progress:.0%}); it goes on: wait again or cancel it"
                )
            # a task of this runner: woken the moment it ends here (a look at the store
            # now and then is enough); another runner's: poll the store
            delay = min(delay * 2, 0.25 if task_id in self._dispatcher.runs else 0.02)
            self._dispatcher.pause(delay if left is None else min(delay, left))

    def result(self, task_id: str, timeout: float | None = None):
        """Wait for the task and load its result from disk.

        Returns the ``BacktestResult`` of a backtest, the stats DataFrame of a sweep, the
        ``WalkForwardResult`` of a walk-forward, or the list of return values of
        :meth:`submit_units`.

        Raises
        ------
        TaskStateError
            The task failed or was cancelled (the message says why).
        """
        record = self.wait(task_id, timeout=timeout)
        if record.status != "completed":
            raise TaskStateError(
                f"Task {task_id} is {record.status}, it has no result: {record.message}"
            )
        return read_result(record, held=self._dispatcher.take_result(task_id))

    def tasks(self, status: str | Iterable[str] | None = None, strategy: str | None = None):
        """The store's tasks as a DataFrame, newest first (see :func:`task_table`)."""
        return task_table(self.store.tasks(status=status, strategy=strategy))

    # -- cancelling -----------------------------------------------------------------------
    def cancel(self, task_id: str, reason: str = "Task cancelled by user") -> TaskRecord:
        """Cancel a task: a queued one at once, a running one at its next checkpoint.

        A unit that ignores the flag for ``grace_period`` seconds is killed with its
        worker process (see the class notes). Returns the task record.

        Raises
        ------
        TaskNotFound
            No task with this id.
        TaskStateError
            The task already finished, or is finishing (all units done).
        """
        record = self.store.request_cancel(task_id, reason=reason)
        self._dispatcher.wake()
        return record

    def add_listener(self, fn: Callable[[str], None]) -> None:
        """Call ``fn(task_id)`` after each submit (lets a panel wake up)."""
        self._listeners.append(fn)

    def remove_listener(self, fn: Callable[[str], None]) -> None:
        """Stop calling ``fn`` after submits; a function not listening is ignored.

        >>> import tempfile
        >>> with JobRunner(tempfile.mkdtemp(), max_workers=1) as runner:
        ...     runner.add_listener(print)
        ...     runner.remove_listener(print)
        ...     _ = runner.submit_units("vzb.jobs.units:sleep", [{"seconds": 0}])
        """
        if fn in self._listeners:
            self._listeners.remove(fn)

    # -- lifecycle ------------------------------------------------------------------------
    def reap(self) -> list[str]:
        """Adopt tasks whose runner is gone; return their ids.

        A running task is adopted once its old workers have gone quiet (no heartbeat for
        ``reaping.QUIET_AFTER`` seconds: they finish and record the units they were
        running).
        Finished units are kept and the task resumes here, unless its runners already
        died ``MAX_ATTEMPTS`` times or its time limit passed: then it fails with a
        message that says why. Called when the runner starts and every few seconds.
        """
        return self._dispatcher.reap()

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
            for task_id in self._dispatcher.task_ids():
                try:
                    self.store.request_cancel(
                        task_id, reason="Runner closed before the task finished"
                    )
                except TaskStateError:
                    pass
            self._dispatcher.wake()
            deadline = time.monotonic() + (self.grace_period + 5 if timeout is None else timeout)
            while self._dispatcher.runs and time.monotonic() < deadline:
                time.sleep(0.01)
        self._dispatcher.stop()
        self._record_sync.stop()
        unregister_runner(self.store, self.owner)
        atexit.unregister(self._at_exit)

    def _at_exit(self) -> None:
        try:
            self.close(cancel=False)
        except Exception:
            pass

"""The dispatcher: one thread in the notebook kernel that moves a runner's tasks along.

It claims queued tasks, feeds their units to the executor backend, keeping only
:data:`LOOKAHEAD` units per worker inside it (a future handed to a pool cannot be taken
back), collects what comes back, and supervises each task: cancel flags, time limits,
units that ignore a stop (their worker processes are killed by the pids the units
reported, in vzb's own pool only, and the innocent units re-queued), dead workers
(their units re-run, see :mod:`vzb.jobs.runs`) and the final combine.
It also takes over tasks whose runner is gone (:mod:`vzb.jobs.reaping`).
"""

from __future__ import annotations

import concurrent.futures as cf
import queue
import threading
import time
import traceback
from typing import Any

from vzb.jobs.combining import FINALIZE, combine_units, finalize
from vzb.jobs.dependencies import Dependencies
from vzb.jobs.executors import ExecutorBackend
from vzb.jobs.planning import build_units
from vzb.jobs.reaping import fmt_seconds, reap_orphans, register_runner
from vzb.jobs.record import TERMINAL_STATES, TaskRecord, error_record
from vzb.jobs.runs import Run, TooManyDeaths
from vzb.jobs.store import TaskStore
from vzb.jobs.worker import Cancelled, execute, record_output

__all__ = ["LOOKAHEAD", "Dispatcher"]

#: Finished sweep tables held in memory for ``JobRunner.result`` (read from disk after).
KEEP_RESULTS = 2
#: Units handed to the executor per worker (one running, the next waiting in line).
LOOKAHEAD = 2
_HEARTBEAT = 2.0


class Dispatcher:
    """The thread that runs the tasks of one runner (see the module docstring)."""

    def __init__(
        self, store: TaskStore, backend: ExecutorBackend, *, owner: str, remote: bool,
        time_limit: float, grace_period: float,
    ):  # fmt: skip
        self.store, self.backend, self.owner, self.remote = store, backend, owner, remote
        self.time_limit, self.grace_period = time_limit, grace_period
        self.runs: dict[str, Run] = {}
        self._dependencies = Dependencies(store)  # ``after=``: tasks a task waits for
        self._futures: dict[cf.Future, tuple[str, int, int, int]] = {}
        self._done: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.RLock()
        self._finished = threading.Condition(self._lock)  # notified when a run ends here
        self._results: dict[str, Any] = {}  # task id -> sweep table not yet handed out
        self._killed: set[int] = set()  # pool generations broken by our own kill
        self._wake = threading.Event()
        self._stop = False
        self._last_heartbeat = self._last_queued_check = 0.0
        self._next_reap = 0.0
        self._thread = threading.Thread(target=self._loop, name="vzb-dispatcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and let go of the executor (running units finish by themselves)."""
        self._stop = True
        self._wake.set()
        self._thread.join(timeout=10)
        self._results.clear()
        self.backend.shutdown()

    def wake(self) -> None:
        self._wake.set()

    def task_ids(self) -> list[str]:
        """The tasks this runner is running or will run."""
        with self._lock:
            return list(self.runs)

    def add(self, task_id: str, kind: str, units: list[dict]) -> None:
        """A task this runner just stored as queued."""
        with self._lock:
            self.runs[task_id] = Run(task_id, kind, units=units)
        self._wake.set()

    def pause(self, delay: float) -> None:
        """Sleep up to ``delay`` s, or until a task of this runner ends."""
        with self._finished:
            self._finished.wait(delay)

    def take_result(self, task_id: str) -> Any:
        """The finished sweep table held for ``task_id`` (once), or None."""
        with self._lock:
            return self._results.pop(task_id, None)

    # -- reaping --------------------------------------------------------------------------
    def reap(self) -> list[str]:
        """Adopt tasks whose runner is gone (:func:`~vzb.jobs.reaping.reap_orphans`) and
        run them here; return their ids."""
        adopted, self._next_reap = reap_orphans(self.store, self.owner, time_limit=self.time_limit)
        ids = []
        for record in adopted:
            run = Run(record.task_id, record.kind)
            if record.status == "running":
                try:
                    self._prepare(run, record)
                except Exception as exc:
                    error = _error_of(exc)
                    self.store.finish(run.task_id, "failed", attempt=record.attempt, error=error)
                    continue
            with self._lock:
                self.runs[run.task_id] = run
            ids.append(run.task_id)
        self._wake.set()
        return ids

    # -- the loop -------------------------------------------------------------------------
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
            register_runner(self.store, self.owner)
        if now >= self._next_reap:
            self.reap()
        while True:
            try:
                future = self._done.get_nowait()
            except queue.Empty:
                break
            self._collect(future)
        with self._lock:
            runs = list(self.runs.values())
        check_queued = now - self._last_queued_check > 0.2
        if check_queued:
            self._last_queued_check = now
        for run in runs:
            if run.attempt or check_queued:  # queued ones only need a look now and then
                self._supervise(run, now)
        self._fill(runs)

    def _prepare(self, run: Run, record: TaskRecord) -> None:
        """Build the units of a claimed task and queue those not finished yet."""
        units = run.units or build_units(record.kind, record.spec)  # adopted: from the spec
        done = self.store.units(run.task_id)
        run.prepare(attempt=record.attempt, started_at=record.started_at, units=units, done=done)

    def _fill(self, runs: list[Run]) -> None:
        # Up to LOOKAHEAD units per worker inside the executor: a worker that finishes a
        # unit starts the next at once instead of idling until this thread hands it one
        # (a unit of a cancelled task that starts anyway stops at its first checkpoint).
        # A new task is claimed only while a worker would otherwise be idle.
        workers = self.backend.max_workers
        free = LOOKAHEAD * workers - len(self._futures)
        for run in runs:
            if free <= 0:
                return
            if run.stop_status is not None:
                continue
            if run.attempt == 0:
                if len(self._futures) >= workers:
                    continue  # claimed runs further on may still fill the lookahead
                blocked = self._dependencies.state(run.task_id)
                if blocked == "wait":
                    continue
                record = self.store.claim(run.task_id, self.owner)
                if record is None:  # cancelled while queued, or adopted elsewhere
                    self._forget(run)
                    continue
                try:
                    self._prepare(run, record)
                except Exception as exc:
                    self._stop_run(run, "failed", _error_of(exc))
                    continue
                if blocked:  # a task it waited for failed or was cancelled
                    self._stop_run(run, "failed", error_record("DependencyError", blocked))
                    continue
            while free > 0 and run.pending:
                index = run.pending[0]
                store_dir = None if self.remote else self.store.directory
                unit = run.unit(index, store_dir=store_dir, nice=self.backend.nice)
                if not self._submit(run, index, execute, unit):
                    return
                run.pending.popleft()
                free -= 1

    def _submit(self, run: Run, index: int, fn, *args) -> bool:
        """Hand one unit (or the FINALIZE step) to the executor; False if it is broken."""
        generation = self.backend.generation
        try:
            future = self.backend.submit(fn, *args)
        except (cf.BrokenExecutor, RuntimeError) as exc:  # broken, or shut down
            if not self.backend.restart():  # the caller's executor: vzb cannot replace it
                self._stop_run(run, "failed", _error_of(exc))
            return False
        self._futures[future] = (run.task_id, index, run.attempt, generation)
        run.in_flight.add(index)
        future.add_done_callback(self._on_done)
        return True

    def _on_done(self, future: cf.Future) -> None:
        self._done.put(future)
        self._wake.set()

    def _broken(self, generation: int) -> None:
        """A future of pool ``generation`` failed with ``BrokenExecutor``: replace it."""
        if generation == self.backend.generation:
            self.backend.restart()

    def _collect(self, future: cf.Future) -> None:
        task_id, index, attempt, generation = self._futures.pop(future)
        run = self.runs.get(task_id)
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
                self._broken(generation)  # _supervise submits it again
            elif not isinstance(exc, Cancelled):
                self._finish(run, "failed", error=_error_of(exc))
            return
        if exc is None:
            self._keep_output(run, index, future.result())
        elif isinstance(exc, Cancelled) or run.stop_status is not None:
            return
        elif isinstance(exc, cf.BrokenExecutor):
            self._requeue(run, index, exc, generation)
        else:
            self._stop_run(run, "failed", _error_of(exc, unit=index))

    def _keep_output(self, run: Run, index: int, answer: dict) -> None:
        if self.remote:  # the worker could not write the store: this process does
            unit = {"task_id": run.task_id, "attempt": run.attempt, "index": index,
                    "kwargs": run.units[index].get("kwargs")}  # fmt: skip
            try:
                answer = record_output(self.store, unit, answer["output"])
            except Exception as err:
                self._stop_run(run, "failed", _error_of(err))
                return
        if "table" in answer:
            run.tables[index] = answer["table"]

    def _requeue(self, run: Run, index: int, exc: BaseException, generation: int) -> None:
        """A unit's worker died: run it again, unless it died too often."""
        killed = generation in self._killed  # by us, to stop another task's unit
        if not killed:
            self._broken(generation)
        try:
            note = run.requeue(index, type(exc).__name__, killed=killed)
        except TooManyDeaths as err:
            self._stop_run(run, "failed", error_record(type(exc).__name__, str(err), _tb(exc)))
            return
        if not killed:
            self.store.update(run.task_id, {"attempt": run.attempt}, message=note)

    def _stop_run(self, run: Run, status: str, error: dict) -> None:
        """Start stopping a task: no more units; in-flight units see the stop reason."""
        if run.stop(status, error, time.time()) and run.attempt:
            self.store.update(
                run.task_id, {"attempt": run.attempt}, stop_reason=error["message"],
                message=f"stopping: {error['message']}",
            )  # fmt: skip

    # -- supervision ----------------------------------------------------------------------
    def _supervise(self, run: Run, now: float) -> None:
        record = self.store.get(run.task_id)
        if run.attempt == 0:
            if record.status in TERMINAL_STATES or record.owner != self.owner:
                self._forget(run)
            return
        if record.status in TERMINAL_STATES or record.attempt != run.attempt:
            run.pending.clear()
            if not run.in_flight:
                self._forget(run)
            return
        if run.stop_status is None:
            if record.cancel_requested:
                reason = record.stop_reason or "Task cancelled by user"
                self._stop_run(run, "cancelled", error_record("Cancelled", reason))
            elif run.started_at is not None and now - run.started_at > self.time_limit:
                message = f"timed out after {fmt_seconds(self.time_limit)}"
                self._stop_run(run, "failed", error_record("TimeoutError", message))
        if run.stop_status is None:
            if not run.pending and not run.in_flight:
                self._complete(run)
            return
        if run.in_flight and not run.killed and now - run.stop_since > self.grace_period:
            self._kill(run, record)
        if not run.in_flight:
            error = run.stop_error
            self.store.finish(
                run.task_id, run.stop_status, attempt=run.attempt, error=error,
                message=error["message"],
            )  # fmt: skip
            self._forget(run)

    def _kill(self, run: Run, record: TaskRecord) -> None:
        """Units of a stopping task ignored the stop for the grace period: kill them.

        Only the worker processes running them, by the pids they reported, and only in
        vzb's own pool (``can_kill``); the pool is then replaced and the units of other
        tasks that it took down are re-queued. A backend vzb may not kill in: stop
        waiting for the units (their late writes are dropped). A unit that has not
        started yet stops at its first checkpoint: nothing to kill.
        """
        if not self.backend.can_kill:
            run.in_flight.clear()
            return
        pids = run.pids(record)
        if not pids:
            return
        run.killed = True
        self._killed.add(self.backend.generation)
        self.backend.kill(pids)
        self.store.update(
            run.task_id, {"attempt": run.attempt},
            message=f"killed {len(pids)} worker(s): units ignored the stop for "
            f"{fmt_seconds(self.grace_period)}",
        )  # fmt: skip

    def _complete(self, run: Run) -> None:
        """All units done: combine them and finish.

        Here when that is light: a sweep's tables are mostly in memory already, custom
        units and one-symbol backtests have nothing to load, and remote workers cannot
        reach the disk anyway. A multi-symbol backtest is combined in a worker (it loads
        every symbol's curves), and so is a walk-forward (it backtests each fold's chosen
        set and computes the overfitting statistics), so that the notebook kernel stays
        responsive.
        """
        if run.missing(self.store.units(run.task_id)):  # a stale unit write was dropped
            return
        heavy = run.kind == "walk_forward" or (run.kind == "backtest" and len(run.units) > 1)
        if self.remote or not heavy:
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
        self._submit(run, FINALIZE, finalize, self.store.directory, run.task_id, run.attempt)

    def _finish(self, run: Run, status: str, *, result=None, error=None) -> bool:
        """Write the task's terminal state; True if it was written as ``status``.

        A task that completed although units had to be run again says so in its message
        ("completed; unit 0 re-queued: its worker process died ...").
        """
        message = run.completion_message() if status == "completed" else None
        record = self.store.finish(
            run.task_id, status, attempt=run.attempt, result=result, error=error, message=message
        )
        self._forget(run)
        return record is not None and record.status == status

    def _keep(self, task_id: str, value) -> None:
        """Hold a finished sweep's table for ``JobRunner.result`` (the latest few only)."""
        with self._lock:
            self._results[task_id] = value
            while len(self._results) > KEEP_RESULTS:
                self._results.pop(next(iter(self._results)))

    def _forget(self, run: Run) -> None:
        with self._finished:
            self.runs.pop(run.task_id, None)
            self._finished.notify_all()


def _tb(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


def _error_of(exc: BaseException, unit: int | None = None) -> dict:
    where = f" in unit {unit}" if unit is not None else ""
    return error_record(type(exc).__name__, f"{exc}{where}", _tb(exc))

"""The task store: every task's state, on disk, shared by every process on this machine.

One :class:`diskcache.Cache` with no eviction holds plain-data records. Every state change
is a compare-and-set inside ``cache.transact()``, so two processes (two notebooks, a
runner and its workers) never overwrite each other's changes. Terminal states
(``completed``, ``failed``, ``cancelled``) never change again: the first terminal write
wins.

Keys in the cache:

``task:<id>``
    the task record (a dict, see :data:`TASK_FIELDS`).
``unit:<id>:<index>``
    a finished work unit: where its output lies and a small summary.
``runner:<owner>``
    a live runner: pid, host and heartbeat time (used to reap orphaned tasks).
``version``
    a counter bumped by every write: poll it to learn cheaply that something changed.

>>> import tempfile
>>> store = TaskStore(tempfile.mkdtemp())
>>> record = store.create("backtest", {"strategy": "volume_zone_breakout"}, units_total=2)
>>> store.get(record["task_id"])["status"]
'queued'
>>> store.request_cancel(record["task_id"])["status"]
'cancelled'
>>> store.close()
"""

from __future__ import annotations

import os
import shutil
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import diskcache

from vzb.errors import TaskNotFound, TaskStateError

__all__ = [
    "ACTIVE_STATES",
    "STATES",
    "TASK_FIELDS",
    "TERMINAL_STATES",
    "TaskStore",
    "error_record",
    "new_task_id",
]

STATES = ("queued", "running", "completed", "failed", "cancelled")
TERMINAL_STATES = frozenset({"completed", "failed", "cancelled"})
ACTIVE_STATES = frozenset({"queued", "running"})

#: The fields of a task record, in display order.
TASK_FIELDS = (
    "task_id",
    "kind",
    "spec",
    "status",
    "progress",
    "message",
    "units_done",
    "units_total",
    "created_at",
    "started_at",
    "finished_at",
    "attempt",
    "worker_pid",
    "heartbeat_at",
    "cancel_requested",
    "result",
    "error",
    "owner",
    "stop_reason",
    "unit_progress",
)

_TASK = "task:"
_UNIT = "unit:"
_RUNNER = "runner:"
_VERSION = "version"


def new_task_id() -> str:
    """Return a new task id: sortable by creation time, unique across processes.

    >>> a, b = new_task_id(), new_task_id()
    >>> a != b and len(a) == 20
    True
    """
    return f"{time.time_ns() // 1_000_000:013x}-{uuid.uuid4().hex[:6]}"


def error_record(kind: str, message: str, traceback: str = "") -> dict:
    """A task's ``error``: plain data naming the exception type, its message and traceback.

    >>> error_record("Cancelled", "Task cancelled by user")
    {'type': 'Cancelled', 'message': 'Task cancelled by user', 'traceback': ''}
    """
    return {"type": kind, "message": message, "traceback": traceback}


class TaskStore:
    """Task records in a directory: the single source of truth for background jobs.

    Parameters
    ----------
    directory : str or os.PathLike
        Where the store lives (created if missing). Local disk only, not NFS.

    Notes
    -----
    Open a store in each process from its directory; pickling a ``TaskStore`` carries only
    the directory, so it is safe to send one to a worker process. Nothing expires by
    itself: remove old tasks with :meth:`purge`.

    Examples
    --------
    >>> import tempfile
    >>> store = TaskStore(tempfile.mkdtemp())
    >>> task = store.create("sweep", {"strategy": "volume_zone_breakout"}, units_total=4)
    >>> [t["task_id"] for t in store.tasks(status="queued")] == [task["task_id"]]
    True
    >>> v = store.version
    >>> _ = store.claim(task["task_id"], owner=task["owner"])
    >>> store.version > v
    True
    """

    def __init__(self, directory: str | os.PathLike):
        self.directory = os.path.abspath(os.fspath(directory))
        os.makedirs(self.directory, exist_ok=True)
        self._cache = diskcache.Cache(self.directory, eviction_policy="none")
        if self._cache.get(_VERSION) is None:
            self._cache.add(_VERSION, 0)

    # -- plumbing -------------------------------------------------------------------------
    def __getstate__(self) -> dict:
        return {"directory": self.directory}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["directory"])

    def __repr__(self) -> str:
        return f"TaskStore({self.directory!r})"

    def close(self) -> None:
        """Close the database connection (the store reopens it on next use)."""
        self._cache.close()

    @property
    def cache(self) -> diskcache.Cache:
        """The underlying :class:`diskcache.Cache` (for advanced use only)."""
        return self._cache

    @property
    def version(self) -> int:
        """A counter bumped by every write: compare two readings to see if anything changed."""
        return int(self._cache.get(_VERSION, 0))

    def _bump(self) -> None:
        self._cache.incr(_VERSION, 1, default=0)

    def result_dir(self, task_id: str) -> str:
        """Directory holding a task's Parquet outputs."""
        return os.path.join(self.directory, "results", task_id)

    # -- reading --------------------------------------------------------------------------
    def get(self, task_id: str) -> dict:
        """Return the record of task ``task_id``.

        Raises
        ------
        TaskNotFound
            No task with this id in the store.
        """
        record = self._cache.get(_TASK + str(task_id))
        if record is None:
            raise TaskNotFound(task_id)
        return record

    def tasks(
        self,
        status: str | Iterable[str] | None = None,
        strategy: str | None = None,
        since: float | None = None,
    ) -> list[dict]:
        """Return task records, newest first, optionally filtered.

        Parameters
        ----------
        status : str or iterable of str, optional
            Keep tasks in this state (or these states).
        strategy : str, optional
            Keep tasks of this strategy.
        since : float, optional
            Keep tasks created at or after this epoch time (seconds).
        """
        if isinstance(status, str):
            status = {status}
        elif status is not None:
            status = set(status)
        if status is not None and not status <= set(STATES):
            raise TaskStateError(
                f"Unknown task status in status={sorted(status)!r}; use one of {list(STATES)}"
            )
        records = []
        for key in self._cache.iterkeys():
            if not (isinstance(key, str) and key.startswith(_TASK)):
                continue
            record = self._cache.get(key)
            if record is None:
                continue
            if status is not None and record["status"] not in status:
                continue
            if strategy is not None and record["spec"].get("strategy") != strategy:
                continue
            if since is not None and record["created_at"] < since:
                continue
            records.append(record)
        records.sort(key=lambda r: (r["created_at"], r["task_id"]), reverse=True)
        return records

    def units(self, task_id: str) -> dict[int, dict]:
        """Return the finished units of a task: ``{unit index: unit record}``."""
        record = self.get(task_id)
        found = {}
        for index in range(record["units_total"]):
            unit = self._cache.get(f"{_UNIT}{task_id}:{index}")
            if unit is not None:
                found[index] = unit
        return found

    # -- writing --------------------------------------------------------------------------
    def create(
        self,
        kind: str,
        spec: Mapping[str, Any],
        *,
        units_total: int,
        owner: str | None = None,
        task_id: str | None = None,
        message: str = "queued",
    ) -> dict:
        """Store a new queued task and return its record.

        ``spec`` must be plain data (dicts, lists, strings, numbers, None).
        """
        task_id = task_id or new_task_id()
        record = {
            "task_id": task_id,
            "kind": kind,
            "spec": dict(spec),
            "status": "queued",
            "progress": 0.0,
            "message": message,
            "units_done": 0,
            "units_total": int(units_total),
            "created_at": time.time(),
            "started_at": None,
            "finished_at": None,
            "attempt": 0,
            "worker_pid": None,
            "heartbeat_at": None,
            "cancel_requested": False,
            "result": None,
            "error": None,
            "owner": owner,
            "stop_reason": None,
            "unit_progress": {},
        }
        with self._cache.transact(retry=True):
            if not self._cache.add(_TASK + task_id, record):
                raise TaskStateError(f"Task {task_id} already exists; use a new task id")
            self._bump()
        return record

    def _change(
        self, task_id: str, change: Callable[[dict], bool], *, missing_ok: bool = False
    ) -> dict | None:
        """Read-modify-write one task record in a transaction (the compare-and-set).

        ``change(record)`` edits the record in place and returns True to write it, False
        to leave the store untouched. Returns the record written, or None when nothing
        was (``change`` said no, or the task is missing and ``missing_ok``).
        """
        key = _TASK + str(task_id)
        with self._cache.transact(retry=True):
            record = self._cache.get(key)
            if record is None:
                if missing_ok:
                    return None
                raise TaskNotFound(task_id)
            if not change(record):
                return None
            self._cache.set(key, record)
            self._bump()
        return record

    def update(
        self, task_id: str, expect: Mapping[str, Any] | None = None, **fields
    ) -> dict | None:
        """Compare-and-set: change ``fields`` only if the record matches ``expect``.

        Returns the new record, or None when a field differed from ``expect`` (nothing is
        written then). A terminal task never changes.
        """

        def change(record: dict) -> bool:
            if record["status"] in TERMINAL_STATES:
                return False
            if expect and any(record.get(k) != v for k, v in expect.items()):
                return False
            record.update(fields)
            return True

        return self._change(task_id, change)

    def claim(self, task_id: str, owner: str) -> dict | None:
        """Move a queued task owned by ``owner`` to running (attempt + 1), or return None."""

        def change(record: dict) -> bool:
            if record["status"] != "queued" or record["owner"] != owner:
                return False
            now = time.time()
            record.update(
                status="running",
                attempt=record["attempt"] + 1,
                started_at=record["started_at"] or now,
                heartbeat_at=now,
                message="starting",
            )
            return True

        return self._change(task_id, change)

    def adopt(self, task_id: str, *, old_owner: str | None, attempt: int, owner: str, message: str):
        """Take over an orphaned task: new owner and attempt + 1 (fences the old workers).

        Only succeeds if the task is still active, owned by ``old_owner`` at ``attempt``.
        Returns the new record or None.
        """

        def change(record: dict) -> bool:
            if (
                record["status"] not in ACTIVE_STATES
                or record["owner"] != old_owner
                or record["attempt"] != attempt
            ):
                return False
            record.update(owner=owner, message=message, unit_progress={})
            if record["status"] == "running":
                record["attempt"] += 1
            return True

        return self._change(task_id, change)

    def request_cancel(self, task_id: str, reason: str = "Task cancelled by user") -> dict:
        """Cancel a task: a queued task at once, a running task through its cancel flag.

        Returns the new record. A running task stops at its units' next checkpoint and
        then ends ``cancelled`` (unless it had already finished).

        Raises
        ------
        TaskNotFound
            No task with this id.
        TaskStateError
            The task already finished (completed, failed or cancelled).
        """
        seen = {}

        def change(record: dict) -> bool:
            seen["record"] = record
            status = record["status"]
            if status in TERMINAL_STATES:
                raise TaskStateError(
                    f"Cannot cancel {status} task {task_id}. "
                    "Only queued or running tasks can be cancelled."
                )
            if status == "queued":
                record.update(
                    status="cancelled",
                    finished_at=time.time(),
                    message=reason,
                    cancel_requested=True,
                    error=error_record("Cancelled", reason),
                    unit_progress={},
                )
                return True
            if record["cancel_requested"]:
                return False  # asked already: the first reason stays
            record.update(cancel_requested=True, stop_reason=reason, message="cancelling")
            return True

        return self._change(task_id, change) or seen["record"]

    def finish(
        self,
        task_id: str,
        status: str,
        *,
        attempt: int | None = None,
        result: Mapping | None = None,
        error: Mapping | None = None,
        message: str | None = None,
    ) -> dict | None:
        """Write a terminal state, if the task is still active (first terminal write wins).

        ``attempt`` fences the write: it is dropped if the task moved on to another
        attempt. Completing a task whose cancel was requested writes ``cancelled``
        instead, so a successful ``request_cancel`` always ends in ``cancelled``.
        Returns the final record, or None when the write was dropped.
        """
        if status not in TERMINAL_STATES:
            raise TaskStateError(f"finish() takes a terminal status, not {status!r}")

        def change(record: dict) -> bool:
            if record["status"] in TERMINAL_STATES:
                return False
            if attempt is not None and record["attempt"] != attempt:
                return False
            final, outcome, problem, text = status, result, error, message
            if final == "completed" and record["cancel_requested"]:
                text = record["stop_reason"] or "Task cancelled by user"
                final, outcome, problem = "cancelled", None, error_record("Cancelled", text)
            now = time.time()
            record.update(
                status=final,
                finished_at=now,
                heartbeat_at=now,
                result=dict(outcome) if outcome is not None else None,
                error=dict(problem) if problem is not None else None,
                unit_progress={},
            )
            if final == "completed":
                record["progress"] = 1.0
                record["message"] = text or "completed"
            else:
                record["message"] = text or (problem or {}).get("message") or final
            return True

        return self._change(task_id, change)

    def report(
        self,
        task_id: str,
        attempt: int,
        unit: int,
        fraction: float,
        message: str | None = None,
        pid: int | None = None,
    ) -> dict | None:
        """A worker's heartbeat and progress for one unit, fenced by ``attempt``.

        Returns the new record, or None when the write was stale (task finished, or
        another attempt owns it): the worker should stop then.
        """

        def change(record: dict) -> bool:
            if record["status"] != "running" or record["attempt"] != attempt:
                return False
            progress = dict(record["unit_progress"])
            progress[str(unit)] = min(max(float(fraction), 0.0), 1.0)
            _set_progress(record, progress)
            if pid is not None:
                record["worker_pid"] = pid
            if message is not None and not record["cancel_requested"]:
                record["message"] = message
            return True

        return self._change(task_id, change, missing_ok=True)

    def finish_unit(
        self, task_id: str, attempt: int, unit: int, output: Mapping[str, Any]
    ) -> dict | None:
        """Record a finished unit (its output paths and summary), fenced by ``attempt``.

        Returns the new task record, or None when the write was stale.
        """
        unit_key = f"{_UNIT}{task_id}:{unit}"

        def change(record: dict) -> bool:
            if record["status"] != "running" or record["attempt"] != attempt:
                return False
            progress = dict(record["unit_progress"])
            progress.pop(str(unit), None)
            if self._cache.get(unit_key) is None:  # in the same transaction
                self._cache.set(unit_key, dict(output, attempt=attempt))
                record["units_done"] += 1
            _set_progress(record, progress)
            if not record["cancel_requested"]:
                record["message"] = f"{record['units_done']}/{record['units_total']} units done"
            return True

        return self._change(task_id, change, missing_ok=True)

    def should_stop(self, task_id: str, attempt: int) -> str | None:
        """Why a unit of ``task_id`` at ``attempt`` should stop now, or None to go on."""
        record = self._cache.get(_TASK + task_id)
        if record is None:
            return f"Task not found: {task_id}"
        if record["status"] != "running":
            return f"task is {record['status']}"
        if record["attempt"] != attempt:
            return f"attempt {attempt} was superseded by attempt {record['attempt']}"
        if record["cancel_requested"] or record["stop_reason"]:
            return record["stop_reason"] or "Task cancelled by user"
        return None

    # -- runners --------------------------------------------------------------------------
    def register_runner(self, owner: str, pid: int | None = None) -> None:
        """Record that runner ``owner`` is alive (call again as a heartbeat)."""
        self._cache.set(
            _RUNNER + owner,
            {"pid": pid or os.getpid(), "host": socket.gethostname(), "heartbeat_at": time.time()},
        )

    def unregister_runner(self, owner: str) -> None:
        """Forget runner ``owner`` (its remaining tasks become orphans to reap)."""
        self._cache.delete(_RUNNER + owner)
        self._bump()

    def runner_alive(self, owner: str | None, stale_after: float = 60.0) -> bool:
        """Whether runner ``owner`` still runs: registered, its process alive, heartbeat fresh."""
        if owner is None:
            return False
        info = self._cache.get(_RUNNER + owner)
        if info is None:
            return False
        if time.time() - info["heartbeat_at"] > stale_after:
            return False
        if info["host"] == socket.gethostname():
            try:
                os.kill(info["pid"], 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                return True
        return True

    # -- housekeeping ---------------------------------------------------------------------
    def purge(
        self,
        status: str | Iterable[str] | None = None,
        *,
        older_than: float | None = None,
        task_ids: Iterable[str] | None = None,
    ) -> int:
        """Delete finished tasks (records, unit records and Parquet files); return how many.

        Only terminal tasks are deleted; active ones are kept whatever the filters say.

        Parameters
        ----------
        status : str or iterable of str, optional
            Only tasks in these terminal states (default: all terminal states).
        older_than : float, optional
            Only tasks that finished more than this many seconds ago.
        task_ids : iterable of str, optional
            Only these tasks.

        Examples
        --------
        >>> import tempfile
        >>> store = TaskStore(tempfile.mkdtemp())
        >>> t = store.create("backtest", {}, units_total=1)
        >>> _ = store.request_cancel(t["task_id"])
        >>> store.purge()
        1
        >>> store.tasks()
        []
        """
        wanted = set(
            TERMINAL_STATES if status is None else ([status] if isinstance(status, str) else status)
        )
        ids = set(task_ids) if task_ids is not None else None
        now = time.time()
        removed = 0
        for record in self.tasks(status=wanted & TERMINAL_STATES):
            if ids is not None and record["task_id"] not in ids:
                continue
            if older_than is not None and now - (record["finished_at"] or now) < older_than:
                continue
            task_id = record["task_id"]
            with self._cache.transact(retry=True):
                for index in range(record["units_total"]):
                    self._cache.delete(f"{_UNIT}{task_id}:{index}")
                self._cache.delete(_TASK + task_id)
                self._bump()
            shutil.rmtree(self.result_dir(task_id), ignore_errors=True)
            removed += 1
        return removed


def _set_progress(record: dict, unit_progress: dict) -> None:
    """Progress = (finished units + fractions of running ones) / units; a heartbeat too."""
    record["unit_progress"] = unit_progress
    total = max(record["units_total"], 1)
    record["progress"] = min((record["units_done"] + sum(unit_progress.values())) / total, 1.0)
    record["heartbeat_at"] = time.time()

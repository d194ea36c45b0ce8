"""The task store: every task's state, on disk, shared by every process on this machine.

One :class:`diskcache.Cache` with no eviction holds plain-data records. Every state change
is a compare-and-set inside ``cache.transact()`` (the changes themselves are the pure
functions of :mod:`vzb.jobs.record`), so two processes (two notebooks, a runner and its
workers) never overwrite each other's changes. Terminal states (``completed``,
``failed``, ``cancelled``) never change again: the first terminal write wins.

Keys in the cache:

``task:<id>``
    the task record (a plain dict of :data:`~vzb.jobs.record.TASK_FIELDS`; read as a
    :class:`~vzb.jobs.record.TaskRecord`).
``unit:<id>:<index>``
    a finished work unit: where its output lies and a small summary.
``runner:<owner>``
    a live runner: pid, host and heartbeat time (see :mod:`vzb.jobs.reaping`).
``version``
    a counter bumped by every write: poll it to learn cheaply that something changed.

>>> import tempfile
>>> store = TaskStore(tempfile.mkdtemp())
>>> record = store.create("backtest", {"strategy": "my_strategy"}, units_total=2)
>>> store.get(record.task_id)["status"]
'queued'
>>> store.request_cancel(record.task_id).status
'cancelled'
>>> store.close()
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import diskcache

from vzb._home import move_paths
from vzb.errors import TaskNotFound, TaskStateError
from vzb.jobs import record as states
from vzb.jobs.record import STATES, TERMINAL_STATES, TaskRecord, new_task_id

# the states are the record's; kept importable from here, where readers look for them
__all__ = ["STATES", "TERMINAL_STATES", "TaskStore"]

_TASK = "task:"
_UNIT = "unit:"
_VERSION = "version"


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
    >>> task = store.create("sweep", {"strategy": "my_strategy"}, units_total=4)
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
    def get(self, task_id: str) -> TaskRecord:
        """Return the record of task ``task_id``.

        Raises
        ------
        TaskNotFound
            No task with this id in the store.
        """
        record = self._cache.get(_TASK + str(task_id))
        if record is None:
            raise TaskNotFound(task_id)
        return TaskRecord.from_dict(record)

    def tasks(
        self,
        status: str | Iterable[str] | None = None,
        strategy: str | None = None,
        since: float | None = None,
    ) -> list[TaskRecord]:
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
        status = states.state_set(status)
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
            records.append(TaskRecord.from_dict(record))
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
    ) -> TaskRecord:
        """Store a new queued task and return its record.

        ``spec`` must be plain data (dicts, lists, strings, numbers, None).
        """
        task_id = task_id or new_task_id()
        record = states.new_record(
            task_id, kind, spec, units_total=units_total, owner=owner, message=message
        )
        with self._cache.transact(retry=True):
            if not self._cache.add(_TASK + task_id, record):
                raise TaskStateError(f"Task {task_id} already exists; use a new task id")
            self._bump()
        return TaskRecord.from_dict(record)

    def _change(
        self, task_id: str, change: Callable, *, missing_ok: bool = False, **arguments
    ) -> TaskRecord | None:
        """Read-modify-write one task record in a transaction (the compare-and-set).

        ``change(record, **arguments)`` (one of the state changes of
        :mod:`vzb.jobs.record`) edits the stored dict in place and returns True to write
        it, False to leave the store untouched. Returns the record written, or None when
        nothing was (``change`` said no, or the task is missing and ``missing_ok``).
        """
        key = _TASK + str(task_id)
        with self._cache.transact(retry=True):
            record = self._cache.get(key)
            if record is None:
                if missing_ok:
                    return None
                raise TaskNotFound(task_id)
            if not change(record, **arguments):
                return None
            self._cache.set(key, record)
            self._bump()
        return TaskRecord.from_dict(record)

    def update(
        self, task_id: str, expect: Mapping[str, Any] | None = None, **fields
    ) -> TaskRecord | None:
        """Compare-and-set: change ``fields`` only if the record matches ``expect``.

        Returns the new record, or None when a field differed from ``expect`` (nothing is
        written then). A terminal task never changes.
        """

        return self._change(task_id, states.update, expect=expect, fields=fields)

    def claim(self, task_id: str, owner: str | None) -> TaskRecord | None:
        """Move a queued task owned by ``owner`` to running (attempt + 1), or return None."""
        return self._change(task_id, states.claim, owner=owner)

    def adopt(
        self, task_id: str, *, old_owner: str | None, attempt: int, owner: str, message: str
    ) -> TaskRecord | None:
        """Take over an orphaned task: new owner and attempt + 1 (fences the old workers).

        Only succeeds if the task is still active, owned by ``old_owner`` at ``attempt``.
        Returns the new record or None.
        """
        return self._change(
            task_id, states.adopt, old_owner=old_owner, attempt=attempt, owner=owner,
            message=message,
        )  # fmt: skip

    def request_cancel(self, task_id: str, reason: str = "Task cancelled by user") -> TaskRecord:
        """Cancel a task: a queued task at once, a running task through its cancel flag.

        Returns the new record. A running task stops at its units' next checkpoint and
        then ends ``cancelled`` (unless it had already finished).

        Raises
        ------
        TaskNotFound
            No task with this id.
        TaskStateError
            The task already finished (completed, failed or cancelled), or is finishing
            (all units done: too late to cancel).
        """
        changed = self._change(task_id, states.cancel, reason=reason)
        return changed or self.get(task_id)  # asked already: the first reason stays

    def finish(
        self,
        task_id: str,
        status: str,
        *,
        attempt: int | None = None,
        result: Mapping | None = None,
        error: Mapping | None = None,
        message: str | None = None,
    ) -> TaskRecord | None:
        """Write a terminal state, if the task is still active (first terminal write wins).

        ``attempt`` fences the write: it is dropped if the task moved on to another
        attempt. Completing a task whose cancel was requested writes ``cancelled``
        instead, so a successful ``request_cancel`` always ends in ``cancelled``.
        Returns the final record, or None when the write was dropped.
        """
        return self._change(
            task_id, states.finish, status=status, attempt=attempt, result=result,
            error=error, message=message,
        )  # fmt: skip

    def report(
        self,
        task_id: str,
        attempt: int,
        unit: int,
        fraction: float,
        message: str | None = None,
        pid: int | None = None,
    ) -> TaskRecord | None:
        """A worker's heartbeat and progress for one unit, fenced by ``attempt``.

        ``pid``: the worker process running the unit (kept per unit in ``unit_pids``:
        the runner kills exactly those when a unit ignores a stop). Returns the new
        record, or None when the write was stale (task finished, or another attempt
        owns it): the worker should stop then.
        """
        return self._change(
            task_id, states.report, missing_ok=True, attempt=attempt, unit=unit, fraction=fraction,
            message=message, pid=pid,
        )  # fmt: skip

    def finish_unit(
        self, task_id: str, attempt: int, unit: int, output: Mapping[str, Any]
    ) -> TaskRecord | None:
        """Record a finished unit (its output paths and summary), fenced by ``attempt``.

        Returns the new task record, or None when the write was stale.
        """
        unit_key = f"{_UNIT}{task_id}:{unit}"

        def change(record: dict) -> bool:
            first = self._cache.get(unit_key) is None  # in the same transaction
            if not states.finish_unit(record, attempt, unit, first, output.get("label")):
                return False
            if first:
                self._cache.set(unit_key, dict(output, attempt=attempt))
            return True

        return self._change(task_id, change, missing_ok=True)

    def should_stop(self, task_id: str, attempt: int) -> str | None:
        """Why a unit of ``task_id`` at ``attempt`` should stop now, or None to go on."""
        return states.stop_reason(self._cache.get(_TASK + task_id), task_id, attempt)

    # -- housekeeping ---------------------------------------------------------------------
    def relocate(self, old: str | os.PathLike) -> int:
        """Point paths into the folder ``old`` (task and unit results) into this store's
        folder: a store restored from a backup of ``old``. Returns how many records moved."""
        old, moved = os.path.abspath(os.fspath(old)), 0
        with self._cache.transact(retry=True):
            for key in [k for k in self._cache.iterkeys() if str(k).startswith((_TASK, _UNIT))]:
                value = self._cache.get(key)
                if (new := move_paths(value, old, self.directory)) != value:
                    self._cache.set(key, new)
                    moved += 1
            self._bump()
        return moved

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
        >>> _ = store.request_cancel(store.create("backtest", {}, units_total=1).task_id)
        >>> store.purge(), store.tasks()
        (1, [])
        """
        wanted = TERMINAL_STATES if status is None else states.state_set(status) & TERMINAL_STATES
        ids = set(task_ids) if task_ids is not None else None
        now = time.time()
        removed = 0
        for record in self.tasks(status=wanted):
            if ids is not None and record.task_id not in ids:
                continue
            if older_than is not None and now - (record.finished_at or now) < older_than:
                continue
            task_id = record.task_id
            with self._cache.transact(retry=True):
                for index in range(record.units_total):
                    self._cache.delete(f"{_UNIT}{task_id}:{index}")
                self._cache.delete(_TASK + task_id)
                self._bump()
            shutil.rmtree(self.result_dir(task_id), ignore_errors=True)
            removed += 1
        return removed

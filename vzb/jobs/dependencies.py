"""Tasks that wait for others: ``runner.submit(..., after=download)``.

A task whose spec names ``after`` (task ids) stays queued until each of them is
completed; if one ends failed or cancelled, the waiting task fails and its message says
which and why. The dispatcher asks :class:`Dependencies` before it claims a task.

>>> import tempfile
>>> from vzb.jobs.store import TaskStore
>>> store = TaskStore(tempfile.mkdtemp())
>>> first = store.create("units", {}, units_total=1, owner="me").task_id
>>> second = store.create("units", {"after": [first]}, units_total=1, owner="me").task_id
>>> Dependencies(store).state(second)
'wait'
>>> store.get(second).message == f"waiting for task {first}"
True
>>> _ = store.request_cancel(first)
>>> Dependencies(store).state(second)  # doctest: +ELLIPSIS
'it waited for task ... which was cancelled: ...'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from vzb.errors import ParameterError, TaskNotFound
from vzb.jobs.record import TERMINAL_STATES
from vzb.jobs.store import TaskStore

__all__ = ["Dependencies", "task_ids"]


def task_ids(after: Any) -> list[str]:
    """The task ids in ``after``: a Task, a task id, or several of either.

    >>> task_ids("abc"), task_ids(None)
    (['abc'], [])
    """
    if after is None:
        return []
    items: Iterable = [after] if isinstance(after, str) or hasattr(after, "task_id") else after
    ids = []
    for item in items:
        ident = getattr(item, "task_id", item)
        if not isinstance(ident, str):
            raise ParameterError(f"after={after!r}: give a Task, a task id, or a list of them")
        ids.append(ident)
    return ids


class Dependencies:
    """What the queued tasks of a store wait for (each task's ``after`` read once)."""

    def __init__(self, store: TaskStore):
        self.store = store
        self._after: dict[str, tuple[str, ...]] = {}
        self._told: dict[str, str] = {}  # task id -> the task its message says it waits for

    def state(self, task_id: str) -> str | None:
        """None: free to start; ``"wait"``: a task it waits for is unfinished; else why
        it cannot run (a task it waits for failed or was cancelled)."""
        after = self._after.get(task_id)
        if after is None:
            after = self._after[task_id] = tuple(self.store.get(task_id).spec.get("after") or ())
        for other in after:
            try:
                record = self.store.get(other)
            except TaskNotFound:
                return f"it waited for task {other}, which is not in the store"
            if record.status not in TERMINAL_STATES:
                if self._told.get(task_id) != other:  # the panel shows what it waits for
                    self._told[task_id] = other
                    note = f"waiting for task {other}"
                    self.store.update(task_id, {"status": "queued"}, message=note)
                return "wait"
            if record.status != "completed":
                return f"it waited for task {other}, which was {record.status}: {record.message}"
        return None

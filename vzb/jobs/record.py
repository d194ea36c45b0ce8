"""The task record: its fields, its typed view, and the state changes a store applies.

On disk a task is a plain dict (see :data:`TASK_FIELDS`); readers get a
:class:`TaskRecord`, a frozen dataclass that also reads like that dict
(``record["status"]``, ``record.get("error")``, ``dict(record)``).

The state changes (:func:`claim`, :func:`adopt`, :func:`cancel`, :func:`finish`,
:func:`report`, :func:`finish_unit`) are pure functions on the stored dict: each edits it
in place and returns True to have it written, False to leave the store untouched. The
:class:`~vzb.jobs.store.TaskStore` runs them inside one transaction each (the
compare-and-set), so they hold the whole state machine::

    queued -> running -> completed | failed | cancelled,   queued -> cancelled

and terminal states never change again.

>>> record = new_record("t1", "units", {"function": "m:f"}, units_total=2, owner="me")
>>> claim(record, owner="me"), record["status"], record["attempt"]
(True, 'running', 1)
>>> report(record, attempt=1, unit=0, fraction=0.5, pid=42), record["progress"]
(True, 0.25)
>>> finish(record, "failed", attempt=1, message="boom"), finish(record, "completed")
(True, False)
>>> TaskRecord.from_dict(record).status
'failed'
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from vzb.errors import TaskStateError

__all__ = [
    "ACTIVE_STATES",
    "STATES",
    "TASK_FIELDS",
    "TERMINAL_STATES",
    "TaskRecord",
    "error_record",
    "finishing",
    "new_record",
    "new_task_id",
    "plain_data",
    "state_set",
]

STATES = ("queued", "running", "completed", "failed", "cancelled")
TERMINAL_STATES = frozenset({"completed", "failed", "cancelled"})
ACTIVE_STATES = frozenset({"queued", "running"})


@dataclasses.dataclass(frozen=True, eq=False)
class TaskRecord(Mapping):
    """One task's state, as read from the store (a snapshot: it never changes).

    Reads like the plain dict the store keeps (``record["status"]``, ``record.get``,
    ``dict(record)``, ``==`` with a dict of the same fields); :meth:`to_dict` gives that
    dict. ``unit_progress`` and ``unit_pids`` map a running unit's index (a string) to
    its fraction done and to the pid of the worker process running it.

    >>> record = TaskRecord.from_dict(new_record("t1", "backtest", {}, units_total=1))
    >>> record.status, record["units_total"], "owner" in record
    ('queued', 1, True)
    >>> record == record.to_dict()
    True
    """

    task_id: str
    kind: str
    spec: dict
    status: str = "queued"
    progress: float = 0.0
    message: str = "queued"
    units_done: int = 0
    units_total: int = 0
    created_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    attempt: int = 0
    worker_pid: int | None = None
    heartbeat_at: float | None = None
    cancel_requested: bool = False
    result: dict | None = None
    error: dict | None = None
    owner: str | None = None
    stop_reason: str | None = None
    unit_progress: dict = dataclasses.field(default_factory=dict)
    unit_pids: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TaskRecord:
        """The record of a stored dict (fields it lacks, from an older vzb, get defaults)."""
        return cls(**{name: data[name] for name in TASK_FIELDS if name in data})

    def to_dict(self) -> dict:
        """The plain dict the store keeps."""
        return {name: getattr(self, name) for name in TASK_FIELDS}

    def __getitem__(self, key: str) -> Any:
        if key not in _FIELD_SET:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(TASK_FIELDS)

    def __len__(self) -> int:
        return len(TASK_FIELDS)

    def __repr__(self) -> str:
        return (
            f"TaskRecord(task_id={self.task_id!r}, kind={self.kind!r}, status={self.status!r}, "
            f"progress={self.progress:.2f}, message={self.message!r})"
        )


#: The fields of a task record, in display order.
TASK_FIELDS = tuple(f.name for f in dataclasses.fields(TaskRecord))
_FIELD_SET = frozenset(TASK_FIELDS)


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


def new_record(
    task_id: str,
    kind: str,
    spec: Mapping[str, Any],
    *,
    units_total: int,
    owner: str | None = None,
    message: str = "queued",
) -> dict:
    """The stored dict of a new queued task."""
    record = TaskRecord(
        task_id, kind, dict(spec), units_total=int(units_total), created_at=time.time(),
        owner=owner, message=message,
    )  # fmt: skip
    return record.to_dict()


# -- state changes: edit the stored dict in place, True to write it -------------------------
def update(record: dict, expect: Mapping[str, Any] | None, fields: Mapping[str, Any]) -> bool:
    """An active task whose fields match ``expect`` gets ``fields``."""
    if record["status"] in TERMINAL_STATES:
        return False
    if expect and any(record.get(k) != v for k, v in expect.items()):
        return False
    record.update(fields)
    return True


def claim(record: dict, owner: str | None) -> bool:
    """Queued and owned by ``owner`` -> running, attempt + 1."""
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


def adopt(record: dict, *, old_owner: str | None, attempt: int, owner: str, message: str) -> bool:
    """An orphan still owned by ``old_owner`` at ``attempt`` -> ``owner``; a running task
    gets attempt + 1, which fences the old workers' writes."""
    if (
        record["status"] not in ACTIVE_STATES
        or record["owner"] != old_owner
        or record["attempt"] != attempt
    ):
        return False
    record.update(owner=owner, message=message, unit_progress={}, unit_pids={})
    if record["status"] == "running":
        record["attempt"] += 1
    return True


def finishing(record: Mapping[str, Any]) -> bool:
    """A running task whose units are all done: their results are being combined (too
    late to cancel; the panel says ``finishing``)."""
    total = record.get("units_total") or 0
    return record.get("status") == "running" and 0 < total <= (record.get("units_done") or 0)


def cancel(record: dict, reason: str) -> bool:
    """Queued -> cancelled at once; running -> the cancel flag (the first reason stays).

    Raises :class:`~vzb.errors.TaskStateError` for a finished task, and for a finishing
    one (all units done, their results being combined): its work is done, and a cancel
    accepted then would race the completion (and its run record).
    """
    status = record["status"]
    if status in TERMINAL_STATES:
        raise TaskStateError(
            f"Cannot cancel {status} task {record['task_id']}. "
            "Only queued or running tasks can be cancelled."
        )
    if not record["cancel_requested"] and finishing(record):
        raise TaskStateError(
            f"Cannot cancel task {record['task_id']}: all {record['units_total']} of its units "
            "are done and their results are being combined. Wait for it, and purge it if "
            "you do not want it."
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
        return False
    record.update(cancel_requested=True, stop_reason=reason, message="cancelling")
    return True


def finish(
    record: dict,
    status: str,
    *,
    attempt: int | None = None,
    result: Mapping | None = None,
    error: Mapping | None = None,
    message: str | None = None,
) -> bool:
    """Active (at ``attempt``, if given) -> ``status``; a completion whose cancel was
    requested is written ``cancelled``, so an accepted cancel always ends cancelled."""
    if status not in TERMINAL_STATES:
        raise TaskStateError(f"finish() takes a terminal status, not {status!r}")
    if record["status"] in TERMINAL_STATES:
        return False
    if attempt is not None and record["attempt"] != attempt:
        return False
    if status == "completed" and record["cancel_requested"]:
        message = record["stop_reason"] or "Task cancelled by user"
        status, result, error = "cancelled", None, error_record("Cancelled", message)
    now = time.time()
    record.update(
        status=status,
        finished_at=now,
        heartbeat_at=now,
        result=dict(result) if result is not None else None,
        error=dict(error) if error is not None else None,
        unit_progress={},
        unit_pids={},
    )
    if status == "completed":
        record["progress"] = 1.0
        record["message"] = message or "completed"
    else:
        record["message"] = message or (error or {}).get("message") or status
    return True


def report(
    record: dict,
    attempt: int,
    unit: int,
    fraction: float,
    message: str | None = None,
    pid: int | None = None,
) -> bool:
    """A running unit's heartbeat: its fraction done, its worker's pid, a stage message."""
    if record["status"] != "running" or record["attempt"] != attempt:
        return False
    progress = dict(record["unit_progress"])
    progress[str(unit)] = min(max(float(fraction), 0.0), 1.0)
    _set_progress(record, progress)
    if pid is not None:
        record["worker_pid"] = pid
        record["unit_pids"] = {**record.get("unit_pids", {}), str(unit): pid}
    if message is not None and not record["cancel_requested"]:
        record["message"] = message
    return True


def finish_unit(
    record: dict, attempt: int, unit: int, first: bool, label: str | None = None
) -> bool:
    """Unit ``unit`` finished; ``first``: its output was not recorded before; ``label``:
    what the unit was part of, leading the message (``"fold 3/8, training: ..."``)."""
    if record["status"] != "running" or record["attempt"] != attempt:
        return False
    progress = dict(record["unit_progress"])
    progress.pop(str(unit), None)
    pids = dict(record.get("unit_pids", {}))
    pids.pop(str(unit), None)
    record["unit_pids"] = pids
    if first:
        record["units_done"] += 1
    _set_progress(record, progress)
    if not record["cancel_requested"]:
        lead = f"{label}: " if label else ""
        record["message"] = f"{lead}{record['units_done']}/{record['units_total']} units done"
    return True


def stop_reason(record: Mapping[str, Any] | None, task_id: str, attempt: int) -> str | None:
    """Why a unit of ``task_id`` at ``attempt`` should stop now, or None to go on."""
    if record is None:
        return f"Task not found: {task_id}"
    if record["status"] != "running":
        return f"task is {record['status']}"
    if record["attempt"] != attempt:
        return f"attempt {attempt} was superseded by attempt {record['attempt']}"
    if record["cancel_requested"] or record["stop_reason"]:
        return record["stop_reason"] or "Task cancelled by user"
    return None


def _set_progress(record: dict, unit_progress: dict) -> None:
    """Progress = (finished units + fractions of running ones) / units; a heartbeat too."""
    record["unit_progress"] = unit_progress
    total = max(record["units_total"], 1)
    record["progress"] = min((record["units_done"] + sum(unit_progress.values())) / total, 1.0)
    record["heartbeat_at"] = time.time()


def state_set(status: str | Iterable[str] | None) -> set[str] | None:
    """``status=`` as a set of states (None: any); an unknown state is an error."""
    if status is None:
        return None
    wanted = {status} if isinstance(status, str) else set(status)
    if not wanted <= set(STATES):
        raise TaskStateError(
            f"Unknown task status in status={sorted(wanted)!r}; use one of {list(STATES)}"
        )
    return wanted

"""The unit state machine of one task, as the dispatcher that owns the task sees it.

Each unit of a claimed task is *pending*, *in flight* (handed to the executor) or *done*
(recorded in the store by whoever saved its output). A unit whose worker process died
goes back to pending, up to :data:`MAX_UNIT_RETRIES` times. Once the task must stop
(cancelled, timed out, failed) nothing more is handed out, and the task ends when the
units in flight have come back. No I/O here: the dispatcher writes the store.

>>> run = Run("t1", "units")
>>> run.prepare(attempt=1, started_at=0.0, units=[{}, {}], done={1: {}})
>>> list(run.pending), run.requeue(0, "BrokenProcessPool", killed=False)
([0], 'unit 0 re-queued: its worker process died (BrokenProcessPool)')
>>> run.completion_message()
'completed; unit 0 re-queued: its worker process died (BrokenProcessPool)'
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from vzb.jobs.record import TaskRecord

__all__ = ["MAX_UNIT_RETRIES", "Run", "TooManyDeaths"]

#: A unit whose worker process dies this many times fails its task.
MAX_UNIT_RETRIES = 2


class TooManyDeaths(Exception):
    """The worker processes running one unit died more than :data:`MAX_UNIT_RETRIES` times."""


@dataclass
class Run:
    """One task of a runner: its units and where each one is (see the module docstring)."""

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

    def prepare(
        self, *, attempt: int, started_at: float | None, units: list[dict], done: dict
    ) -> None:
        """The task was claimed (or adopted): queue its units not ``done`` yet."""
        self.attempt, self.started_at, self.units = attempt, started_at, units
        self.pending = deque(i for i in range(len(units)) if i not in done)

    def unit(self, index: int, **where: Any) -> dict:
        """The plain-data unit to hand to a worker (``where``: store_dir, nice)."""
        return {
            "task_id": self.task_id, "attempt": self.attempt, "index": index,
            "total": len(self.units), **where, **self.units[index],
        }  # fmt: skip

    def requeue(self, index: int, reason: str, *, killed: bool) -> str:
        """Unit ``index`` came back from a dead worker: pending again; returns the note.

        ``killed``: the runner itself killed that worker to stop another task (that
        does not count against the unit). Raises :class:`TooManyDeaths`.
        """
        self.pending.appendleft(index)
        if killed:
            note = f"unit {index} re-queued: the workers were killed to stop another task"
        else:
            tries = self.retries[index] = self.retries.get(index, 0) + 1
            if tries > MAX_UNIT_RETRIES:
                raise TooManyDeaths(
                    f"A worker process died {tries} times while running unit {index} "
                    f"({reason}): killed, or out of memory?"
                )
            note = f"unit {index} re-queued: its worker process died ({reason})"
        self.notes.append(note)
        return note

    def stop(self, status: str, error: dict, now: float) -> bool:
        """Start stopping: nothing more is handed out. False if stopping already."""
        if self.stop_status is not None:
            return False
        self.stop_status, self.stop_error, self.stop_since = status, error, now
        self.pending.clear()
        return True

    def missing(self, done: dict) -> bool:
        """Queue again the units not ``done`` (a stale write was dropped); True if any."""
        lost = [i for i in range(len(self.units)) if i not in done]
        self.pending.extend(lost)
        return bool(lost)

    def pids(self, record: TaskRecord) -> list[int]:
        """The worker processes running this task's units in flight, as they reported."""
        return [record.unit_pids[str(i)] for i in self.in_flight if str(i) in record.unit_pids]

    def completion_message(self) -> str:
        """The final message of a completed task: why some units had to run again."""
        if not self.notes:
            return "completed"
        return "completed; " + "; ".join(dict.fromkeys(self.notes[-3:]))

"""A handle on one task (the runner's calls without the task id), and a table of tasks.

>>> import tempfile
>>> from vzb.jobs import JobRunner
>>> with JobRunner(tempfile.mkdtemp(), max_workers=1) as runner:
...     task = runner.submit_units("vzb.jobs.units:sleep", [{"seconds": 0, "value": 1}])
...     (task.result(timeout=60), task.status()["status"], task.progress)
([1], 'completed', 1.0)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from vzb.jobs.record import TaskRecord
    from vzb.jobs.runner import JobRunner

__all__ = ["TASK_COLUMNS", "Task", "task_table"]

#: The columns of :func:`task_table`.
TASK_COLUMNS = (
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
)


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
        r = self.runner.store.get(self.task_id)
        return (
            f"<Task {self.task_id} {r.kind} {r.status} {r.progress:.0%} "
            f"({r.units_done}/{r.units_total} units)>"
        )

    def status(self) -> TaskRecord:
        """The task record (see :meth:`JobRunner.status`)."""
        return self.runner.status(self.task_id)

    @property
    def progress(self) -> float:
        """Fraction done, 0..1."""
        return self.runner.store.get(self.task_id).progress

    def cancel(self, reason: str = "Task cancelled by user") -> TaskRecord:
        """Cancel this task (see :meth:`JobRunner.cancel`)."""
        return self.runner.cancel(self.task_id, reason=reason)

    def wait(self, timeout: float | None = None) -> TaskRecord:
        """Wait until the task finishes (see :meth:`JobRunner.wait`)."""
        return self.runner.wait(self.task_id, timeout=timeout)

    def result(self, timeout: float | None = None) -> Any:
        """Wait and load the result (see :meth:`JobRunner.result`)."""
        return self.runner.result(self.task_id, timeout=timeout)


def task_table(records: Iterable[Mapping]) -> pd.DataFrame:
    """Task records as a DataFrame: one row each, :data:`TASK_COLUMNS`, times in UTC.

    >>> task_table([]).columns[:4].tolist()
    ['task_id', 'kind', 'strategy', 'symbols']
    """
    import pandas as pd

    rows = []
    for record in records:
        spec = record["spec"]
        row = {name: record.get(name) for name in TASK_COLUMNS}
        row["strategy"] = spec.get("strategy") or spec.get("function")
        row["symbols"] = ",".join(spec.get("symbols") or [])
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(TASK_COLUMNS))
    for name in ("created_at", "started_at", "finished_at"):
        frame[name] = pd.to_datetime(frame[name].astype("float64"), unit="s", utc=True)
    return frame

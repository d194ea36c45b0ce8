"""Background jobs: a task store on disk and a runner feeding worker processes.

The parts, each in its own module: :mod:`~vzb.jobs.runner` (``JobRunner``, the public
API), :mod:`~vzb.jobs.requests` (checking a submit), :mod:`~vzb.jobs.planning` (a task
-> its units), :mod:`~vzb.jobs.dispatcher` (the thread feeding units to an executor and
supervising them), :mod:`~vzb.jobs.executors` (where units run), :mod:`~vzb.jobs.worker`
(running one unit), :mod:`~vzb.jobs.units` (the built-in unit functions),
:mod:`~vzb.jobs.combining` (units -> the result), :mod:`~vzb.jobs.store` and
:mod:`~vzb.jobs.record` (task records on disk), :mod:`~vzb.jobs.task` (a task handle),
:mod:`~vzb.jobs.downloads` (candle downloads as tasks) and :mod:`~vzb.jobs.dependencies`
(tasks that wait for others: ``submit(..., after=download)``).

>>> import tempfile
>>> from vzb.jobs import JobRunner
>>> with JobRunner(tempfile.mkdtemp(), max_workers=1) as runner:
...     task = runner.submit_units("vzb.jobs.units:sleep", [{"seconds": 0, "value": "done"}])
...     task.result(timeout=60)
['done']
"""

from vzb.jobs.executors import register_executor
from vzb.jobs.record import TaskRecord
from vzb.jobs.runner import JobRunner, default_store_dir
from vzb.jobs.store import TaskStore
from vzb.jobs.task import Task
from vzb.jobs.worker import Cancelled

__all__ = [
    "Cancelled",
    "JobRunner",
    "Task",
    "TaskRecord",
    "TaskStore",
    "default_store_dir",
    "register_executor",
]

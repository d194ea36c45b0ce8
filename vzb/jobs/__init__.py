"""Background jobs: a task store on disk and a runner feeding worker processes.

>>> import tempfile
>>> from vzb.jobs import JobRunner
>>> with JobRunner(tempfile.mkdtemp(), max_workers=1) as runner:
...     task = runner.submit_units("vzb.jobs.units:sleep", [{"seconds": 0, "value": "done"}])
...     task.result(timeout=60)
['done']
"""

from vzb.jobs.runner import JobRunner, default_store_dir
from vzb.jobs.store import TaskStore
from vzb.jobs.task import Task
from vzb.jobs.units import Cancelled

__all__ = ["Cancelled", "JobRunner", "Task", "TaskStore", "default_store_dir"]

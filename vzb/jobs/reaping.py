"""Crashes and restarts: which runners are alive, and taking over the tasks of dead ones.

Each runner writes ``runner:<owner>`` into the store (pid, host, heartbeat time) every
few seconds. A task whose owner is not alive is an orphan: :func:`reap_orphans` fails it
(its runners died too often, or its time limit passed) or adopts it for a new owner with
attempt + 1, which fences the old workers' writes. A running orphan is adopted only once
its workers have gone quiet (no heartbeat in the task record for :data:`QUIET_AFTER`
seconds): the units they were running finish and are kept, instead of being run twice.

>>> import tempfile
>>> from vzb.jobs.store import TaskStore
>>> store = TaskStore(tempfile.mkdtemp())
>>> task_id = store.create("backtest", {}, units_total=1, owner="gone:1:x").task_id
>>> adopted, _ = reap_orphans(store, "me", time_limit=60)
>>> [r.task_id for r in adopted] == [task_id], store.get(task_id).owner
(True, 'me')
"""

from __future__ import annotations

import os
import socket
import time

from vzb.jobs.record import ACTIVE_STATES, TaskRecord, error_record
from vzb.jobs.store import TaskStore

__all__ = [
    "MAX_ATTEMPTS",
    "QUIET_AFTER",
    "fmt_seconds",
    "forget_runners",
    "reap_orphans",
    "register_runner",
    "runner_alive",
    "unregister_runner",
]

#: A task whose runner died this many times is failed instead of resumed.
MAX_ATTEMPTS = 3
#: Seconds without a heartbeat after which an orphaned running task is taken over.
QUIET_AFTER = 3.0
_RUNNER = "runner:"


def fmt_seconds(seconds: float) -> str:
    """``3600`` -> ``"1 h"``, ``90`` -> ``"90 s"``."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def register_runner(store: TaskStore, owner: str) -> None:
    """Record that runner ``owner`` (this process) is alive; call again as a heartbeat."""
    info = {"pid": os.getpid(), "host": socket.gethostname(), "heartbeat_at": time.time()}
    store.cache.set(_RUNNER + owner, info)


def unregister_runner(store: TaskStore, owner: str) -> None:
    """Forget runner ``owner`` (its remaining tasks become orphans to reap)."""
    store.cache.delete(_RUNNER + owner)


def runner_alive(store: TaskStore, owner: str | None, stale_after: float = 60.0) -> bool:
    """Whether runner ``owner`` still runs: registered, its process alive, heartbeat fresh."""
    info = store.cache.get(_RUNNER + owner) if owner is not None else None
    if info is None or time.time() - info["heartbeat_at"] > stale_after:
        return False
    if info["host"] == socket.gethostname():
        try:
            os.kill(info["pid"], 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
    return True


def reap_orphans(
    store: TaskStore, owner: str, *, time_limit: float
) -> tuple[list[TaskRecord], float]:
    """Fail or adopt (for ``owner``) the tasks whose runner is gone.

    Returns the records adopted (as written) and when to look again: the moment the
    heartbeat of a running orphan that was still reporting gets old enough, or in five
    seconds.
    """
    adopted, now = [], time.time()
    next_look = now + 5.0
    for record in store.tasks(status=ACTIVE_STATES):
        old = record.owner
        if old == owner or runner_alive(store, old):
            continue
        beat = record.heartbeat_at if record.status == "running" else None
        if beat is not None and now - beat < QUIET_AFTER:  # its workers still report
            next_look = min(next_look, beat + QUIET_AFTER)
            continue
        why = f"its runner {old} stopped" if old else "it had no runner"
        error = None
        if record.status == "running" and record.attempt >= MAX_ATTEMPTS:
            message = f"Failed: {why}; its runners died {record.attempt} times, giving up"
            error = error_record("RunnerLost", message)
        elif record.started_at is not None and now - record.started_at > time_limit:
            message = f"timed out after {fmt_seconds(time_limit)} ({why})"
            error = error_record("TimeoutError", message)
        if error is not None:
            store.finish(
                record.task_id, "failed", attempt=record.attempt, message=error["message"],
                error=error,
            )  # fmt: skip
            continue
        kept = f"kept {record.units_done}/{record.units_total} finished units"
        new = store.adopt(
            record.task_id, old_owner=old, attempt=record.attempt, owner=owner,
            message=f"resumed: {why}; {kept}",
        )  # fmt: skip
        if new is not None:
            adopted.append(new)
    return adopted, next_look


def forget_runners(store: TaskStore) -> int:
    """Forget every registered runner (a restored store's runners ran elsewhere: its
    unfinished tasks become orphans that the next runner resumes); returns how many."""
    owners = [
        key[len(_RUNNER) :]
        for key in store.cache.iterkeys()
        if isinstance(key, str) and key.startswith(_RUNNER)
    ]
    for owner in owners:
        unregister_runner(store, owner)
    return len(owners)

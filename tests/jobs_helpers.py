"""Helpers of the job tests: a runner process killed mid-task, and a new runner that
must finish what it left."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

from vzb.jobs import JobRunner, TaskStore


def run_and_kill_owner(script: str, directory: str, tmp_path) -> str:
    """Run ``script`` (it SIGKILLs itself) in a subprocess; return the task id it printed.

    Output goes to files, not pipes: the orphaned loky workers keep inherited pipes open.
    """
    out, err = tmp_path / "owner.out", tmp_path / "owner.err"
    with open(out, "w") as stdout, open(err, "w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(script), directory], stdout=stdout, stderr=stderr
        )
        assert proc.wait(timeout=120) == -signal.SIGKILL, err.read_text()
    return out.read_text().split()[0]


def finish_orphan(script: str, directory: str, tmp_path, *, units: int, timeout: float):
    """Kill an owner mid-task (``script`` kills itself once ``units`` units are done);
    a new runner on the same store must resume it (attempt 2), reuse at least those
    units, and complete. Returns ``(runner, task_id)`` with the runner still open."""
    task_id = run_and_kill_owner(script, directory, tmp_path)
    before = TaskStore(directory).get(task_id)
    assert before["status"] == "running" and units <= before["units_done"] < before["units_total"]
    runner = JobRunner(directory, max_workers=2)
    final = runner.wait(task_id, timeout=timeout)
    assert final["status"] == "completed", final["message"]
    assert final["attempt"] == 2
    reused = [u for u in runner.store.units(task_id).values() if u["attempt"] == 1]
    assert len(reused) >= units
    return runner, task_id

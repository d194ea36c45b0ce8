"""JobRunner mechanics with real loky worker processes and a real store (sleep units)."""

from __future__ import annotations

import collections
import concurrent.futures as cf
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pandas as pd
import pytest

import vzb
from vzb.errors import ParameterError, TaskNotFound, TaskStateError
from vzb.jobs import JobRunner, TaskStore, register_executor
from vzb.jobs.executors import ExecutorBackend
from vzb.strategies import DEFAULT_STRATEGY

SLEEP = "vzb.jobs.units:sleep"


@pytest.fixture
def runner(tmp_path):
    r = JobRunner(tmp_path / "store", max_workers=2, grace_period=1.0)
    yield r
    r.close(timeout=10)


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("condition not reached in time")


def test_units_run_in_worker_processes_and_results_come_back_in_order(runner):
    task = runner.submit_units(SLEEP, [{"seconds": 0.05, "value": i} for i in range(5)])
    assert task.result(timeout=60) == [0, 1, 2, 3, 4]
    record = runner.status(task.task_id)
    assert record["status"] == "completed" and record["progress"] == 1.0
    assert record["units_done"] == record["units_total"] == 5
    assert record["worker_pid"] not in (None, os.getpid())
    assert record["started_at"] <= record["finished_at"]


def worker_niceness(context) -> int:
    """A unit function (importable by workers): this process's CPU niceness."""
    return os.getpriority(os.PRIO_PROCESS, 0)


def test_workers_yield_the_cpu_to_the_notebook(runner):
    from vzb.jobs.worker import WORKER_NICENESS

    task = runner.submit_units(f"{__name__}:worker_niceness", [{}, {}])
    assert task.result(timeout=60) == [WORKER_NICENESS, WORKER_NICENESS]
    assert os.getpriority(os.PRIO_PROCESS, 0) < WORKER_NICENESS  # the kernel keeps its own


def test_status_has_the_documented_fields(runner):
    task = runner.submit_units(SLEEP, [{"seconds": 0}])
    status = runner.status(task.task_id)
    for name in (
        "task_id status progress result error created_at started_at finished_at message "
        "units_done units_total attempt worker_pid heartbeat_at cancel_requested spec kind"
    ).split():
        assert name in status
    task.wait(timeout=60)


def test_cancel_queued_task(runner):
    blockers = [runner.submit_units(SLEEP, [{"seconds": 20}]) for _ in range(2)]
    queued = runner.submit_units(SLEEP, [{"seconds": 0, "value": 1}])
    wait_for(lambda: all(runner.status(b.task_id)["status"] == "running" for b in blockers))
    assert runner.status(queued.task_id)["status"] == "queued"
    record = runner.cancel(queued.task_id)
    assert record["status"] == "cancelled"
    assert runner.status(queued.task_id)["status"] == "cancelled"  # cancel-then-status agree
    assert runner.status(queued.task_id)["error"]["message"] == "Task cancelled by user"
    for b in blockers:
        b.cancel()
    for b in blockers:
        assert b.wait(timeout=30)["status"] == "cancelled"
    assert runner.status(queued.task_id)["started_at"] is None  # it never ran


def test_cancel_running_task_stops_it_and_status_agrees(runner):
    task = runner.submit_units(SLEEP, [{"seconds": 30}, {"seconds": 30}])
    wait_for(lambda: runner.status(task.task_id)["progress"] > 0)
    record = runner.cancel(task.task_id, reason="wrong grid")
    assert record["cancel_requested"] and record["status"] == "running"
    final = runner.wait(task.task_id, timeout=20)  # cancel latency: benchmarks/bench_jobs.py
    assert final["status"] == "cancelled"
    assert final["error"]["type"] == "Cancelled" and final["error"]["message"] == "wrong grid"
    assert runner.status(task.task_id) == final
    with pytest.raises(TaskStateError, match="is cancelled, it has no result"):
        runner.result(task.task_id)


def test_cancel_completed_task_is_an_error_and_state_unchanged(runner):
    task = runner.submit_units(SLEEP, [{"seconds": 0, "value": 3}])
    before = task.wait(timeout=60)
    with pytest.raises(TaskStateError) as info:
        runner.cancel(task.task_id)
    assert str(info.value) == (
        f"Cannot cancel completed task {task.task_id}. "
        "Only queued or running tasks can be cancelled."
    )
    assert runner.status(task.task_id) == before
    assert task.result() == [3]


def test_cancel_failed_task_is_an_error_and_state_unchanged(runner):
    task = runner.submit_units(SLEEP, [{"seconds": 0, "fail": "bad candles"}])
    before = task.wait(timeout=60)
    assert before["status"] == "failed"
    assert before["error"]["type"] == "ValueError"
    assert "bad candles" in before["error"]["message"]
    assert "Traceback" in before["error"]["traceback"]
    with pytest.raises(TaskStateError, match=f"Cannot cancel failed task {before['task_id']}"):
        runner.cancel(task.task_id)
    assert runner.status(task.task_id) == before


def test_unknown_task_is_not_found(runner):
    for call in (runner.status, runner.cancel, runner.wait, runner.result, runner.task):
        with pytest.raises(TaskNotFound, match="Task not found: no-such-task"):
            call("no-such-task")


def test_a_unit_ignoring_cancel_is_killed_and_innocent_units_are_requeued(runner):
    stuck = runner.submit_units(SLEEP, [{"seconds": 60, "ignore_cancel": True}])
    innocent = runner.submit_units(SLEEP, [{"seconds": 3.0, "value": "ok"}])
    # both units run in a worker (a unit still waiting in the pool stops when it starts)
    wait_for(lambda: runner.status(stuck.task_id)["worker_pid"])
    wait_for(lambda: runner.status(innocent.task_id)["worker_pid"])
    runner.cancel(stuck.task_id)
    assert runner.wait(stuck.task_id, timeout=20)["status"] == "cancelled"
    # the innocent unit died with the killed pool, was re-queued and still finishes
    assert innocent.result(timeout=30) == ["ok"]
    message = runner.status(innocent.task_id)["message"]
    assert "re-queued: the workers were killed to stop another task" in message
    # the killed pool is replaced for the next unit and for a direct joblib sweep alike
    assert runner.submit_units(SLEEP, [{"seconds": 0, "value": 1}]).result(timeout=60) == [1]
    table = vzb.sweep(vzb.load_sample("BTC_USD"), DEFAULT_STRATEGY,
                      {"volume_window": [5, 10, 20, 40]}, n_jobs=2)  # fmt: skip
    assert len(table) == 4


def test_a_runner_beside_a_direct_joblib_sweep_the_issue_8_reproduction(tmp_path):
    r = vzb.JobRunner(store=tmp_path / "s", max_workers=1)
    try:
        assert r.submit(DEFAULT_STRATEGY, symbols=["BTC_USD"]).wait(timeout=120)["status"] == (
            "completed"
        )
        candles = vzb.load_sample("BTC_USD")
        grid = {"volume_window": [10, 20]}
        table = vzb.sweep(candles, DEFAULT_STRATEGY, grid, n_jobs=2, backend="loky")
        pd.testing.assert_frame_equal(table, vzb.sweep(candles, DEFAULT_STRATEGY, grid))
    finally:
        r.close()


def test_killing_a_stuck_unit_leaves_a_direct_sweep_in_the_same_process_alone(tmp_path):
    candles = vzb.load_sample("BTC_USD", timeframe="1h")
    # 1,475 sets: several seconds even with warm workers, so the kill below (about a second
    # after the sweep starts) lands while it runs; 177 sets took 0.9 s and raced the kill
    grid = {"volume_window": list(range(5, 300)), "top_percentile": [0.1, 0.2, 0.3, 0.4, 0.5]}
    expected = vzb.sweep(candles, DEFAULT_STRATEGY, grid)  # in this process
    with JobRunner(tmp_path / "s", max_workers=1, grace_period=0.5) as runner:
        stuck = runner.submit_units(SLEEP, [{"seconds": 60, "ignore_cancel": True}])
        pid = wait_for(lambda: runner.status(stuck.task_id)["worker_pid"])
        done = {}

        def direct_sweep():
            table = vzb.sweep(candles, DEFAULT_STRATEGY, grid, n_jobs=2, backend="loky")
            done.update(table=table, at=time.monotonic())

        thread = threading.Thread(target=direct_sweep)
        thread.start()
        time.sleep(0.5)  # the joblib workers are busy now
        runner.cancel(stuck.task_id)
        assert stuck.wait(timeout=30)["status"] == "cancelled"
        killed_at = time.monotonic()
        assert thread.is_alive()  # the direct sweep is still running ...
        thread.join(timeout=300)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # ... the stuck unit's worker is gone ...
    assert done["at"] > killed_at
    pd.testing.assert_frame_equal(done["table"], expected)  # ... and it finished fine


def test_remove_listener_removes_it(runner):
    calls = []
    runner.add_listener(calls.append)
    first = runner.submit_units(SLEEP, [{"seconds": 0}])
    runner.remove_listener(calls.append)
    runner.remove_listener(calls.append)  # not listening any more: ignored
    runner.submit_units(SLEEP, [{"seconds": 0}])
    assert calls == [first.task_id]


def test_executors_by_name_or_object_and_a_bad_name_lists_the_valid_ones(tmp_path):
    with pytest.raises(ParameterError, match=r"Unknown executor 'lokky'; use one of \['loky'"):
        JobRunner(tmp_path / "s", executor="lokky")
    with pytest.raises(TypeError, match="is not an executor"):
        JobRunner(tmp_path / "s", executor=42)
    with cf.ThreadPoolExecutor(2) as pool:
        with JobRunner(tmp_path / "s", executor=pool, max_workers=2) as runner:
            assert not runner.remote and not runner.backend.can_kill
            task = runner.submit_units(SLEEP, [{"seconds": 0, "value": v} for v in "ab"])
            assert task.result(timeout=60) == ["a", "b"]
    register_executor("two_threads", lambda max_workers: ExecutorBackend(cf.ThreadPoolExecutor(2)))
    with JobRunner(tmp_path / "s", executor="two_threads") as runner:
        assert runner.submit_units(SLEEP, [{"seconds": 0, "value": 1}]).result(timeout=60) == [1]


FIRST_SUBMIT = """
import sys, tempfile, time
from vzb.jobs import JobRunner
runner = JobRunner(tempfile.mkdtemp(), max_workers=1)
t0 = time.perf_counter()
runner.submit(symbols=["BTC_USD"])
print(f"first submit in a fresh process: {(time.perf_counter() - t0) * 1000:.0f} ms")
print(sorted({"numba"} & set(sys.modules)))
runner.close()
"""


def _loads_numba(module: str) -> bool:
    code = f"import sys, {module}; print('numba' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return run.stdout.strip() == "True"


def test_the_first_submit_in_a_fresh_process_loads_no_numba():
    # the time itself is measured in benchmarks/bench_jobs.py (target 100 ms)
    run = subprocess.run([sys.executable, "-c", FIRST_SUBMIT], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    timing, modules = run.stdout.splitlines()
    print(timing)
    if modules != "[]" and _loads_numba("vzb.engine.options"):
        pytest.xfail("checking engine options loads numba: vzb.engine imports it eagerly")
    assert modules == "[]"


def test_sigkill_of_a_worker_mid_task_loses_no_result(runner):
    victim = runner.submit_units(SLEEP, [{"seconds": 1.5, "value": "a"}])
    other = runner.submit_units(SLEEP, [{"seconds": 1.5, "value": "b"}])
    pid = wait_for(lambda: runner.status(victim.task_id)["worker_pid"])
    os.kill(pid, signal.SIGKILL)
    assert victim.result(timeout=60) == ["a"]
    assert other.result(timeout=60) == ["b"]
    # the user is told what happened: the unit ran again because its worker died
    final = runner.status(victim.task_id)
    assert final["status"] == "completed"
    assert final["message"].startswith("completed; unit 0 re-queued: its worker process died")
    later = runner.submit_units(SLEEP, [{"seconds": 0, "value": "c"}])
    assert later.result(timeout=60) == ["c"]  # the runner got a fresh pool


def test_cancel_racing_completion_the_first_terminal_state_stays(runner):
    # tasks cancelled at random moments around their completion: before they start,
    # while their units run, as they are being combined, just after they finished
    rng = random.Random(4)
    outcomes = {}  # task id -> "cancel accepted" | "already finished"
    for _ in range(110):  # two tasks per round, one per worker
        tasks = [
            runner.submit_units(SLEEP, [{"seconds": 0.004, "value": i} for i in range(2)])
            for _ in range(2)
        ]
        time.sleep(rng.uniform(0.0, 0.07))
        for task in tasks:
            try:
                task.cancel()
                outcomes[task.task_id] = "cancel accepted"
            except TaskStateError as exc:  # finished, or finishing (all units done)
                assert "Only queued or running" in str(exc) or "being combined" in str(exc)
                outcomes[task.task_id] = "already finished"
    first = {t: runner.wait(t, timeout=60) for t in outcomes}
    time.sleep(0.5)
    for task_id, outcome in outcomes.items():
        record = first[task_id]
        assert runner.status(task_id) == record  # terminal: it never changes again
        if outcome == "cancel accepted":  # an accepted cancel always ends cancelled
            assert record["status"] == "cancelled" and record["result"] is None
            assert record["error"]["type"] == "Cancelled"
            with pytest.raises(TaskStateError, match="is cancelled"):
                runner.result(task_id)
        else:
            assert record["status"] == "completed" and record["error"] is None
            assert runner.result(task_id) == [0, 1]
    counts = collections.Counter(outcomes.values())
    assert len(outcomes) == 220 and counts["cancel accepted"] and counts["already finished"]


def test_a_unit_killed_again_and_again_fails_its_task_with_a_message(runner):
    task = runner.submit_units(SLEEP, [{"seconds": 30}])
    for _ in range(3):
        pid = wait_for(lambda: runner.status(task.task_id)["worker_pid"])
        runner.store.update(task.task_id, worker_pid=None)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    final = task.wait(timeout=60)
    assert final["status"] == "failed"
    assert "worker process died 3 times" in final["error"]["message"]


def test_time_limit_fails_the_task(tmp_path):
    with JobRunner(tmp_path / "s", max_workers=2, time_limit=0.5) as runner:
        task = runner.submit_units(SLEEP, [{"seconds": 30}])
        final = task.wait(timeout=30)
    assert final["status"] == "failed"
    assert final["message"] == "timed out after 0.5 s"
    assert final["error"]["type"] == "TimeoutError"


def test_500_tasks_submitted_at_once_all_finish(runner):
    tasks = [runner.submit_units(SLEEP, [{"seconds": 0, "value": i}]) for i in range(500)]
    for t in tasks[::50]:
        t.cancel() if runner.status(t.task_id)["status"] == "queued" else None
    for t in tasks:
        runner.wait(t.task_id, timeout=120)
    records = runner.store.tasks()
    assert len(records) == 500
    assert {r["status"] for r in records} <= {"completed", "cancelled"}
    done = [r for r in records if r["status"] == "completed"]
    assert sorted(r["result"]["values"][0] for r in done) == sorted(
        int(r["spec"]["units"][0]["value"]) for r in done
    )
    assert len(runner.tasks()) == 500


def test_bad_unit_requests_store_nothing(runner):
    with pytest.raises(ValueError, match=r"must be written 'package\.module:function'"):
        runner.submit_units("sleep", [{}])
    with pytest.raises(ValueError, match="Cannot import unit function"):
        runner.submit_units("vzb.jobs.units:nope", [{}])
    with pytest.raises(ParameterError, match="kwargs is empty"):
        runner.submit_units(SLEEP, [])
    assert runner.store.tasks() == []


def test_two_runners_on_one_store_never_run_a_task_twice(tmp_path):
    first = JobRunner(tmp_path / "s", max_workers=2)
    second = JobRunner(tmp_path / "s", max_workers=2)
    try:
        tasks = [r.submit_units(SLEEP, [{"seconds": 0.01, "value": i}]) for i in range(10)
                 for r in (first, second)]  # fmt: skip
        assert second.reap() == []  # the first runner is alive: nothing to adopt
        for t in tasks:
            assert t.wait(timeout=60)["status"] == "completed"
        assert all(r["attempt"] == 1 for r in first.store.tasks())
        # a runner that goes away leaves its tasks to the other one, which resumes them
        # once the units the first runner's workers were running are done and recorded
        slow = first.submit_units(SLEEP, [{"seconds": 0.5, "value": v} for v in "abcd"])
        wait_for(lambda: first.status(slow.task_id)["units_done"] >= 1)
        first.close(cancel=False)
        wait_for(lambda: second.status(slow.task_id).owner == second.owner, timeout=30)
        final = second.wait(slow.task_id, timeout=60)
        assert final["status"] == "completed" and final["attempt"] == 2
        assert final["result"]["values"] == list("abcd")
    finally:
        first.close()
        second.close()


def test_a_cancel_while_the_units_are_combined_is_refused_and_the_run_is_recorded(
    tmp_path, monkeypatch
):
    from vzb.jobs import combining
    from vzb.results.sync import pending_ids

    combine, refused = combining._combine, []

    def cancel_then_combine(store, task_id, *args):
        try:  # a click while the finished units are combined: the race, made sure
            store.request_cancel(task_id, reason="clicked as it finished")
        except TaskStateError as exc:
            refused.append(str(exc))
        return combine(store, task_id, *args)

    monkeypatch.setattr(combining, "_combine", cancel_then_combine)
    store = str(tmp_path / "s")
    with JobRunner(store, max_workers=1) as runner:
        task = runner.submit_sweep(DEFAULT_STRATEGY, {"volume_window": [10, 20]}, "BTC_USD")
        final = task.wait(timeout=120)
        assert final["status"] == "completed" and not final["cancel_requested"]
        assert pending_ids(store) in ([], [task.task_id])  # the record, waiting or written
    assert refused == [
        f"Cannot cancel task {task.task_id}: all 1 of its units are done and their results "
        "are being combined. Wait for it, and purge it if you do not want it."
    ]
    assert vzb.runs(store=store)["run_id"].tolist() == [task.task_id]


OWNER_SCRIPT = """
import os, signal, sys, time
from vzb.jobs import JobRunner
runner = JobRunner(sys.argv[1], max_workers=2)
units = [{"seconds": 0.2, "value": i} for i in range(12)]
task = runner.submit_units("vzb.jobs.units:sleep", units)
print(task.task_id, flush=True)
while runner.status(task.task_id)["units_done"] < 3:
    time.sleep(0.005)
os.kill(os.getpid(), signal.SIGKILL)
"""


def run_and_kill_owner(script: str, directory: str, tmp_path) -> str:
    """Run ``script`` (which kills itself) in a subprocess; return the task id it printed.

    Output goes to files, not pipes: the orphaned loky workers keep inherited pipes open.
    """
    out, err = tmp_path / "owner.out", tmp_path / "owner.err"
    with open(out, "w") as stdout, open(err, "w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(script), directory],
            stdout=stdout, stderr=stderr,
        )  # fmt: skip
        assert proc.wait(timeout=120) == -signal.SIGKILL, err.read_text()
    return out.read_text().split()[0]


def test_runner_process_killed_midway_a_new_runner_resumes_keeping_units(tmp_path):
    directory = str(tmp_path / "s")
    task_id = run_and_kill_owner(OWNER_SCRIPT, directory, tmp_path)
    store = TaskStore(directory)
    before = store.get(task_id)
    assert before["status"] == "running" and 3 <= before["units_done"] < 12
    with JobRunner(directory, max_workers=2) as runner:
        final = runner.wait(task_id, timeout=60)
        assert final["status"] == "completed"
        assert final["result"]["values"] == list(range(12))
        assert final["attempt"] == 2
        kept = [u for u in runner.store.units(task_id).values() if u["attempt"] == 1]
        assert len(kept) >= 3  # finished units of the dead runner were reused

"""TaskStore: the state machine, compare-and-set, fencing, queries, purge (real diskcache)."""

from __future__ import annotations

import dataclasses
import multiprocessing
import pickle
import threading
import time

import pytest

from vzb.errors import TaskNotFound, TaskStateError
from vzb.jobs import TaskRecord, TaskStore
from vzb.jobs.reaping import QUIET_AFTER, reap_orphans
from vzb.jobs.record import TASK_FIELDS


@pytest.fixture
def store(tmp_path):
    s = TaskStore(tmp_path / "store")
    yield s
    s.close()


def running(store, owner="me"):
    record = store.create(
        "backtest", {"strategy": "volume_zone_breakout"}, units_total=2, owner=owner
    )
    return store.claim(record["task_id"], owner)


def test_create_and_get_give_a_plain_record_with_every_field(store):
    record = store.create("sweep", {"strategy": "s", "grid": {"a": [1, 2]}}, units_total=3)
    again = store.get(record["task_id"])
    assert again == record
    assert set(TASK_FIELDS) <= set(again)
    assert again["status"] == "queued" and again["progress"] == 0.0 and again["attempt"] == 0
    assert pickle.loads(pickle.dumps(again.to_dict())) == again  # plain data only


def test_unknown_task_is_not_found(store):
    with pytest.raises(TaskNotFound, match="Task not found: nope") as info:
        store.get("nope")
    assert isinstance(info.value, LookupError)
    with pytest.raises(TaskNotFound):
        store.request_cancel("nope")


def test_cancel_queued_is_immediate(store):
    record = store.create("backtest", {}, units_total=1)
    cancelled = store.request_cancel(record["task_id"])
    assert cancelled["status"] == "cancelled"
    assert cancelled["error"]["type"] == "Cancelled"
    assert cancelled["message"] == "Task cancelled by user"
    assert store.get(record["task_id"]) == cancelled
    assert store.claim(record["task_id"], None) is None  # a cancelled task never starts


def test_cancel_running_sets_the_flag_and_units_see_it(store):
    record = running(store)
    task_id = record["task_id"]
    assert store.should_stop(task_id, record["attempt"]) is None
    flagged = store.request_cancel(task_id, reason="enough")
    assert flagged["status"] == "running" and flagged["cancel_requested"]
    assert store.should_stop(task_id, record["attempt"]) == "enough"
    # a completion racing the cancel turns into cancelled: cancel always wins once accepted
    final = store.finish(task_id, "completed", attempt=record["attempt"], result={"path": "x"})
    assert final["status"] == "cancelled" and final["result"] is None


@pytest.mark.parametrize("status", ["completed", "failed", "cancelled"])
def test_cancel_finished_task_is_an_error_and_changes_nothing(store, status):
    record = running(store)
    task_id = record["task_id"]
    store.finish(task_id, status, attempt=1, error={"type": "X", "message": "m", "traceback": ""})
    before = store.get(task_id)
    with pytest.raises(TaskStateError) as info:
        store.request_cancel(task_id)
    assert str(info.value) == (
        f"Cannot cancel {status} task {task_id}. Only queued or running tasks can be cancelled."
    )
    assert isinstance(info.value, ValueError)
    assert store.get(task_id) == before


def test_terminal_states_never_change(store):
    record = running(store)
    task_id = record["task_id"]
    assert store.finish(task_id, "failed", attempt=1, message="boom")["status"] == "failed"
    assert store.finish(task_id, "completed", attempt=1) is None
    assert store.finish(task_id, "cancelled") is None
    assert store.update(task_id, progress=0.5) is None
    assert store.report(task_id, 1, 0, 0.5) is None
    assert store.finish_unit(task_id, 1, 0, {"path": "p"}) is None
    assert store.get(task_id)["status"] == "failed"
    assert store.get(task_id)["message"] == "boom"


def test_stale_attempt_writes_are_dropped(store):
    record = running(store, owner="old")
    task_id = record["task_id"]
    assert store.report(task_id, 1, 0, 0.5, "running BTC_USD 1/2")["progress"] == 0.25
    adopted = store.adopt(task_id, old_owner="old", attempt=1, owner="new", message="resumed")
    assert adopted["attempt"] == 2 and adopted["owner"] == "new"
    assert store.report(task_id, 1, 0, 0.9) is None
    assert store.finish_unit(task_id, 1, 0, {"path": "late"}) is None
    assert store.finish(task_id, "completed", attempt=1) is None
    assert store.should_stop(task_id, 1).startswith("attempt 1 was superseded")
    assert store.finish_unit(task_id, 2, 0, {"path": "p"})["units_done"] == 1
    assert store.units(task_id) == {0: {"path": "p", "attempt": 2}}
    # adopting needs the exact old owner and attempt: a second reaper loses
    assert store.adopt(task_id, old_owner="old", attempt=1, owner="other", message="") is None


def test_progress_counts_finished_units_and_running_fractions(store):
    record = running(store)
    task_id = record["task_id"]
    store.report(task_id, 1, 0, 0.5)
    store.report(task_id, 1, 1, 0.5)
    assert store.get(task_id)["progress"] == 0.5
    store.finish_unit(task_id, 1, 0, {"value": 1})
    store.finish_unit(task_id, 1, 0, {"value": 1})  # twice counts once
    assert store.get(task_id)["units_done"] == 1
    assert store.get(task_id)["progress"] == 0.75


def test_version_is_bumped_by_every_write(store):
    v0 = store.version
    record = store.create("backtest", {}, units_total=1)
    v1 = store.version
    store.request_cancel(record["task_id"])
    assert v0 < v1 < store.version


def test_queries_filter_by_status_strategy_and_time(store):
    a = store.create("backtest", {"strategy": "volume_zone_breakout"}, units_total=1)
    b = store.create("sweep", {"strategy": "volume_long_candle"}, units_total=1)
    store.request_cancel(a["task_id"])
    assert [r["task_id"] for r in store.tasks()] == [b["task_id"], a["task_id"]]
    assert [r["task_id"] for r in store.tasks(status="cancelled")] == [a["task_id"]]
    assert [r["task_id"] for r in store.tasks(strategy="volume_long_candle")] == [b["task_id"]]
    assert [r["task_id"] for r in store.tasks(since=b["created_at"])] == [b["task_id"]]
    with pytest.raises(TaskStateError, match="Unknown task status"):
        store.tasks(status="done")


def test_purge_removes_only_finished_tasks_and_their_files(store, tmp_path):
    done = running(store)
    store.finish_unit(done["task_id"], 1, 0, {"value": 1})
    store.finish(done["task_id"], "completed", attempt=1)
    folder = tmp_path / "store" / "results" / done["task_id"]
    folder.mkdir(parents=True)
    (folder / "x.parquet").write_bytes(b"x")
    active = store.create("backtest", {}, units_total=1)
    assert store.purge(older_than=3600) == 0
    assert store.purge() == 1
    assert not folder.exists()
    assert [r["task_id"] for r in store.tasks()] == [active["task_id"]]
    with pytest.raises(TaskNotFound):
        store.get(done["task_id"])


def test_a_pickled_store_carries_only_its_directory(store):
    record = store.create("backtest", {}, units_total=1)
    blob = pickle.dumps(store)
    assert len(blob) < 500
    copy = pickle.loads(blob)
    assert copy.get(record["task_id"]) == record


def test_cancel_racing_completion_keeps_the_first_terminal_state(store):
    """200 races of a worker completing against a user cancelling: never both, never flips."""
    outcomes = {"completed": 0, "cancelled": 0}
    for _ in range(200):
        task_id = running(store)["task_id"]
        barrier = threading.Barrier(2)
        seen = {}

        def complete(task_id=task_id, barrier=barrier, seen=seen):
            barrier.wait()
            seen["finish"] = store.finish(task_id, "completed", attempt=1, result={"path": "p"})

        def cancel(task_id=task_id, barrier=barrier, seen=seen):
            barrier.wait()
            try:
                seen["cancel"] = store.request_cancel(task_id)
            except TaskStateError as exc:
                seen["cancel"] = exc

        threads = [threading.Thread(target=complete), threading.Thread(target=cancel)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        final = store.get(task_id)
        if isinstance(seen["cancel"], TaskStateError):
            assert final["status"] == "completed" and final["result"] == {"path": "p"}
        else:  # the cancel was accepted first: the completion became a cancel
            assert final["status"] == "cancelled" and final["result"] is None
        assert seen["finish"] == final
        # and nothing changes it afterwards
        assert store.finish(task_id, "failed", attempt=1) is None
        with pytest.raises(TaskStateError):
            store.request_cancel(task_id)
        assert store.get(task_id) == final
        outcomes[final["status"]] += 1
    assert sum(outcomes.values()) == 200


def _hammer(directory, task_id, unit, n):
    store = TaskStore(directory)
    for i in range(n):
        store.report(task_id, 1, unit, i / n)
    store.finish_unit(task_id, 1, unit, {"value": unit})


def test_two_processes_writing_one_task_lose_nothing(store):
    task_id = running(store)["task_id"]
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_hammer, args=(store.directory, task_id, u, 200)) for u in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    record = store.get(task_id)
    assert record["units_done"] == 2 and record["progress"] == 1.0
    assert sorted(u["value"] for u in store.units(task_id).values()) == [0, 1]


def test_records_are_typed_and_read_like_the_stored_dicts(store):
    record = store.create("sweep", {"strategy": "s"}, units_total=3, owner="me")
    assert isinstance(record, TaskRecord) and record.status == record["status"] == "queued"
    assert record.get("error") is None and record.get("no such field", 1) == 1
    assert TaskRecord.from_dict(record.to_dict()) == record == record.to_dict()
    with pytest.raises(KeyError):
        record["no such field"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.status = "running"
    raw = store.cache.get(f"task:{record.task_id}")
    assert type(raw) is dict and raw == record.to_dict()  # plain data on disk
    assert TaskRecord.from_dict({"task_id": "t", "kind": "units", "spec": {}}).unit_pids == {}


def test_units_report_their_worker_pids_and_finished_units_drop_them(store):
    task_id = running(store)["task_id"]
    store.report(task_id, 1, 0, 0.1, pid=101)
    store.report(task_id, 1, 1, 0.1, pid=102)
    assert store.get(task_id).unit_pids == {"0": 101, "1": 102}
    store.finish_unit(task_id, 1, 0, {"value": 1})
    assert store.get(task_id).unit_pids == {"1": 102}


def test_a_running_orphan_is_reaped_once_its_heartbeat_is_old(store):
    task_id = running(store, owner="gone:1:x")["task_id"]  # heartbeat: now
    adopted, look_again = reap_orphans(store, "me", time_limit=60)
    assert adopted == [] and look_again <= store.get(task_id).heartbeat_at + QUIET_AFTER
    store.update(task_id, heartbeat_at=time.time() - QUIET_AFTER - 1)  # its workers went quiet
    adopted, _ = reap_orphans(store, "me", time_limit=60)
    assert [r.task_id for r in adopted] == [task_id]
    assert adopted[0].owner == "me" and adopted[0].attempt == 2
    assert adopted[0].message == "resumed: its runner gone:1:x stopped; kept 0/2 finished units"

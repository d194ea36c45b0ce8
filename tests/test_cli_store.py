"""``vzb store``: a backup taken while a sweep job runs restores to a store whose check
is clean once its unfinished task is resumed; check finds a deleted artifact and an
orphan folder and exits 1; stats count what the store holds; every argument has help."""

import io
import json
import os
import shutil
import time

import pytest

import vzb
from vzb.cli import main
from vzb.results.catalog import open_catalog
from vzb.results.sync import pending_ids
from vzb.strategies.registry import DEFAULT_STRATEGY


def _run(*argv):
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_backup_while_a_sweep_runs_restores_to_a_store_whose_check_is_clean(tmp_path):
    store, backup, restored = (str(tmp_path / name) for name in ("store", "backup", "restored"))
    candles = vzb.load_sample("BTC_USD")
    first = vzb.record(vzb.backtest(candles), tags=["before"], store=store)
    grid = {"volume_window": list(range(10, 40)), "top_percentile": [0.1, 0.2]}
    with vzb.JobRunner(store, max_workers=1) as runner:
        done = runner.submit(symbols="ETH_USD")
        done.result(timeout=120)
        deadline = time.monotonic() + 60
        while pending_ids(store) and time.monotonic() < deadline:  # the runner's sync
            time.sleep(0.05)  # thread writes its record (every 0.5 s): the backup has 2 runs
        task = runner.submit_sweep(DEFAULT_STRATEGY, grid, ["BTC_USD", "ETH_USD"], chunk_size=6)
        while task.status()["units_done"] < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        code, out = _run("store", "backup", backup, "--store", store)
        assert code == 0 and "2 runs" in out, out
        assert task.status()["status"] == "running"  # the backup did not wait for it
        table = task.result(timeout=180)
    assert _run("store", "check", "--store", store) == (0, f"store {store}: no problems\n")

    shutil.rmtree(store)  # restored on another machine: the original is not there
    code, out = _run("store", "restore", backup, "--store", restored)
    assert code == 0 and out.startswith(f"restored 2 runs (0 pending) into {restored}\n")
    assert f"task {task.task_id} (sweep) is running without a live runner" in out
    code, out = _run("store", "check", "--store", restored)
    assert code == 1 and f"task {task.task_id} (sweep) is running" in out
    catalog = open_catalog(restored)
    assert catalog.ids() == {first, done.task_id}
    for artifact in catalog.artifacts():  # local artifacts moved with the store
        assert artifact["uri"].startswith(os.path.join(restored, "results", artifact["run_id"]))
    time.sleep(3.1)  # reaping.QUIET_AFTER: the copied task's last heartbeat is old enough
    # the resumed sweep combines the units done before the backup, from the restored store
    code, out = _run("jobs", "resume", "--store", restored, "--workers", "1", "--timeout", "180")
    assert code == 0 and f"{task.task_id} completed" in out, out
    assert _run("store", "check", "--store", restored) == (0, f"store {restored}: no problems\n")
    assert catalog.ids() == {first, done.task_id, task.task_id}
    resumed = vzb.run(task.task_id, store=restored).result
    assert resumed.equals(table)


def test_a_restored_store_needs_nothing_from_the_original(tmp_path, monkeypatch):
    store, backup, restored = (str(tmp_path / name) for name in ("store", "backup", "restored"))
    candles = vzb.load_sample("BTC_USD")
    with vzb.JobRunner(store, max_workers=1) as runner:
        task = runner.submit(symbols="ETH_USD")
        expected = task.result(timeout=120)
    monkeypatch.setenv("VZB_CATALOG_URL", "postgresql+psycopg://vzb@127.0.0.1:1/down")
    with pytest.warns(UserWarning, match="not in the catalog yet"):
        waiting = vzb.record(vzb.backtest(candles), store=store)  # the catalog is down
    monkeypatch.delenv("VZB_CATALOG_URL")
    assert _run("store", "backup", backup, "--store", store)[0] == 0
    shutil.rmtree(store)

    code, out = _run("store", "restore", backup, "--store", restored)
    assert code == 0 and out.startswith(f"restored 1 run (1 pending) into {restored}\n"), out
    assert _run("store", "sync", "--store", restored) == (0, "wrote 1 record; 0 still pending\n")
    assert _run("store", "check", "--store", restored) == (0, f"store {restored}: no problems\n")
    assert vzb.run(waiting, store=restored).result.stats.equals(vzb.backtest(candles).stats)
    with vzb.JobRunner(restored, max_workers=1) as runner:  # the task reads its result there
        assert runner.status(task.task_id)["result"]["path"].startswith(restored)
        assert runner.result(task.task_id).stats.equals(expected.stats)


def test_check_finds_a_deleted_artifact_and_an_orphan_folder_and_exits_1(tmp_path):
    store = str(tmp_path / "store")
    candles = vzb.load_sample("BTC_USD")
    ids = [vzb.record(vzb.backtest(candles, fees=f), store=store) for f in (0.0, 0.001)]
    assert _run("store", "check", "--store", store)[0] == 0
    victim = os.path.join(store, "results", ids[1], "result", "positions.parquet")
    os.remove(victim)
    os.makedirs(os.path.join(store, "results", "stray"))
    code, out = _run("store", "check", "--store", store)
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == f"store {store}: 2 problem(s)"
    assert lines[1] == f"  run {ids[1]}: artifact result/positions.parquet missing: {victim}"
    assert lines[2].startswith(f"  orphan folder {os.path.join(store, 'results', 'stray')}")
    shutil.rmtree(os.path.join(store, "results", "stray"))
    assert _run("store", "check", "--store", store, "--sizes-only")[0] == 1


def test_stats_count_tasks_runs_and_disk(tmp_path):
    store = str(tmp_path / "store")
    candles = vzb.load_sample("BTC_USD")
    vzb.record(vzb.backtest(candles), store=store)
    table = vzb.sweep(candles, DEFAULT_STRATEGY, {"volume_window": [10, 20]})
    vzb.record(table, candles=candles, strategy=DEFAULT_STRATEGY, store=store)
    with vzb.JobRunner(store, max_workers=1) as runner:
        runner.submit(symbols="BTC_USD").result(timeout=120)
        failing = runner.submit_units("vzb.jobs.units:sleep", [{"seconds": 0, "fail": "broken"}])
        failing.wait(timeout=60)
    code, out = _run("store", "stats", "--store", store, "--json")
    figures = json.loads(out)
    assert code == 0 and figures["runs"] == {"backtest": 2, "sweep": 1}
    assert figures["tasks"] == {"completed": 1, "failed": 1}
    assert figures["failed_last_day"] == 1 and figures["pending"] == 0
    used = sum(
        os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(store) for f in files
    )
    assert abs(figures["disk_bytes"] - used) < 0.05 * used  # the store grows as we look
    assert figures["oldest_run"] <= figures["newest_run"]
    code, out = _run("store", "stats", "--store", store)
    assert "runs         backtest 2, sweep 1" in out and "failed (24h) 1 task" in out


def test_every_store_argument_has_help(capsys):
    import argparse

    from vzb.cli import _parser

    parser = _parser()
    store = next(
        a for a in parser._subparsers._group_actions[0].choices["store"]._actions
        if isinstance(a, argparse._SubParsersAction)
    )  # fmt: skip
    for name, sub in store.choices.items():
        for action in sub._actions:
            assert action.help, f"vzb store {name} {action.dest} has no help"

"""Nothing lost while a part is down: the catalog database stopped while a job runs, the
S3 server stopped while a run is recorded. The task completes, the result stays in the
store, and the record arrives once the part is back (the runner retries; so do
``vzb store sync`` and ``vzb.runs()``)."""

import io
import os
import time

import boto3
import pytest

import vzb
from vzb.cli import main
from vzb.results.catalog import open_catalog
from vzb.results.sync import pending_ids
from vzb.strategies.registry import DEFAULT_STRATEGY


def _eventually(check, timeout=40.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s")


def test_a_job_finished_while_the_database_is_down_is_recorded_when_it_is_back(
    postgres_server, tmp_path, monkeypatch
):
    url = postgres_server.new_database()
    monkeypatch.setenv("VZB_CATALOG_URL", url)
    store = str(tmp_path / "store")
    assert open_catalog(store).count() == 0  # the schema exists; then the server goes
    grid = {"volume_window": list(range(10, 25)), "top_percentile": [0.1, 0.2, 0.3]}
    with vzb.JobRunner(store, max_workers=1) as runner:
        task = runner.submit_sweep(DEFAULT_STRATEGY, grid, ["BTC_USD", "ETH_USD"], chunk_size=5)
        _eventually(lambda: task.status()["status"] == "running")
        postgres_server.stop()
        try:
            assert task.wait(timeout=120)["status"] == "completed"  # the task completes
            assert pending_ids(store) == [task.task_id]  # its record waits in the store
            table = task.result()
            assert len(table) == 2 * 45
            _eventually(lambda: runner._record_sync.last["error"] is not None)
            assert "catalog unreachable" in runner._record_sync.last["error"]
        finally:
            postgres_server.start()
        # the runner's sync thread retries: the record arrives without anyone asking
        record = _eventually(lambda: open_catalog(store).get(task.task_id))
    assert pending_ids(store) == []
    assert record["kind"] == "sweep" and record["n_sets"] == 45
    assert record["stats"]["Sharpe Ratio"] == pytest.approx(
        table.groupby(["volume_window", "top_percentile"])["Sharpe Ratio"].mean().max()
    )


def test_a_direct_record_waits_for_vzb_store_sync_while_the_database_is_down(
    postgres_server, tmp_path, monkeypatch
):
    url = postgres_server.new_database()
    monkeypatch.setenv("VZB_CATALOG_URL", url)
    store = str(tmp_path / "store")
    result = vzb.backtest(vzb.load_sample("BTC_USD"))
    postgres_server.stop()
    try:
        with pytest.warns(UserWarning, match="not in the catalog yet"):
            run_id = vzb.record(result, tags=["outage"], store=store)
        out = io.StringIO()
        assert main(["store", "sync", "--store", store], out=out) == 1
        assert (
            "0 records; 1 still pending" in out.getvalue()
            and "catalog unreachable" in out.getvalue()
        )
    finally:
        postgres_server.start()
    out = io.StringIO()
    assert main(["store", "sync", "--store", store], out=out) == 0
    assert out.getvalue() == "wrote 1 record; 0 still pending\n"
    assert open_catalog(store).get(run_id)["tags"] == ["outage"]


def test_a_run_recorded_while_s3_is_down_arrives_when_it_is_back(s3_server, tmp_path):
    store = str(tmp_path / "store")
    url = f"s3://{s3_server.bucket}/outage"
    vzb.configure(results_url=url, storage_options=s3_server.storage_options)
    try:
        result = vzb.backtest(vzb.load_sample("BTC_USD"))
        s3_server.stop()
        try:
            with pytest.warns(UserWarning, match="artifact store unreachable"):
                run_id = vzb.record(result, store=store)
            assert pending_ids(store) == [run_id]
            assert open_catalog(store).get(run_id) is None
        finally:
            s3_server.start()
        found = vzb.runs(store=store)  # writes what waits first
        assert list(found["run_id"]) == [run_id] and pending_ids(store) == []
        artifacts = open_catalog(store).artifacts([run_id])
        keys = {
            o["Key"]
            for o in boto3.client("s3", endpoint_url=s3_server.endpoint).list_objects_v2(
                Bucket=s3_server.bucket, Prefix=f"outage/{run_id}/"
            )["Contents"]
        }
        assert keys == {f"outage/{run_id}/{a['name']}" for a in artifacts}
        assert vzb.run(run_id, store=store).result.stats.equals(result.stats)
    finally:
        vzb.configure(results_url=None, storage_options=None)


def test_a_damaged_pending_record_is_set_aside_and_reported(tmp_path):
    store = str(tmp_path / "store")
    good = vzb.record(vzb.backtest(vzb.load_sample("BTC_USD")), store=store)
    os.makedirs(os.path.join(store, "pending"), exist_ok=True)
    with open(os.path.join(store, "pending", "broken.json"), "w") as f:
        f.write('{"run_id": "broken", "kind": ')  # a write cut short
    assert list(vzb.runs(store=store)["run_id"]) == [good]  # the rest is not blocked
    out = io.StringIO()
    assert main(["store", "check", "--store", store], out=out) == 1
    assert "damaged pending record" in out.getvalue() and "broken.json.damaged" in out.getvalue()

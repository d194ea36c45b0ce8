"""Walk-forward as a job: the same result as ``vzb.walk_forward``, through killed workers,
cancels and a runner that died (real loky workers, real stores in tmp dirs)."""

from __future__ import annotations

import os
import re
import signal
import time

import numpy as np
import pandas as pd
import pytest
from jobs_helpers import finish_orphan

import vzb
from vzb.analysis.walkforward import WalkForwardResult
from vzb.errors import ParameterError, UnknownSymbolError
from vzb.jobs import JobRunner
from vzb.jobs.planning import build_units

STRATEGY = "volume_zone_breakout"
GRID = {"volume_window": [5, 10, 20], "top_percentile": [0.1, 0.2]}
BIG_GRID = {"volume_window": list(range(5, 25)), "top_percentile": [0.1, 0.2, 0.3]}
SYMBOLS = ["BTC_USD", "ETH_USD"]


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    """A ledger of trials of this test alone (the workers inherit it when they start)."""
    monkeypatch.setenv("VZB_HOME", str(tmp_path / "home"))


@pytest.fixture
def runner(tmp_path):
    r = JobRunner(tmp_path / "store", max_workers=2)
    yield r
    r.close(timeout=10)


def direct(symbols, grid, **kwargs) -> WalkForwardResult:
    symbols = [symbols] if isinstance(symbols, str) else symbols
    candles = {s: vzb.load_candles(s) for s in symbols}
    return vzb.walk_forward(candles if len(symbols) > 1 else candles[symbols[0]], STRATEGY, grid,
                            **kwargs)  # fmt: skip


def assert_same(job: WalkForwardResult, ref: WalkForwardResult) -> None:
    pd.testing.assert_frame_equal(job.folds, ref.folds)
    pd.testing.assert_series_equal(job.equity, ref.equity)
    pd.testing.assert_series_equal(job.stats, ref.stats)
    pd.testing.assert_frame_equal(job.positions, ref.positions, check_dtype=False)
    pd.testing.assert_frame_equal(job.in_sample, ref.in_sample)
    pd.testing.assert_frame_equal(job.parameter_stability, ref.parameter_stability)
    assert set(job.overfitting) == set(ref.overfitting)
    for name, value in ref.overfitting.items():
        if name == "pbo_logits":
            np.testing.assert_array_equal(job.overfitting[name], value)
        elif isinstance(value, float) and np.isnan(value):
            assert np.isnan(job.overfitting[name])
        else:
            assert job.overfitting[name] == value, name
    assert (job.objective, job.parameters, job.swept, job.strategy) == (
        ref.objective, ref.parameters, ref.swept, ref.strategy,
    )  # fmt: skip


def test_walk_forward_job_equals_the_direct_call_and_reports_each_fold(runner):
    kwargs = {"train": 365, "test": 180, "purge": 2, "fees": 0.001}
    task = runner.submit_walk_forward(STRATEGY, BIG_GRID, symbols="btc/usd", chunk_size=6,
                                      **kwargs)  # fmt: skip
    record = runner.status(task.task_id)
    assert record["kind"] == "walk_forward"
    assert record["units_total"] == 9 * 10  # 8 folds and all the candles, 10 chunks each
    seen = set()
    while (record := runner.status(task.task_id))["status"] in ("queued", "running"):
        seen.add(record["message"])
        time.sleep(0.002)
    assert record["status"] == "completed", record["message"]
    job = task.result()
    assert_same(job, direct("BTC_USD", BIG_GRID, **kwargs))
    assert any(re.match(r"fold [1-8]/8, training", m) for m in seen), seen
    assert record["result"]["overfitting"]["n_trials"] == len(job.in_sample) == 60
    assert isinstance(runner.result(task.task_id), WalkForwardResult)  # read again from disk


def test_walk_forward_job_of_two_symbols_time_windows_and_anchored(runner):
    # ETH starts later than BTC: its first training windows hold no ETH candles
    kwargs = {"train": "730D", "test": "365D", "anchored": True, "objective": "Return [%]"}
    task = runner.submit_walk_forward(STRATEGY, GRID, symbols=SYMBOLS, **kwargs)
    units = build_units("walk_forward", runner.status(task.task_id)["spec"])
    assert {len(u["kwargs"]["symbols"]) for u in units} == {1, 2}
    assert_same(task.result(timeout=180), direct(SYMBOLS, GRID, **kwargs))


def test_random_draw_is_stored_and_equals_the_direct_call(runner):
    grid = {"volume_window": list(range(5, 60)), "top_percentile": [0.1, 0.2, 0.3]}
    task = runner.submit_walk_forward(STRATEGY, grid, symbols="ETH_USD", train=400, test=200,
                                      n_iter=5, seed=3)  # fmt: skip
    ref = direct("ETH_USD", grid, train=400, test=200, n_iter=5, seed=3)
    assert_same(task.result(timeout=180), ref)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"strategy": "no_such_strategy"}, ParameterError, "Unknown strategy"),
        ({"grid": {"volume_windw": [5]}}, ParameterError, "volume_window"),
        ({"objective": "Sharpe"}, ParameterError, "not a stat"),
        ({"train": 100_000}, ParameterError, "no complete fold"),
        ({"test": 0}, ParameterError, "test=0"),
        ({"step": 100}, ParameterError, "shorter than test"),
        ({"purge": -1}, ParameterError, "purge"),
        ({"train": "forever"}, ParameterError, "train='forever'"),
        ({"symbols": "DOGE_USD"}, UnknownSymbolError, "DOGE_USD"),
        ({"fees": 0.9}, ParameterError, "fees"),
        ({"start": "2030-01-01"}, UnknownSymbolError, "No BTC_USD 1d candles"),
    ],
)
def test_bad_walk_forward_requests_store_nothing(runner, kwargs, error, match):
    request = {"strategy": STRATEGY, "grid": GRID, "train": 365, "test": 180, **kwargs}
    version = runner.store.version
    with pytest.raises(error, match=match):
        runner.submit_walk_forward(request.pop("strategy"), request.pop("grid"), **request)
    assert runner.store.tasks() == []
    assert runner.store.version == version


def test_cancel_a_running_walk_forward(runner):
    task = runner.submit_walk_forward(STRATEGY, BIG_GRID, symbols="BTC_USD", train=365,
                                      test=180, chunk_size=2)  # fmt: skip
    deadline = time.monotonic() + 60
    while runner.status(task.task_id)["units_done"] < 2 and time.monotonic() < deadline:
        time.sleep(0.005)
    task.cancel()
    final = task.wait(timeout=30)
    assert final["status"] == "cancelled"
    assert final["units_done"] < final["units_total"]


def test_a_worker_killed_mid_walk_forward_changes_nothing(runner):
    kwargs = {"train": 365, "test": 180}
    task = runner.submit_walk_forward(STRATEGY, BIG_GRID, symbols="BTC_USD", chunk_size=3,
                                      **kwargs)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        record = runner.status(task.task_id)
        if record["units_done"] >= 10 and record["unit_pids"]:
            break
        time.sleep(0.002)
    os.kill(next(iter(record["unit_pids"].values())), signal.SIGKILL)
    final = runner.wait(task.task_id, timeout=180)
    assert final["status"] == "completed", final["message"]
    assert "re-queued: its worker process died" in final["message"]
    assert_same(task.result(), direct("BTC_USD", BIG_GRID, **kwargs))


OWNER_WALK_FORWARD = """
import os, signal, sys, time
from vzb.jobs import JobRunner
grid = {"volume_window": list(range(5, 25)), "top_percentile": [0.1, 0.2, 0.3]}
runner = JobRunner(sys.argv[1], max_workers=2)
task = runner.submit_walk_forward("volume_zone_breakout", grid, symbols="BTC_USD", train=365,
                                  test=180, chunk_size=3, fees=0.001)
print(task.task_id, flush=True)
while runner.status(task.task_id)["units_done"] < 12:
    time.sleep(0.002)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_owner_killed_mid_walk_forward_a_new_runner_finishes_it(tmp_path):
    directory = str(tmp_path / "store")
    runner, task_id = finish_orphan(OWNER_WALK_FORWARD, directory, tmp_path, units=12, timeout=180)
    with runner:
        job = runner.result(task_id)
    assert_same(job, direct("BTC_USD", BIG_GRID, train=365, test=180, fees=0.001))

"""Backtests and sweeps as jobs: same results as direct calls, on loky and on dask."""

from __future__ import annotations

import os
import time

import pandas as pd
import pytest
from jobs_helpers import finish_orphan

import vzb
from vzb.engine.backtesting import backtest
from vzb.engine.plan import parameter_sets
from vzb.engine.sweeps import sweep
from vzb.errors import ParameterError, UnknownSymbolError
from vzb.jobs import JobRunner, TaskStore
from vzb.jobs.planning import build_units
from vzb.jobs.requests import sweep_spec
from vzb.results import load_result, save_result
from vzb.strategies import Parameter, Strategy, register_strategy, unregister_strategy

GRID = {"volume_window": [5, 10, 20], "top_percentile": [0.1, 0.2, 0.3], "hold_period_bars": [1, 3]}
SYMBOLS = ["BTC_USD", "ETH_USD"]


@pytest.fixture
def runner(tmp_path):
    r = JobRunner(tmp_path / "store", max_workers=2)
    yield r
    r.close(timeout=10)


def candles():
    return {s: vzb.load_candles(s) for s in SYMBOLS}


def test_backtest_job_equals_a_direct_backtest(runner, tmp_path):
    task = runner.submit(symbols=SYMBOLS, params={"volume_window": 20}, fees=0.0005)
    result = task.result(timeout=120)
    direct = backtest(candles(), params={"volume_window": 20}, fees=0.0005)
    pd.testing.assert_series_equal(result.stats, direct.stats)
    # the job's result went through Parquet: compare with the direct result saved too
    direct = load_result(save_result(direct, tmp_path / "direct"))
    pd.testing.assert_frame_equal(result.positions, direct.positions)
    record = runner.status(task.task_id)
    assert record["units_total"] == 2 and record["result"]["path"].startswith(
        runner.store.directory
    )
    assert record["result"]["stats"]["# Trades"] == direct.stats["# Trades"]


def test_single_symbol_backtest_job(runner):
    task = runner.submit(
        "volume_long_candle", symbols="ETH_USD", start="2017-01-01", end="2019-01-01"
    )
    result = task.result(timeout=120)
    direct = backtest(
        vzb.load_candles("ETH_USD", start="2017-01-01", end="2019-01-01"), "volume_long_candle"
    )
    pd.testing.assert_series_equal(result.stats, direct.stats)


def test_sweep_job_equals_a_direct_sweep(runner):
    task = runner.submit_sweep("volume_zone_breakout", GRID, symbols=SYMBOLS, fees=0.001)
    table = task.result(timeout=120)
    direct = sweep(candles(), "volume_zone_breakout", GRID, fees=0.001)
    pd.testing.assert_frame_equal(table, direct)
    assert runner.status(task.task_id)["units_total"] > 1  # it was split
    # the first result() hands over the table combined in memory; later ones read the file
    pd.testing.assert_frame_equal(task.result(), table)
    assert table is not task.result()


def test_a_larger_sweep_is_cut_into_more_units_than_workers_and_equals_a_direct_one(runner):
    grid = {
        "volume_window": list(range(5, 505)),
        "top_percentile": [0.1, 0.2, 0.3],
        "hold_period_bars": [1, 3],
    }  # 6000 runs (sets x symbols): three units' worth of MIN_UNIT_WORK
    task = runner.submit_sweep("volume_long_candle", {"vol_ma_window": [5, 10]}, SYMBOLS)
    assert runner.status(task.task_id)["units_total"] == 2  # small: one unit per worker
    task = runner.submit_sweep("volume_zone_breakout", grid, symbols=SYMBOLS)
    table = task.result(timeout=120)
    record = runner.status(task.task_id)
    assert record["units_total"] > 2 and record["units_done"] == record["units_total"]
    pd.testing.assert_frame_equal(table, sweep(candles(), "volume_zone_breakout", grid))


def test_a_sweep_stored_by_an_older_vzb_is_refused_not_cut_differently():
    # its finished units were cut another way: resuming would mix up parameter sets
    spec = {"strategy": "volume_zone_breakout", "symbols": ["BTC_USD"], "chunk_size": 4}
    spec["grid"] = {"volume_window": [5, 10, 20], "top_percentile": [0.1, 0.2, 0.3]}
    with pytest.raises(ValueError, match="stored by an older vzb"):
        build_units("sweep", spec)


def test_random_sweep_job_is_reproducible(runner):
    grid = {"volume_window": list(range(5, 40)), "top_percentile": [0.1, 0.2, 0.3]}
    a = runner.submit_sweep("volume_zone_breakout", grid, n_iter=12, seed=7, chunk_size=5)
    b = runner.submit_sweep("volume_zone_breakout", grid, n_iter=12, seed=7, chunk_size=3)
    pd.testing.assert_frame_equal(a.result(timeout=120), b.result(timeout=120))
    assert len(a.result()) == 12


def test_random_sweep_job_without_seed_draws_its_sets_once(runner):
    grid = {"volume_window": list(range(5, 60)), "top_percentile": [0.1, 0.2, 0.3]}
    task = runner.submit_sweep("volume_zone_breakout", grid, n_iter=10, chunk_size=3)
    table = task.result(timeout=120)
    spec = runner.status(task.task_id)["spec"]
    assert isinstance(spec["seed"], int)
    sets = parameter_sets("volume_zone_breakout", grid, n_iter=10, seed=spec["seed"])
    assert table[list(sets[0])].to_dict("records") == sets
    # units cut again from the stored spec (as a resuming runner does) hold the same sets
    units = build_units("sweep", spec)
    assert sorted(k for u in units for k in u["set_indices"]) == list(range(10))
    assert all(u["kwargs"]["param_sets"] == [sets[k] for k in u["set_indices"]] for u in units)


def test_a_random_sweep_resumed_by_another_runner_draws_the_stored_sets(tmp_path):
    grid = {"volume_window": list(range(5, 60)), "top_percentile": [0.1, 0.2, 0.3]}
    spec, sets = sweep_spec("volume_zone_breakout", grid, "BTC_USD", n_iter=6, chunk_size=2)
    store = TaskStore(tmp_path / "s")
    task_id = store.create("sweep", spec, units_total=3, owner="gone:1:x")["task_id"]
    with JobRunner(store, max_workers=2) as runner:  # adopts the orphaned task
        table = runner.result(task_id, timeout=120)
    assert table[list(sets[0])].to_dict("records") == sets


def up_close(open, high, low, close, volume, min_move=0.0, hold_period_bars=1):
    """A user strategy: the close is above the open by min_move."""
    return close - open > min_move


UP_CLOSE = Strategy(
    "up_close_jobs",
    [Parameter("min_move", 0.0, float, low=0.0), Parameter("hold_period_bars", 1, int, low=1)],
    up_close,
)


@pytest.fixture
def registered():
    """A built-in under a new name and a strategy of this test module, both registered."""
    register_strategy("vzb.strategies.volume_long_candle:STRATEGY", name="vlc_jobs_copy")
    register_strategy(f"{__name__}:UP_CLOSE")
    yield
    unregister_strategy("vlc_jobs_copy")
    unregister_strategy("up_close_jobs")


def test_a_strategy_registered_by_name_runs_in_the_workers(runner, registered):
    task = runner.submit("vlc_jobs_copy", symbols="BTC_USD")
    direct = backtest(vzb.load_candles("BTC_USD"), "vlc_jobs_copy")
    pd.testing.assert_series_equal(task.result(timeout=120).stats, direct.stats)
    user = runner.submit("up_close_jobs", {"min_move": 10.0}, symbols=SYMBOLS)
    assert runner.status(user.task_id)["spec"]["strategy"] == f"{__name__}:UP_CLOSE"
    direct = backtest(candles(), "up_close_jobs", {"min_move": 10.0})
    pd.testing.assert_series_equal(user.result(timeout=120).stats, direct.stats)
    grid = {"min_move": [0.0, 10.0, 50.0], "hold_period_bars": [1, 2]}
    table = runner.submit_sweep("up_close_jobs", grid, symbols=SYMBOLS).result(timeout=120)
    pd.testing.assert_frame_equal(table, sweep(candles(), "up_close_jobs", grid))


def test_symbols_are_spelt_as_the_catalog_spells_them(runner):
    task = runner.submit(symbols=["btc_usd", "BTC/USD", "eth/usd"])
    assert runner.status(task.task_id)["spec"]["symbols"] == ["BTC_USD", "ETH_USD"]
    assert task.wait(timeout=120)["status"] == "completed"


def test_dates_follow_the_catalog_a_date_only_end_covers_its_day(runner):
    task = runner.submit(symbols="BTC_USD", timeframe="1h", start="2019-10-16", end="2019-10-16")
    equity = task.result(timeout=120).equity
    assert len(equity) == 24
    assert equity.index[-1] == pd.Timestamp("2019-10-16 23:00", tz="UTC")


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda r: r.submit("no_such_strategy"), ParameterError, "Unknown strategy"),
        (lambda r: r.submit(params={"volume_windw": 5}), ParameterError, "volume_window"),
        (lambda r: r.submit(params={"volume_window": -1}), ParameterError, "volume_window"),
        (lambda r: r.submit(symbols="DOGE_USD"), UnknownSymbolError, "DOGE_USD"),
        (lambda r: r.submit(symbols=[]), ParameterError, "symbols is empty"),
        (lambda r: r.submit(timeframe="2d"), ParameterError, "timeframe='2d'"),
        (lambda r: r.submit(symbols="ETH_USD", timeframe="1h"), UnknownSymbolError, "1h"),
        (lambda r: r.submit(start="not a date"), ParameterError, "start='not a date'"),
        (lambda r: r.submit(start="2030-01-01"), UnknownSymbolError, "No BTC_USD 1d candles"),
        (
            lambda r: r.submit(symbols=["BTC_USD", "ETH_USD"], end="2015-06-01"),
            UnknownSymbolError,
            "No ETH_USD 1d candles until 2015-06-01",
        ),
        (
            lambda r: r.submit_sweep("volume_zone_breakout", GRID, start="2030-01-01"),
            UnknownSymbolError,
            "pick dates inside that range",
        ),
        (lambda r: r.submit(symbols=[""]), ParameterError, "non-empty string"),
        (lambda r: r.submit(start="2020-01-01", end="2019-01-01"), ParameterError, "after"),
        (lambda r: r.submit(fees=0.9), ParameterError, "fees"),
        (lambda r: r.submit(fil="close"), ParameterError, "Did you mean 'fill'"),
        (
            lambda r: r.submit_sweep("volume_zone_breakout", {"num_bins": [0, 10]}),
            ParameterError,
            "num_bins",
        ),
        (
            lambda r: r.submit_sweep("volume_zone_breakout", GRID, chunk_size=0),
            ParameterError,
            "chunk_size",
        ),
    ],
)
def test_bad_requests_are_rejected_and_nothing_is_stored(runner, call, error, match):
    version = runner.store.version
    with pytest.raises(error, match=match):
        call(runner)
    assert runner.store.tasks() == []
    assert runner.store.version == version


OWNER_SWEEP = """
import os, signal, sys, time
from vzb.jobs import JobRunner
grid = {"volume_window": list(range(5, 45)), "top_percentile": [0.1, 0.2, 0.3]}
runner = JobRunner(sys.argv[1], max_workers=2)
task = runner.submit_sweep("volume_zone_breakout", grid, symbols=["BTC_USD", "ETH_USD"],
                           chunk_size=3, fees=0.001)
print(task.task_id, flush=True)
while runner.status(task.task_id)["units_done"] < 4:
    time.sleep(0.002)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_owner_killed_mid_sweep_a_new_runner_finishes_it(tmp_path):
    directory = str(tmp_path / "store")
    runner, task_id = finish_orphan(OWNER_SWEEP, directory, tmp_path, units=4, timeout=120)
    with runner:
        table = runner.result(task_id)
        grid = {"volume_window": list(range(5, 45)), "top_percentile": [0.1, 0.2, 0.3]}
        again = runner.submit_sweep("volume_zone_breakout", grid, symbols=SYMBOLS, fees=0.001)
        pd.testing.assert_frame_equal(table, again.result(timeout=120))


def test_cancel_a_running_sweep(tmp_path):
    grid = {"volume_window": list(range(5, 200)), "top_percentile": [0.1, 0.15, 0.2, 0.3]}
    with JobRunner(tmp_path / "s", max_workers=2) as runner:
        task = runner.submit_sweep("volume_zone_breakout", grid, symbols="BTC_USD", chunk_size=4)
        deadline = time.monotonic() + 60
        while runner.status(task.task_id)["units_done"] < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        task.cancel()
        final = task.wait(timeout=30)
    assert final["status"] == "cancelled"
    assert final["units_done"] < final["units_total"]


def test_dask_cluster_sweep_gives_the_same_table_as_loky(tmp_path, runner):
    distributed = pytest.importorskip("distributed")
    loky_table = runner.submit_sweep("volume_zone_breakout", GRID, symbols=SYMBOLS).result(120)
    with (
        distributed.LocalCluster(  # a worker process: units cross a process boundary
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        with JobRunner(tmp_path / "dask", executor=client) as r:
            assert r.remote  # dask workers may not see the disk: only this process writes
            assert r.max_workers == 1  # the cluster's threads
            task = r.submit_sweep("volume_zone_breakout", GRID, symbols=SYMBOLS)
            dask_table = task.result(timeout=120)
            assert os.path.exists(r.status(task.task_id)["result"]["path"])
    pd.testing.assert_frame_equal(dask_table, loky_table)

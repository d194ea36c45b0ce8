"""Downloads as background tasks, and a backtest that waits for one (the replaced service's
request: volume_zone_breakout on BTC_KRW and ETH_KRW, daily, 2024)."""

from __future__ import annotations

import time

import pandas as pd
import pytest
from jobs_helpers import run_and_kill_owner

import vzb
from vzb.data.exchange_server import ExchangeServer
from vzb.data.stored import read_meta, read_stored
from vzb.errors import ParameterError
from vzb.jobs import JobRunner
from vzb.widgets import JobPanel

PARAMS = {"volume_window": 10, "top_percentile": 0.2, "breakout_buffer": 0.0}


@pytest.fixture(scope="module")
def server():
    with ExchangeServer.demo(
        ["BTC_KRW", "ETH_KRW"], ["1d", "1h"], start="2023-06-01", end="2025-01-01", quiet=0.05
    ) as s:
        yield s


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    r = JobRunner(tmp_path_factory.mktemp("store"), max_workers=2)  # workers started once
    yield r
    r.close(timeout=10)


def test_the_replaced_services_request_runs_on_downloaded_candles(server, runner, tmp_path):
    data = tmp_path / "candles"
    download = runner.submit_download(
        ["BTC_KRW", "KRW-ETH"], "1d", start="2024-01-01", end="2024-12-31",
        api_url=server.url, data_dir=data,
    )  # fmt: skip
    backtest = runner.submit(
        "volume_zone_breakout", PARAMS, ["BTC_KRW", "ETH_KRW"], start="2024-01-01",
        end="2024-12-31", data_dir=str(data), after=download,
    )  # fmt: skip
    grid = {"volume_window": [5, 10], "top_percentile": [0.2]}
    sweep = runner.submit_sweep(
        "volume_zone_breakout", grid, ["BTC_KRW", "ETH_KRW"], start="2024-01-01",
        end="2024-12-31", data_dir=str(data), after=download,
    )  # fmt: skip
    assert "download BTC_KRW, ETH_KRW 1d from upbit" in repr(JobPanel(runner, autostart=False))
    summaries = download.result(timeout=120)
    assert [s["symbol"] for s in summaries] == ["BTC_KRW", "ETH_KRW"]
    assert all(s["rows"] == 366 and s["exchange"] == "upbit" for s in summaries)
    record = runner.status(download.task_id)
    assert record["status"] == "completed" and record["progress"] == 1.0
    result = backtest.result(timeout=120)
    candles = {s: vzb.load_candles(s, "1d", "2024-01-01", "2024-12-31", data_dir=data)
               for s in ("BTC_KRW", "ETH_KRW")}  # fmt: skip
    assert all(len(c) == 366 and c.attrs["exchange"] == "upbit" for c in candles.values())
    direct = vzb.backtest(candles, "volume_zone_breakout", PARAMS)
    assert result.stats.equals(direct.stats)
    assert result.total_signals == direct.total_signals > 0
    pd.testing.assert_frame_equal(
        sweep.result(timeout=120), vzb.sweep(candles, "volume_zone_breakout", grid)
    )
    # started only once the download was in
    for waited in (backtest, sweep):
        assert runner.status(waited.task_id)["started_at"] >= record["finished_at"]


def test_a_backtest_waiting_for_a_failed_download_fails_and_says_why(server, runner, tmp_path):
    download = runner.submit_download(
        "DOGE_KRW", start="2024-01-01", api_url=server.url, data_dir=tmp_path
    )
    backtest = runner.submit(
        "volume_zone_breakout", PARAMS, "DOGE_KRW", data_dir=str(tmp_path), after=download
    )
    assert runner.wait(download.task_id, timeout=60)["status"] == "failed"
    record = runner.wait(backtest.task_id, timeout=60)
    assert record["status"] == "failed"
    assert f"waited for task {download.task_id}, which was failed" in record["error"]["message"]
    assert "no market DOGE_KRW" in record["error"]["message"]


def test_a_download_task_cancels_between_pages_and_a_new_one_fetches_the_rest(tmp_path):
    with ExchangeServer.demo(["BTC_KRW"], ["1h"], start="2024-09-01", end="2025-01-01",
                             per_second=10) as slow:  # fmt: skip
        starts = slow.books[("BTC_KRW", "1h")].starts
        with JobRunner(tmp_path / "store", max_workers=1) as runner:
            kwargs = dict(start="2024-09-01", end="2024-12-31", api_url=slow.url,
                          data_dir=tmp_path / "candles")  # fmt: skip
            task = runner.submit_download("BTC_KRW", "1h", **kwargs)
            deadline = time.monotonic() + 60
            while runner.status(task.task_id)["progress"] < 0.05 < deadline - time.monotonic():
                time.sleep(0.02)
            record = runner.status(task.task_id)
            assert "BTC_KRW: " in record["message"] and " candles" in record["message"]
            runner.cancel(task.task_id)
            assert runner.wait(task.task_id, timeout=30)["status"] == "cancelled"
            path = tmp_path / "candles" / "BTC_KRW_1h.parquet"
            kept, _ = read_stored(path)
            assert 0 < len(kept) < len(starts)
            asked = len(slow.requests)
            again = runner.submit_download("BTC_KRW", "1h", **kwargs)
            [summary] = again.result(timeout=120)
    # the second task asked only for the rest: together, one answered request per page
    # (a 429 may come in between: the new task's first requests fall in the same second)
    answered = [r["to"] for r in slow.requests if r["status"] == 200]
    pages = -(-len(starts) // 200)
    assert asked < pages and len(answered) == len(set(answered)) == pages
    assert read_meta(path)["fetched"] == [[1725148800, 1735689600]]
    stored, _ = read_stored(path)
    assert stored.index.asi8.tolist() == (starts * 10**9).tolist()
    assert summary["rows"] == (1735689600 - int(starts[0])) // 3600


def test_a_download_whose_runner_was_killed_is_finished_by_the_next_runner(server, tmp_path):
    directory = str(tmp_path / "store")
    data = tmp_path / "candles"
    script = f"""
        import os, signal, sys, time
        from vzb.jobs import JobRunner
        runner = JobRunner(sys.argv[1], max_workers=1)
        task = runner.submit_download(["BTC_KRW", "ETH_KRW"], "1h", start="2024-10-01",
                                      end="2024-12-31", api_url="{server.url}",
                                      data_dir="{data}")
        print(task.task_id, flush=True)
        while runner.status(task.task_id)["units_done"] < 1:
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGKILL)
    """
    task_id = run_and_kill_owner(script, directory, tmp_path)
    with JobRunner(directory, max_workers=1) as runner:
        record = runner.wait(task_id, timeout=120)
        assert record["status"] == "completed", record["message"]
        assert record["attempt"] == 2
        summaries = runner.result(task_id)
    assert [s["symbol"] for s in summaries] == ["BTC_KRW", "ETH_KRW"]
    for symbol in ("BTC_KRW", "ETH_KRW"):
        stored, _ = read_stored(data / f"{symbol}_1h.parquet")
        expected = server_history(server, symbol)
        assert len(stored) == len(expected)


def server_history(server, symbol):
    book = server.books[(symbol, "1h")]
    return [s for s in book.starts if 1727740800 <= s < 1735689600]  # 2024-10-01 .. 2025


def test_bad_download_requests_store_nothing(runner, tmp_path):
    before = len(runner.tasks())
    with pytest.raises(ParameterError, match="start is required"):
        runner.submit_download("BTC_KRW", start=None, data_dir=tmp_path)
    with pytest.raises(ParameterError, match="timeframe='2h'"):
        runner.submit_download("BTC_KRW", "2h", start="2024-01-01", data_dir=tmp_path)
    with pytest.raises(ParameterError, match="symbols is empty"):
        runner.submit_download([], start="2024-01-01", data_dir=tmp_path)
    assert len(runner.tasks()) == before

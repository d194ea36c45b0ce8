"""download_candles against a local server playing Upbit's and Bithumb's v1 contracts."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import warnings

import ccxt
import numpy as np
import pandas as pd
import pytest

import vzb
from vzb.data.exchange_clients import ExchangeBan
from vzb.data.exchange_server import ExchangeServer, market_history
from vzb.data.gaps import GapWarning
from vzb.data.stored import read_meta, read_stored
from vzb.errors import UnknownSymbolError

START, END = "2024-01-01", "2025-01-01"  # END exclusive: a year of hourly candles
COLUMNS = ["open", "high", "low", "close", "volume", "quote_volume"]


@pytest.fixture(scope="module")
def history():
    return {
        ("BTC_KRW", "1h"): market_history("BTC_KRW", "1h", START, END, seed=1, quiet=0.08),
        ("ETH_KRW", "1d"): market_history("ETH_KRW", "1d", START, END, seed=2, quiet=0.05),
    }


@pytest.fixture
def server(history):
    with ExchangeServer(history, retry_after=0.3) as s:
        yield s


def candle_requests(server):
    return [r for r in server.requests if r["status"] == 200]


def test_a_full_download_equals_the_servers_history_and_a_second_call_asks_nothing(
    server, history, tmp_path
):
    candles = vzb.download_candles(
        "BTC_KRW", "1h", start=START, end="2024-12-31", api_url=server.url, data_dir=tmp_path,
        progress=False,
    )  # fmt: skip
    stored, meta = read_stored(tmp_path / "BTC_KRW_1h.parquet")
    expected = history[("BTC_KRW", "1h")]
    pd.testing.assert_frame_equal(stored, expected[COLUMNS], check_names=False, check_freq=False)
    assert meta["exchange"] == "upbit" and meta["market"] == "KRW-BTC"
    assert meta["fetched"] == [[1704067200, 1735689600]]  # 2024-01-01 .. 2025-01-01
    pages = -(-len(expected) // 200)  # the last page is short: the market's first candle
    assert len(candle_requests(server)) == pages == candles.attrs["requests"]
    # no page asked twice: every `to` differs
    assert len({r["to"] for r in server.requests}) == len(server.requests)
    # returned: every hour of the year, quiet hours filled
    late = (expected.index[0] - pd.Timestamp(START, tz="UTC")).seconds // 3600  # quiet first hours
    assert len(candles) == 366 * 24 - late
    assert candles.attrs["filled_bars"] == len(candles) - len(expected)
    before = len(server.requests)
    again = vzb.download_candles(
        "BTC_KRW", "1h", start=START, end="2024-12-31", api_url=server.url, data_dir=tmp_path,
        progress=False,
    )  # fmt: skip
    assert len(server.requests) == before and again.attrs["requests"] == 0
    pd.testing.assert_frame_equal(again, candles)


def test_an_update_asks_only_for_the_new_pages(server, history, tmp_path):
    server.publish_until("2024-11-01")
    kwargs = dict(api_url=server.url, data_dir=tmp_path, progress=False)
    vzb.download_candles("BTC_KRW", "1h", start="2024-06-01", end="2024-10-31", **kwargs)
    first = len(server.requests)
    server.publish_until(END)
    server.fail("429")  # the exchange is busy at first: waited out
    candles = vzb.download_candles("BTC_KRW", "1h", start="2024-06-01", end="2024-12-31", **kwargs)
    expected = history[("BTC_KRW", "1h")]
    new = expected[expected.index >= "2024-11-01"]
    statuses = [r["status"] for r in server.requests[first:]]
    assert statuses[0] == 429 and statuses[1:] == [200] * -(-len(new) // 200)  # new pages only
    assert all(r["to"] > "2024-11-01" for r in server.requests[first:])
    stored, _ = read_stored(tmp_path / "BTC_KRW_1h.parquet")
    pd.testing.assert_frame_equal(
        stored, expected[expected.index >= "2024-06-01"][COLUMNS], check_names=False,
        check_freq=False,
    )  # fmt: skip
    assert candles.index[-1] == pd.Timestamp("2024-12-31 23:00", tz="UTC")
    # an earlier start fetches only the earlier part
    before = len(server.requests)
    vzb.download_candles("BTC_KRW", "1h", start="2024-05-01", end="2024-12-31", **kwargs)
    asked = server.requests[before:]
    assert asked and all(r["to"] <= "2024-06-01 00:00:00" for r in asked)


def test_a_429_is_waited_out_and_a_dropped_connection_retried(server, history, tmp_path):
    server.fail("429", "drop", "drop")
    candles = vzb.download_candles(
        "ETH_KRW", "1d", start=START, end="2024-12-31", api_url=server.url, data_dir=tmp_path,
        progress=False,
    )  # fmt: skip
    statuses = [r["status"] for r in server.requests]
    assert statuses[:4] == [429, 0, 0, 200] and 418 not in statuses
    # the request after the 429 came only after its Retry-After (0.3 s)
    assert server.requests[1]["time"] - server.requests[0]["time"] >= 0.3
    assert server.requests[0]["to"] == server.requests[3]["to"]  # the same page, retried
    stored, _ = read_stored(tmp_path / "ETH_KRW_1d.parquet")
    pd.testing.assert_frame_equal(
        stored, history[("ETH_KRW", "1d")][COLUMNS], check_names=False, check_freq=False
    )
    assert len(candles) == 366


def test_asking_again_too_early_after_a_429_is_a_418_ban_with_a_clear_error(server, tmp_path):
    pages = []

    def ban_after_two_pages(fraction, message):
        pages.append(message)
        if len(pages) == 2:
            server.fail("418")

    with pytest.raises(ExchangeBan, match=r"HTTP 418.* for 600 s\. Try again after .* UTC"):
        vzb.download_candles(
            "BTC_KRW", "1h", start=START, end="2024-12-31", api_url=server.url,
            data_dir=tmp_path, progress=ban_after_two_pages,
        )  # fmt: skip
    # what was fetched before the ban is kept, and recorded as fetched
    stored, meta = read_stored(tmp_path / "BTC_KRW_1h.parquet")
    assert len(stored) == 400 and stored.index[-1] == pd.Timestamp("2024-12-31 23:00", tz="UTC")
    assert meta["fetched"][0][1] == 1735689600


def test_remaining_req_is_read_and_kept_to(history, tmp_path):
    with ExchangeServer(history, per_second=2, retry_after=0.3) as server:
        vzb.download_candles(
            "BTC_KRW", "1h", start="2024-12-01", end="2024-12-31", api_url=server.url,
            data_dir=tmp_path, progress=False,
        )  # fmt: skip
        asked = list(server.requests)
    # four pages, two a second: after 'sec=0' the client waits instead of getting a 429
    assert [r["status"] for r in asked] == [200] * 4
    assert asked[2]["time"] - asked[0]["time"] >= 1.0


def test_bithumb_reads_an_offset_less_to_as_kst_and_the_client_writes_it_so(history, tmp_path):
    with ExchangeServer(history, flavour="bithumb") as bithumb, ExchangeServer(history) as upbit:
        query = {"market": "KRW-ETH", "count": 1, "to": "2024-03-01T09:00:00"}
        import httpx

        kst = httpx.get(bithumb.url + "/v1/candles/days", params=query).json()
        utc = httpx.get(upbit.url + "/v1/candles/days", params=query).json()
        # 09:00 KST is midnight UTC: Bithumb's last candle before it is Feb 29's (if traded)
        assert kst[0]["candle_date_time_utc"] < "2024-03-01" <= utc[0]["candle_date_time_utc"]
        candles = vzb.download_candles(
            "ETH_KRW", "1d", start=START, end="2024-12-31", exchange="bithumb",
            api_url=bithumb.url, data_dir=tmp_path, progress=False,
        )  # fmt: skip
        sent = bithumb.requests[1]["to"]  # the first page of the download
    assert sent == "2025-01-01 09:00:00"  # 2025-01-01 00:00 UTC written in KST
    stored, meta = read_stored(tmp_path / "ETH_KRW_1d.parquet")
    assert meta["exchange"] == "bithumb"
    pd.testing.assert_frame_equal(
        stored, history[("ETH_KRW", "1d")][COLUMNS], check_names=False, check_freq=False
    )
    assert len(candles) == 366


def test_loading_fills_quiet_bars_at_the_previous_close_and_says_how_many(
    server, history, tmp_path
):
    vzb.download_candles(
        "ETH_KRW", "1d", start=START, end="2024-12-31", api_url=server.url, data_dir=tmp_path,
        progress=False,
    )  # fmt: skip
    raw = history[("ETH_KRW", "1d")]
    grid = pd.date_range(raw.index[0], pd.Timestamp("2024-12-31", tz="UTC"), freq="D")
    expected = raw.reindex(grid)
    quiet = expected["close"].isna()
    expected["close"] = expected["close"].ffill()
    for column in ("open", "high", "low"):
        expected.loc[quiet, column] = expected.loc[quiet, "close"]
    expected["volume"] = expected["volume"].fillna(0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # quiet days are no warning
        filled = vzb.load_candles("ETH_KRW", "1d", data_dir=tmp_path)
    assert filled.attrs["filled_bars"] == int(quiet.sum()) > 0
    assert filled.attrs["unfetched_bars"] == 0
    assert filled.attrs["exchange"] == "upbit"
    assert filled.attrs["source"] == str(tmp_path / "ETH_KRW_1d.parquet")
    np.testing.assert_array_equal(filled.to_numpy(), expected[filled.columns].to_numpy())
    unfilled = vzb.load_candles("ETH_KRW", "1d", data_dir=tmp_path, fill_gaps=False)
    np.testing.assert_array_equal(unfilled.to_numpy(), raw[unfilled.columns].to_numpy())


def test_a_hole_no_download_asked_for_is_told_apart_from_quiet_bars(server, history, tmp_path):
    kwargs = dict(api_url=server.url, data_dir=tmp_path, progress=False)
    vzb.download_candles("ETH_KRW", "1d", start="2024-01-01", end="2024-03-31", **kwargs)
    vzb.download_candles("ETH_KRW", "1d", start="2024-06-01", end="2024-12-31", **kwargs)
    raw = history[("ETH_KRW", "1d")]
    hole = raw[(raw.index >= "2024-04-01") & (raw.index < "2024-06-01")]
    with pytest.warns(GapWarning, match="61 missing bar"):
        candles = vzb.load_candles("ETH_KRW", "1d", data_dir=tmp_path)
    assert candles.attrs["unfetched_bars"] == 61 and len(hole) > 0  # April and May
    # the next download fetches just the hole
    before = len(server.requests)
    vzb.download_candles("ETH_KRW", "1d", start="2024-01-01", end="2024-12-31", **kwargs)
    assert [r["to"] for r in server.requests[before:]] == ["2024-06-01 00:00:00"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert vzb.load_candles("ETH_KRW", "1d", data_dir=tmp_path).attrs["unfetched_bars"] == 0


def test_an_unknown_market_lists_close_matches(server, tmp_path):
    with pytest.raises(UnknownSymbolError, match=r"no market BTC_KRX .*Close matches: BTC_KRW"):
        vzb.download_candles("BTC_KRX", start=START, api_url=server.url, data_dir=tmp_path)
    assert not list(tmp_path.iterdir())


def test_the_ccxt_path_against_the_local_server_and_a_timeframe_built_from_a_finer_one(
    server, history, tmp_path
):
    exchange = ccxt.upbit({"enableRateLimit": False})
    candles = vzb.download_candles(
        "BTC/KRW", "1h", start="2024-11-01", end="2024-12-31", exchange=exchange,
        api_url=server.url, data_dir=tmp_path, progress=False,
    )  # fmt: skip
    expected = history[("BTC_KRW", "1h")]
    expected = expected[expected.index >= "2024-11-01"]
    stored, meta = read_stored(tmp_path / "BTC_KRW_1h.parquet")
    assert meta["exchange"] == "ccxt:upbit"
    cols = ["open", "high", "low", "close", "volume"]
    pd.testing.assert_frame_equal(stored[cols], expected[cols], check_names=False, check_freq=False)
    assert stored["quote_volume"].isna().all()  # ccxt's rows drop the turnover
    last = pd.Timestamp("2024-12-31 23:00", tz="UTC")
    assert len(candles) == len(pd.date_range(expected.index[0], last, freq="h"))
    # an exchange without 4h candles: 4h is built from the 1h ones, and said so
    exchange.timeframes = {k: v for k, v in exchange.timeframes.items() if k != "4h"}
    seen = []
    four = vzb.download_candles(
        "BTC_KRW", "4h", start="2024-11-01", end="2024-12-31", exchange=exchange,
        api_url=server.url, data_dir=tmp_path, progress=lambda f, m: seen.append(m),
    )  # fmt: skip
    assert four.attrs["built_from"] == "1h" and "4h is built from it" in seen[-1]
    assert four.attrs["requests"] == 0  # the 1h file had it all
    pd.testing.assert_frame_equal(four, vzb.resample_candles(candles, "4h"), check_like=True)


def test_a_download_killed_mid_way_leaves_a_readable_file_and_the_next_call_completes_it(
    server, history, tmp_path
):
    script = f"""
        import os, signal, sys
        import vzb.data.download as download
        download.SAVE_EVERY = 0  # save after every page
        pages = []
        def progress(fraction, message):
            pages.append(message)
            if len(pages) == 12:
                os.kill(os.getpid(), signal.SIGKILL)
        download.download_candles("BTC_KRW", "1h", start="{START}", end="2024-12-31",
                                  api_url="{server.url}", data_dir=sys.argv[1],
                                  progress=progress)
    """
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), str(tmp_path)], timeout=120
    )
    assert proc.returncode == -signal.SIGKILL
    stored, meta = read_stored(tmp_path / "BTC_KRW_1h.parquet")
    assert 11 * 200 <= len(stored) <= 12 * 200  # pages saved before the kill
    [(lo, hi)] = meta["fetched"]  # recorded as covered: the newest part
    assert hi == 1735689600 and lo == int(stored.index[0].timestamp())
    assert not list(tmp_path.glob(".*.tmp"))
    (tmp_path / ".BTC_KRW_1h.parquet.99999.tmp").write_bytes(b"half a file")  # killed mid-write
    before = len(server.requests)
    vzb.download_candles(
        "BTC_KRW", "1h", start=START, end="2024-12-31", api_url=server.url, data_dir=tmp_path,
        progress=False,
    )  # fmt: skip
    expected = history[("BTC_KRW", "1h")]
    stored, _ = read_stored(tmp_path / "BTC_KRW_1h.parquet")
    pd.testing.assert_frame_equal(stored, expected[COLUMNS], check_names=False, check_freq=False)
    assert len(server.requests) - before < -(-len(expected) // 200) - 10  # only the rest
    assert read_meta(tmp_path / "BTC_KRW_1h.parquet")["fetched"] == [[1704067200, 1735689600]]
    assert not list(tmp_path.glob(".*.tmp"))


def test_two_downloads_of_one_file_take_turns(server, history, tmp_path):
    import threading

    results, kwargs = [], dict(api_url=server.url, data_dir=tmp_path, progress=False)

    def download():
        results.append(vzb.download_candles("ETH_KRW", "1d", start=START, end="2024-12", **kwargs))

    threads = [threading.Thread(target=download) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    frames = [r for r in results if isinstance(r, pd.DataFrame)]
    assert len(frames) == 2 and sorted(f.attrs["requests"] for f in frames) == [0, 2]
    pd.testing.assert_frame_equal(frames[0], frames[1])


def test_your_own_files_and_the_samples_are_served_as_they_are_unless_asked(tmp_path):
    index = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-04"], utc=True)
    frame = pd.DataFrame({"open": [1.0, 2, 3], "high": [2.0, 3, 4], "low": [1.0, 2, 3],
                          "close": [2.0, 3, 4], "volume": [5.0, 6, 7]}, index=index)  # fmt: skip
    frame.rename_axis("timestamp").to_csv(tmp_path / "ABC_KRW_1d.csv")
    as_is = vzb.load_candles("ABC_KRW", data_dir=tmp_path)
    assert len(as_is) == 3 and "filled_bars" not in as_is.attrs and "exchange" not in as_is.attrs
    filled = vzb.load_candles("ABC_KRW", data_dir=tmp_path, fill_gaps=True)
    assert filled["close"].tolist() == [2.0, 3.0, 3.0, 4.0]
    assert filled["volume"].tolist() == [5.0, 6.0, 0.0, 7.0]
    assert filled.attrs["filled_bars"] == 1 and filled.attrs["unfetched_bars"] == 0
    sample = vzb.load_candles("BTC_USD")  # its one missing day stays missing by default
    assert "filled_bars" not in sample.attrs
    assert vzb.load_candles("BTC_USD", fill_gaps=True).attrs["filled_bars"] >= 1

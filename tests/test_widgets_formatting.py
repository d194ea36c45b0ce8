"""The one number format: every stat kind, real results, and no raw floats anywhere."""

import datetime as dt
import math
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import vzb
from vzb.analysis import position_stats
from vzb.engine import COUNT_STATS, STAT_NAMES
from vzb.widgets.formatting import (
    MISSING,
    STAT_GROUPS,
    currency_of,
    format_count,
    format_duration,
    format_money,
    format_parameter,
    format_percent,
    format_ratio,
    format_share,
    format_stat,
    format_stats,
    format_timestamp,
    format_value,
    stat_group,
    stat_kind,
    stats_table,
)

#: what no formatted number may look like: scientific notation, six raw decimals
RAW = re.compile(r"\d[eE][+-]?\d|\.\d{5,}")


@pytest.fixture(scope="module")
def result():
    return vzb.backtest(vzb.load_sample("BTC_USD", timeframe="1d"), fees=0.0005)


def _plain(text: str) -> float:
    """A formatted number read back independently of the formatter."""
    return float(re.sub(r"[^0-9.\-]", "", text.replace("–", "-")))


def test_every_engine_stat_has_its_kind_and_group():
    kinds = {name: stat_kind(name) for name in ("Start", "End", "Duration", *STAT_NAMES)}
    assert {name for name, kind in kinds.items() if kind == "count"} == set(COUNT_STATS)
    assert kinds["Start"] == kinds["End"] == "timestamp" and kinds["Duration"] == "duration"
    for name in STAT_NAMES:
        if "[$]" in name:
            assert kinds[name] == "money", name
        elif "[%]" in name:
            assert kinds[name] == "percent", name
    ratios = {name for name, kind in kinds.items() if kind == "ratio"}
    assert ratios == {
        "Sharpe Ratio",
        "Sortino Ratio",
        "Calmar Ratio",
        "Profit Factor",
        "SQN",
        "Signal Avg. Bars Held",
    }
    groups = {name: stat_group(name) for name in ("Start", "End", "Duration", *STAT_NAMES)}
    assert "other" not in groups.values()
    assert {n for n, g in groups.items() if g == "signals"} == {
        n for n in STAT_NAMES if n.startswith("Signal") or n == "# Signals"
    }
    for name in position_stats(pd.DataFrame({"net_pnl": [1.0]})).index:
        assert stat_group(name) == "trades", name


def test_counts_are_integers_with_separators():
    assert format_count(960.0) == "960"
    assert format_count(np.int64(12_000)) == "12,000"
    assert format_count(1_234_567) == "1,234,567"
    assert format_count(12.5) == "12.5"
    assert format_count(float("nan")) == format_count(None) == MISSING
    assert format_stat("# Trades", 960.0) == "960"
    assert format_stat("Max. Drawdown Duration [bars]", np.float64(412.0)) == "412"


def test_money_has_separators_and_its_currency():
    assert format_money(14614296.317903) == "14,614,296"
    assert format_money(25_000_000, "USD") == "$ 25,000,000"
    assert format_money(25_000_000.4, "KRW") == "₩ 25,000,000"
    assert format_money(999.5, "KRW") == "₩ 1,000"
    assert format_money(12.345, "USD") == "$ 12.35"
    assert format_money(-763637.26, "USD") == "-$ 763,637"
    assert format_money(0.000123456) == "0.0001235"
    assert format_money(5, "usdt") == "USDT 5.00"
    assert format_money(-0.001, "USD") == "-$ 0.001"
    assert format_money(float("nan"), "USD") == MISSING
    assert format_money(float("-inf")) == "-∞"


def test_percentages_ratios_and_shares_have_fixed_decimals():
    assert format_percent(1130.2512) == "1,130.25%"
    assert format_percent(-0.001) == "0.00%"  # never "-0.00%"
    assert format_percent(5) == "5.00%"
    assert format_percent(12.3456, decimals=1) == "12.3%"
    assert format_ratio(0.81234) == "0.81"
    assert format_ratio(-3.7712) == "-3.77"
    assert format_ratio(float("inf")) == "∞"
    assert format_share(0.625) == "62%"  # Python rounds half to even, as describe() does
    assert format_share(0.0) == "0%"
    assert format_share(float("nan")) == MISSING


def test_durations_in_days_and_timestamps_with_their_zone():
    assert format_duration(pd.Timedelta("1876 days")) == "1,876 days"
    assert format_duration(dt.timedelta(days=1)) == "1 day"
    assert format_duration(pd.Timedelta(hours=60)) == "2.5 days"
    assert format_duration(pd.Timedelta(minutes=90)) == "1 h 30 min"
    assert format_duration(pd.Timedelta(minutes=15)) == "15 min"
    assert format_duration(pd.NaT) == MISSING
    utc = pd.Timestamp("2019-10-17 09:00", tz="UTC")
    assert format_timestamp(utc) == "2019-10-17 09:00 UTC"
    assert format_timestamp(utc.tz_convert("Asia/Seoul")) == "2019-10-17 18:00 KST"
    assert format_timestamp(utc, time=False) == "2019-10-17 UTC"
    assert format_timestamp(utc, zone=False) == "2019-10-17 09:00"
    assert format_timestamp(pd.Timestamp("2019-10-17")) == "2019-10-17 00:00"
    assert format_timestamp(pd.NaT) == MISSING
    assert format_timestamp(dt.date(2020, 1, 2)) == "2020-01-02"


def test_parameters_and_untyped_values():
    assert [format_parameter(v) for v in (0.005, 20, 2.0, True, np.int64(7))] == [
        "0.005",
        "20",
        "2",
        "True",
        "7",
    ]
    assert format_parameter(1e-7) == "0.0000001"
    assert format_value(1234567.891) == "1,234,568"
    assert format_value(0.0000123456) == "0.00001235"
    assert format_value(12.3456) == "12.35"
    assert format_value(np.int32(42)) == "42"
    assert format_value(float("nan")) == format_value(None) == MISSING
    assert format_value(pd.Timestamp("2020-01-01", tz="UTC")) == "2020-01-01 00:00 UTC"
    assert format_value(pd.Timedelta(days=3)) == "3 days"
    assert format_value("BTC_USD") == "BTC_USD"


def test_a_real_result_reads_back_to_its_stats(result):
    stats = result.stats
    shown = format_stats(stats, currency="USD")
    assert list(shown.index) == list(stats.index)
    for name, text in shown.items():
        assert not RAW.search(text), (name, text)
        value = stats[name]
        kind = stat_kind(name)
        if kind == "count":
            assert text == f"{int(value):,}"
        elif kind == "money":
            assert text.startswith("$ ") or text.startswith("-$ ")
            assert abs(_plain(text) - value) <= max(0.5, abs(value) * 1e-9) + 0.005
        elif kind in ("percent", "ratio") and math.isfinite(value):
            assert text.endswith("%") == (kind == "percent")
            assert abs(_plain(text) - value) <= 0.005 + 1e-9, (name, text)
    assert shown["Duration"] == f"{(stats['End'] - stats['Start']).days:,} days"
    assert shown["Start"] == stats["Start"].strftime("%Y-%m-%d %H:%M") + " UTC"
    assert not shown["# Trades"].endswith(".00")


def test_a_frame_of_several_runs_is_formatted_by_stat_name(result):
    by_rows = pd.DataFrame({"a": result.stats, "b": result.stats})
    shown = format_stats(by_rows)
    assert shown.loc["# Trades", "b"] == f"{int(result.stats['# Trades']):,}"
    by_columns = by_rows.T[["# Trades", "Sharpe Ratio"]]
    shown = format_stats(by_columns)
    assert shown["# Trades"].tolist() == [f"{int(result.stats['# Trades']):,}"] * 2
    assert shown["Sharpe Ratio"].iloc[0] == f"{result.stats['Sharpe Ratio']:.2f}"
    positions = position_stats(result.positions)
    shown = format_stats(pd.DataFrame({"run": positions}))
    assert shown.loc["# Positions", "run"] == f"{len(result.positions):,}"
    with pytest.raises(TypeError, match="Series or DataFrame"):
        format_stats([1, 2])


def test_stats_table_groups_in_order(result):
    table = stats_table(result.stats, currency=currency_of(result.symbols))
    groups = table.index.get_level_values("group")
    order = [STAT_GROUPS.index(g) for g in groups]
    assert order == sorted(order)
    assert list(dict.fromkeys(groups)) == ["period", "returns", "risk", "trades", "signals"]
    assert sorted(table.index.get_level_values("stat")) == sorted(result.stats.index)
    assert table.loc[("returns", "Equity Final [$]"), "value"].startswith("$ ")
    several = stats_table(pd.DataFrame({"a": result.stats, "b": result.stats}).T)
    assert list(several.columns) == ["a", "b"]


def test_currency_of_symbols():
    assert currency_of(["BTC_USD"]) == "USD"
    assert currency_of(["BTC_KRW", "ETH_KRW"]) == "KRW"
    assert currency_of(["BTC_USD", "ETH_KRW"]) is None
    assert currency_of([]) is None and currency_of(None) is None


def test_formatting_loads_neither_numpy_nor_pandas_nor_widgets():
    code = (
        "import sys, vzb.widgets.formatting as f; f.format_money(1e6, 'USD');"
        "print(sorted({'numpy', 'pandas', 'ipywidgets', 'plotly', 'matplotlib', 'numba'}"
        " & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_result_shows_its_stats_table_through_the_package_hook(result):
    table = result.stats_table()
    pd.testing.assert_frame_equal(table, stats_table(result.stats, currency="USD"))
    assert table.loc[("trades", "# Trades"), "value"] == f"{int(result.stats['# Trades']):,}"
    assert "dtype" not in table.to_string() and not RAW.search(table.to_string())


def test_format_stats_writes_parameter_columns_as_values_not_ratios():
    table = pd.DataFrame(
        {"volume_window": [80.0, 20.0], "top_percentile": [0.1, 0.25], "# Trades": [960.0, 12.0]}
    )
    shown = format_stats(table)
    assert shown["volume_window"].tolist() == ["80", "20"]
    assert shown["top_percentile"].tolist() == ["0.1", "0.25"]
    assert shown["# Trades"].tolist() == ["960", "12"]

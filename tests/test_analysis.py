"""Analysis of results: parameter columns from the table's record, best sets, heatmap
tables and position statistics, on real sweeps and backtests of the bundled candles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import vzb
from vzb.analysis import (
    best_sets,
    heatmap_table,
    parameter_columns,
    position_stats,
    stat_columns,
    varying_parameters,
)
from vzb.errors import ParameterError
from vzb.results import load_table, save_table

GRID = {"volume_window": [5, 10, 20], "top_percentile": [0.1, 0.2, 0.3]}


@pytest.fixture(scope="module")
def result():
    return vzb.backtest(vzb.load_sample("BTC_USD"), "volume_zone_breakout", fees=0.0005)


@pytest.fixture(scope="module")
def table():
    return vzb.sweep(vzb.load_sample("BTC_USD"), "volume_zone_breakout", GRID, n_jobs=1)


def _table(**columns) -> pd.DataFrame:
    table = pd.DataFrame(columns)
    table.attrs["parameters"] = [c for c in columns if c == c.lower() and c != "symbol"]
    return table


def test_a_sweep_table_records_its_parameters(table):
    strategy = vzb.get_strategy("volume_zone_breakout")
    assert parameter_columns(table) == list(strategy.parameters)
    assert varying_parameters(table) == list(GRID)
    assert "symbol" not in stat_columns(table) and "Sharpe Ratio" in stat_columns(table)
    assert not set(GRID) & set(stat_columns(table))


def test_parameters_are_read_not_guessed_from_column_names():
    # a parameter whose name looks like a stat, and a stat column before symbol
    table = pd.DataFrame({"Window [bars]": [5, 10], "Return [%]": [1.0, 2.0], "symbol": "X"})
    table.attrs["parameters"] = ["Window [bars]"]
    assert parameter_columns(table) == ["Window [bars]"]
    assert stat_columns(table) == ["Return [%]"]


def test_a_table_without_its_parameters_says_how_to_name_them():
    table = pd.DataFrame({"volume_window": [5, 10], "Return [%]": [1.0, 2.0]})
    with pytest.raises(ParameterError, match=r"table.attrs\['parameters'\] = "):
        best_sets(table)
    table.attrs["parameters"] = ["volume_window", "num_bins"]
    with pytest.raises(ParameterError, match=r"names \['num_bins'\], which are not columns"):
        parameter_columns(table)


def test_the_parameters_survive_parquet(table, tmp_path):
    loaded = load_table(save_table(table, tmp_path / "sweep.parquet"))
    assert parameter_columns(loaded) == parameter_columns(table)
    pd.testing.assert_frame_equal(best_sets(loaded, n=5), best_sets(table, n=5))


def test_best_sets_rank_by_the_chosen_stat(table):
    best = best_sets(table, "Sharpe Ratio", n=3)
    assert len(best) == 3
    assert best["Sharpe Ratio"].is_monotonic_decreasing
    assert best["Sharpe Ratio"].iloc[0] == pytest.approx(table["Sharpe Ratio"].max())


def test_best_sets_rank_lower_is_better_stats_smallest_first(table):
    best = best_sets(table, "Total Fees [$]", n=3)
    assert best["Total Fees [$]"].is_monotonic_increasing
    assert best_sets(table, "Total Fees [$]", n=3, ascending=False)["Total Fees [$]"].iloc[0] == (
        pytest.approx(table["Total Fees [$]"].max())
    )


def test_best_sets_average_over_symbols():
    table = _table(
        window=[5, 5, 10, 10], symbol=["A", "B", "A", "B"], **{"Return [%]": [1.0, 5.0, 4.0, 4.0]}
    )
    best = best_sets(table, n=2)
    assert best["window"].tolist() == [10, 5]
    assert best["Return [%]"].tolist() == [4.0, 3.0]


def test_best_sets_of_one_symbol_keep_integer_counts():
    table = _table(
        volume_window=[10, 20, 30],
        symbol=["BTC_USD"] * 3,
        **{"Return [%]": [5.0, 7.5, -1.0], "# Trades": np.array([12, 9, 4], dtype="int64")},
    )
    best = best_sets(table, "Return [%]", n=2)
    assert best["volume_window"].tolist() == [20, 10]
    assert best["# Trades"].dtype == "int64" and best["# Trades"].tolist() == [9, 12]


def test_varying_parameters_leave_out_constant_ones():
    table = _table(a=[1, 2, 3], b=[0.5] * 3, **{"Return [%]": [1.0, 2.0, 3.0]})
    assert varying_parameters(table) == ["a"]


def test_heatmap_table_pivots_the_stat_over_two_parameters(table):
    grid = heatmap_table(table, x="volume_window", y="top_percentile", stat="Return [%]")
    assert grid.shape == (3, 3)
    row = table[(table["volume_window"] == 10) & (table["top_percentile"] == 0.2)]
    assert grid.loc[0.2, 10] == pytest.approx(row["Return [%]"].mean())


def test_heatmap_names_a_wrong_column(table):
    with pytest.raises(ParameterError, match="stat='Return' is not a column"):
        heatmap_table(table, x="volume_window", y="top_percentile", stat="Return")
    with pytest.raises(ParameterError, match="x='Return \\[%\\]' is not a column"):
        heatmap_table(table, x="Return [%]", y="top_percentile")
    with pytest.raises(ParameterError, match="pick two different parameters"):
        heatmap_table(table, x="volume_window", y="volume_window")


def test_position_stats_agree_with_the_positions_table(result):
    positions = result.positions
    stats = position_stats(positions)
    wins = positions["net_pnl"] > 0
    assert stats["# Positions"] == len(positions) == int(result.stats["# Trades"])
    assert stats["Win Rate [%]"] == pytest.approx(wins.mean() * 100)
    assert stats["Win Rate [%]"] == pytest.approx(result.stats["Win Rate [%]"])
    assert stats["Avg. Win [$]"] == pytest.approx(positions.loc[wins, "net_pnl"].mean())
    assert stats["Avg. Loss [$]"] < 0
    assert stats["Avg. Win [%]"] == pytest.approx(positions.loc[wins, "return"].mean() * 100)
    fees = positions["entry_fee"].sum() + positions["exit_fee"].sum()
    assert stats["Fees Paid [$]"] == pytest.approx(fees)
    assert stats["Fees Paid [$]"] == pytest.approx(result.stats["Total Fees [$]"])
    assert stats["Profit Factor"] == pytest.approx(result.stats["Profit Factor"])
    assert stats["Avg. Bars Held"] == pytest.approx(positions["bars_held"].mean())


def test_position_stats_of_no_positions_are_empty_not_errors():
    stats = position_stats(pd.DataFrame({"net_pnl": []}))
    assert stats["# Positions"] == 0
    assert pd.isna(stats["Win Rate [%]"]) and pd.isna(stats["Profit Factor"])


def test_profit_factor_without_losses_is_infinite_as_in_the_engine():
    stats = position_stats(pd.DataFrame({"net_pnl": [5.0, 3.0]}))
    assert stats["Profit Factor"] == float("inf")


def test_position_stats_need_net_pnl():
    with pytest.raises(ParameterError, match="net_pnl column"):
        position_stats(pd.DataFrame({"pnl": [1.0]}))

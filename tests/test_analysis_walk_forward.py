"""Walk-forward: folds never train on a test bar, the out-of-sample equity is the chosen
sets' backtests on the test windows, and a planted edge is found while noise is not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vzb
from vzb.analysis.folds import split_folds
from vzb.analysis.walkforward import walk_forward
from vzb.engine import parameter_sets, sweep_stats
from vzb.errors import ParameterError
from vzb.strategies import Parameter, Strategy

INDEX = pd.date_range("2024-01-01", periods=400, freq="D", tz="UTC")


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(20, 400),
    train=st.integers(1, 120),
    test=st.integers(1, 60),
    extra_step=st.integers(0, 30),
    purge=st.integers(0, 10),
    anchored=st.booleans(),
)
def test_folds_never_train_on_a_test_bar(n, train, test, extra_step, purge, anchored):
    index = INDEX[:n]
    step = test + extra_step
    try:
        folds = split_folds(index, train, test, step=step, anchored=anchored, purge=purge)
    except ParameterError as error:
        assert train + purge + test > n, error
        return
    previous_test_stop = -1
    for k, fold in enumerate(folds):
        assert fold.train.stop + purge == fold.test.start  # purge honoured, test right after
        assert fold.test.stop - fold.test.start == test  # only complete test windows
        assert fold.test.stop <= n
        assert fold.train.start == (0 if anchored else k * step)
        assert fold.train.stop - fold.train.start == (train + k * step if anchored else train)
        assert fold.test.start >= previous_test_stop  # test windows never overlap
        previous_test_stop = fold.test.stop
    assert folds[-1].test.stop + step > n  # no complete fold left out


def test_time_span_folds_follow_the_calendar():
    folds = split_folds(INDEX, "100D", "30D", step="60D", purge=1)
    first = folds[0]
    assert INDEX[first.train.stop] - INDEX[first.train.start] == pd.Timedelta("100D")
    assert INDEX[folds[1].train.start] - INDEX[first.train.start] == pd.Timedelta("60D")
    assert all(f.test.stop - f.test.start == 30 for f in folds)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"train": 5_000, "test": 100}, "no complete fold"),
        ({"train": 100, "test": 0}, "test=0 must be at least 1 bar"),
        ({"train": 100, "test": 50, "step": 20}, "step=20 is shorter than test=50"),
        ({"train": "ten days", "test": 10}, "neither a bar count nor a time span"),
        ({"train": 100, "test": 20, "objective": "Sharpe"}, "Did you mean 'Sharpe Ratio'"),
    ],
)
def test_bad_arguments_say_what_would_fit(arguments, message):
    candles = vzb.load_sample("ETH_USD")
    with pytest.raises(ParameterError, match=message):
        walk_forward(candles, "volume_zone_breakout", {"volume_window": [10, 20]}, **arguments)


GRID = {"volume_window": [10, 25], "top_percentile": [0.1, 0.3], "hold_period_bars": [1, 3]}


@pytest.mark.parametrize("options", [{"fees": 0.001}, {"fill": "close", "stop_loss": 0.05}])
def test_out_of_sample_equity_is_the_chosen_sets_on_the_test_windows(options):
    candles = vzb.load_sample("BTC_USD")
    wf = walk_forward(
        candles, "volume_zone_breakout", GRID, train=300, test=120, purge=3, **options
    )
    strategy = vzb.get_strategy("volume_zone_breakout")
    sets = parameter_sets(strategy, GRID)
    cash = 1_000_000.0
    segments = []
    for _, fold in wf.folds.iterrows():
        training = candles.loc[fold["train_start"] : fold["train_end"]]
        table = sweep_stats(training, strategy, sets, **options)
        scores = table["Sharpe Ratio"].to_numpy(dtype=float)
        chosen = sets[int(np.nanargmax(scores))]
        assert {k: fold[k] for k in chosen} == chosen
        assert fold["in_sample"] == pytest.approx(np.nanmax(scores))
        start = candles.index.get_loc(fold["test_start"])
        stop = candles.index.get_loc(fold["test_end"]) + 1
        assert start == candles.index.get_loc(fold["train_end"]) + 1 + 3  # the purge
        result = vzb.backtest(
            candles.iloc[start:stop],
            params=chosen,
            warmup=candles.iloc[:start],
            cash=cash,
            **options,
        )
        assert fold["out_of_sample"] == pytest.approx(result.stats["Sharpe Ratio"], nan_ok=True)
        cash = float(result.equity.iloc[-1])
        segments.append(result.equity)
    pd.testing.assert_series_equal(wf.equity, pd.concat(segments), check_names=False)
    assert wf.stats["Equity Final [$]"] == pytest.approx(cash)
    assert wf.stats["# Trades"] == len(wf.positions) == wf.folds["trades"].sum()


def _phase_signals(open, high, low, close, volume, phase=0, hold_period_bars=1):
    return np.arange(len(close)) % 5 == phase


PHASE = Strategy(
    "phase",
    [Parameter("phase", 0, int, low=0, high=4), Parameter("hold_period_bars", 1, int, low=1)],
    _phase_signals,
)


def _candles(edge: float, seed: int) -> pd.DataFrame:
    """A random walk where, with ``edge``, the bar after every phase-2 bar rises."""
    rng = np.random.default_rng(seed)
    n = 3_000
    steps = rng.normal(0, 0.01, n)
    steps[np.arange(n) % 5 == 3] += edge  # entered at its open after a phase-2 signal
    close = 100 * np.exp(np.cumsum(steps))
    open_ = np.concatenate([[100.0], close[:-1]])
    index = pd.date_range("2015-01-01", periods=n, freq="D", tz="UTC", name="timestamp")
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) * 1.001,
            "low": np.minimum(open_, close) * 0.999,
            "close": close,
            "volume": np.ones(n),
        },
        index=index,
    )


def test_a_planted_edge_is_chosen_and_not_called_overfitting():
    wf = walk_forward(
        _candles(0.01, seed=1),
        PHASE,
        {"phase": [0, 1, 2, 3, 4]},
        train=500,
        test=250,
        fill="close",
    )
    assert (wf.folds["phase"] == 3 - 1).all()  # signal on phase 2, the rise on the next bar
    assert wf.stats["Return [%]"] > 0
    assert wf.overfitting["pbo"] < 0.1
    assert wf.overfitting["best"]["phase"] == 2
    assert wf.overfitting["deflated_sharpe"] > 0.95
    assert wf.parameter_stability.loc["phase", "share_of_folds"] == 1.0


def test_skill_less_choices_look_like_luck():
    pbos = []
    for seed in range(4):
        wf = walk_forward(
            _candles(0.0, seed=seed),
            PHASE,
            {"phase": [0, 1, 2, 3, 4], "hold_period_bars": [1, 2]},
            train=500,
            test=250,
        )
        pbos.append(wf.overfitting["pbo"])
        assert wf.overfitting["deflated_sharpe"] < 0.95
    assert 0.25 < np.mean(pbos) < 0.75


def test_several_symbols_and_a_time_span(tmp_path, monkeypatch):
    monkeypatch.setenv("VZB_HOME", str(tmp_path))  # a ledger of its own: 2 trials
    candles = {"BTC_USD": vzb.load_sample("BTC_USD"), "LTC_USD": vzb.load_sample("LTC_USD")}
    wf = walk_forward(
        candles,
        "volume_long_candle",
        {"vol_ma_window": [10, 30]},
        train="365D",
        test="120D",
        fees=0.0005,
    )
    assert wf.result.symbols == ["BTC_USD", "LTC_USD"]
    assert set(wf.positions["symbol"]) <= {"BTC_USD", "LTC_USD"}
    assert wf.equity.index.is_monotonic_increasing
    assert wf.overfitting["n_trials"] == 2
    assert "Walk" in repr(wf)

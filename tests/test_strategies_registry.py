"""Strategy registry: parameters, validation messages, user strategies by import path."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import vzb
from vzb.errors import ParameterError
from vzb.strategies import (
    Parameter,
    Strategy,
    get_strategy,
    list_strategies,
    register_strategy,
    unregister_strategy,
)


def up_close(open, high, low, close, volume, min_move=0.0, hold_period_bars=1):
    """A user strategy: the close is above the open by min_move."""
    return close - open > min_move


UP_CLOSE = Strategy(
    "up_close",
    [
        Parameter("min_move", 0.0, float, low=0.0),
        Parameter("hold_period_bars", 1, int, low=1),
    ],
    up_close,
)


def test_builtins_are_listed_with_defaults():
    assert list_strategies()[:2] == ["volume_zone_breakout", "volume_long_candle"]
    breakout = get_strategy("volume_zone_breakout")
    assert breakout.defaults == {
        "volume_window": 10,
        "top_percentile": 0.2,
        "breakout_buffer": 0.0,
        "num_bins": 20,
        "include_wicks": True,
        "hold_period_bars": 1,
    }
    assert get_strategy("volume_long_candle").defaults == {
        "vol_ma_window": 20,
        "vol_multiplier": 1.5,
        "body_pct": 0.02,
        "hold_period_bars": 1,
    }


def test_bad_values_name_parameter_value_and_range():
    breakout = get_strategy("volume_zone_breakout")
    with pytest.raises(ParameterError, match=r"top_percentile=1.5 .*0.0 < top_percentile <= 1.0"):
        breakout.validate({"top_percentile": 1.5})
    with pytest.raises(ParameterError, match=r"num_bins=0 .*1 <= num_bins <= 10000"):
        breakout.validate({"num_bins": 0})
    with pytest.raises(ParameterError, match=r"volume_window=2.5 must be a whole number"):
        breakout.validate({"volume_window": 2.5})
    with pytest.raises(ParameterError, match="include_wicks='yes' must be True or False"):
        breakout.validate({"include_wicks": "yes"})
    with pytest.raises(ValueError, match="Did you mean 'volume_window'"):
        breakout.validate({"volume_windw": 3})
    assert breakout.validate({"volume_window": 20.0})["volume_window"] == 20
    with pytest.raises(ParameterError, match="Did you mean 'volume_zone_breakout'"):
        get_strategy("volume_zone_breakuot")


def test_signals_validates_params():
    candles = vzb.load_sample("BTC_USD")
    with pytest.raises(ParameterError, match="Did you mean 'num_bins'"):
        vzb.signals(candles, num_bin=3)


def test_register_user_strategy_by_import_path():
    path = f"{__name__}:UP_CLOSE"
    strategy = register_strategy(path)
    try:
        assert "up_close" in list_strategies()
        assert get_strategy("up_close") is strategy
        assert strategy.ref == path
        candles = vzb.load_sample("BTC_USD")
        signals = vzb.signals(candles, "up_close", min_move=10.0)
        np.testing.assert_array_equal(
            signals.to_numpy(), (candles["close"] - candles["open"] > 10.0).to_numpy()
        )
        result = vzb.backtest(candles, "up_close")
        assert result.strategy == path
        with pytest.raises(ParameterError, match="already registered"):
            register_strategy("vzb.strategies.volume_long_candle:STRATEGY", name="up_close")
    finally:
        unregister_strategy("up_close")
    assert "up_close" not in list_strategies()


def test_register_rejects_main_and_builtin_names():
    with pytest.raises(ParameterError, match="__main__"):
        register_strategy("__main__:MINE")
    with pytest.raises(ParameterError, match="built-in"):
        register_strategy("vzb.strategies.volume_long_candle:STRATEGY")
    with pytest.raises(ParameterError, match="not a vzb Strategy"):
        register_strategy("vzb.strategies.volume_long_candle:kernel", name="x")


def test_a_fresh_process_imports_a_strategy_by_path_and_import_compiles_nothing():
    code = (
        "import sys, vzb\n"
        "assert 'numba' not in sys.modules, 'import vzb must not import numba'\n"
        "from vzb.strategies import get_strategy\n"
        "s = get_strategy('vzb.strategies.volume_long_candle:STRATEGY')\n"
        "print(s.name)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "volume_long_candle"

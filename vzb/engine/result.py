"""BacktestResult: stats, positions, equity, drawdown, signals and run metadata."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["POSITION_COLUMNS", "RESULT_SCHEMA_VERSION", "BacktestResult"]

#: bumped when the saved layout of a result changes
RESULT_SCHEMA_VERSION = 2

POSITION_COLUMNS = (
    "symbol",
    "signal_time",
    "entry_time",
    "exit_time",
    "entry_price",
    "exit_price",
    "quantity",
    "entry_fee",
    "exit_fee",
    "gross_pnl",
    "net_pnl",
    "return",
    "bars_held",
    "exit_reason",
)


def _json_value(value: Any) -> Any:
    """A JSON-safe version of a stat value (non-finite floats -> None)."""
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, pd.Timedelta):
        return str(value)
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


class BacktestResult:
    """The outcome of :func:`vzb.backtest`.

    Attributes
    ----------
    stats : Series
        Readable keys (``"Return [%]"``, ``"Sharpe Ratio"``, ``"# Trades"``; definitions
        in :mod:`vzb.engine.stats`).
    positions : DataFrame
        One row per position: symbol, signal/entry/exit time, entry and exit fill price,
        quantity, entry and exit fee, gross and net PnL, return, bars held, exit reason
        (``hold``, ``stop_loss``, ``take_profit``, ``end_of_data``).
    equity, drawdown : Series
        Equity at each bar's close, and ``equity / running peak - 1``.
    signals : Series or DataFrame
        Entry signals (one bool column per symbol for several symbols).
    indicators : DataFrame
        The strategy's indicator series for plots (e.g. a ``resistance`` column), one
        column per indicator it declares (none for a strategy that declares none);
        columns ``(symbol, indicator)`` for several symbols.
    candles : DataFrame or None
        The candles of a single-symbol run (for plots).
    run_id, version, strategy, params, symbols, total_signals, execution_time,
    vzb_version, options, fingerprint
        Metadata: a unique id, the result schema version, the strategy name, its full
        parameters, the symbols, the number of signals, seconds taken, the vzb version,
        the engine options and a SHA-256 fingerprint of the input candles.
    per_symbol : dict or None
        Symbol -> BacktestResult for a multi-symbol run (each run with the full cash;
        the combined result splits the cash equally, see :func:`vzb.engine.portfolio`).

    Examples
    --------
    >>> import vzb
    >>> result = vzb.backtest(vzb.load_sample("BTC_USD"), fees=0.0005)
    >>> result.positions.columns[:4].tolist()
    ['symbol', 'signal_time', 'entry_time', 'exit_time']
    >>> list(result.indicators.columns)
    ['resistance']
    """

    def __init__(
        self,
        *,
        stats: pd.Series | Callable[[], pd.Series],
        positions: pd.DataFrame | Callable[[], pd.DataFrame],
        equity: pd.Series | Callable[[], pd.Series],
        signals: pd.Series | pd.DataFrame | Callable[[], Any],
        strategy: str,
        params: dict[str, Any],
        symbols: list[str],
        total_signals: int,
        execution_time: float,
        options: dict[str, Any],
        fingerprint: str | Callable[[], str],
        run_id: str,
        vzb_version: str,
        version: int = RESULT_SCHEMA_VERSION,
        indicators: Any = None,
        candles: Any = None,
        per_symbol: dict[str, BacktestResult] | None = None,
    ):
        self._values: dict[str, Any] = {
            "stats": stats,
            "positions": positions,
            "equity": equity,
            "signals": signals,
            "indicators": indicators,
            "candles": candles,
            "fingerprint": fingerprint,
        }
        self.strategy = strategy
        self.params = dict(params)
        self.symbols = list(symbols)
        self.total_signals = int(total_signals)
        self.execution_time = float(execution_time)
        self.options = dict(options)
        self.run_id = run_id
        self.vzb_version = vzb_version
        self.version = int(version)
        self.per_symbol = per_symbol
        self._drawdown: pd.Series | None = None

    def _get(self, name: str) -> Any:
        value = self._values[name]
        if callable(value):
            value = value()
            self._values[name] = value
        return value

    @property
    def stats(self) -> pd.Series:
        """Stats Series (see :mod:`vzb.engine.stats` for every definition)."""
        return self._get("stats")

    @property
    def positions(self) -> pd.DataFrame:
        """Positions DataFrame, one row per position."""
        return self._get("positions")

    @property
    def equity(self) -> pd.Series:
        """Equity at each bar's close."""
        return self._get("equity")

    @property
    def drawdown(self) -> pd.Series:
        """``equity / running peak - 1`` (the peak starts at the initial cash), <= 0."""
        if self._drawdown is None:
            equity = self.equity
            values = equity.to_numpy()
            peak = np.maximum.accumulate(np.maximum(values, float(self.options["cash"])))
            self._drawdown = pd.Series(values / peak - 1.0, index=equity.index, name="drawdown")
        return self._drawdown

    @property
    def signals(self) -> pd.Series | pd.DataFrame:
        """Entry signals (bool)."""
        return self._get("signals")

    @property
    def indicators(self) -> pd.DataFrame:
        """The strategy's indicators per bar (columns by name; may have none)."""
        value = self._get("indicators")
        return pd.DataFrame(index=self.equity.index) if value is None else value

    @property
    def candles(self) -> pd.DataFrame | None:
        """Input candles of a single-symbol run, or None."""
        return self._get("candles")

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the input candles (index and the five price/volume columns)."""
        return self._get("fingerprint")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe summary: metadata and stats (non-finite numbers become None).

        >>> import json, vzb
        >>> r = vzb.backtest(vzb.load_sample("BTC_USD"))
        >>> sorted(json.loads(json.dumps(r.to_dict())))[:4]
        ['execution_time', 'fingerprint', 'n_positions', 'options']
        """
        return {
            "run_id": self.run_id,
            "version": self.version,
            "strategy": self.strategy,
            "params": _json_value(self.params),
            "symbols": list(self.symbols),
            "total_signals": self.total_signals,
            "execution_time": self.execution_time,
            "vzb_version": self.vzb_version,
            "options": _json_value(self.options),
            "fingerprint": self.fingerprint,
            "n_positions": len(self.positions),
            "stats": {str(k): _json_value(v) for k, v in self.stats.items()},
        }

    def stats_table(self) -> pd.DataFrame:
        """The stats for reading: grouped (period, returns, risk, trades, signals), each
        value formatted by its name (counts as integers, money with separators and the
        quote currency, percentages and ratios with two decimals, durations in days).

        Formatted by the presentation layer (``vzb/_hooks.py``), as ``plot`` draws.

        >>> import vzb
        >>> table = vzb.backtest(vzb.load_sample("BTC_USD")).stats_table()
        >>> table.loc[("trades", "# Trades"), "value"]
        '960'
        """
        from vzb import _hooks

        return _hooks.stats_formatter(self.stats, self.symbols)

    def plot(self, *, backend: str = "plotly", **kwargs: Any):
        """Price with the indicators, entries and exits; equity; drawdown.

        An interactive Plotly figure by default (zoom to a trade, hover for its details,
        range slider; ``log=``, ``price="line"``, ``max_points=`` and more: see
        :func:`vzb.widgets.figures.backtest_plotly`), or with ``backend="matplotlib"``
        a static figure for exports. Drawn by the presentation layer
        (``vzb/_hooks.py``: importing ``vzb`` sets the hook; the engine draws nothing
        itself). Returns the figure.
        """
        from vzb import _hooks

        return _hooks.result_plotter(self, backend=backend, **kwargs)

    def __repr__(self) -> str:
        stats = self.stats
        return (
            f"<BacktestResult {self.strategy} on {', '.join(self.symbols)}: "
            f"Return {stats['Return [%]']:.2f}%, {int(stats['# Trades'])} trades, "
            f"Sharpe {stats['Sharpe Ratio']:.2f}, Max DD {stats['Max. Drawdown [%]']:.2f}%>"
        )

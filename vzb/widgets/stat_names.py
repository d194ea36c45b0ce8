"""What each stat measures and where a view shows it, from its name alone (no imports:
the CLI reads this without loading the engine).

>>> stat_kind("# Trades"), stat_group("# Trades")
('count', 'trades')
"""

from __future__ import annotations

__all__ = ["STAT_GROUPS", "stat_group", "stat_kind"]

#: the display groups of the stats, in order (``"period"`` first, ``"other"`` last)
STAT_GROUPS = ("period", "returns", "risk", "trades", "signals", "other")

_GROUP_OF = {
    **dict.fromkeys(("Start", "End", "Duration"), "period"),
    **dict.fromkeys(
        ("Equity Final [$]", "Equity Peak [$]", "Return [%]", "Buy & Hold Return [%]", "CAGR [%]"),
        "returns",
    ),
    **dict.fromkeys(
        (
            "Volatility (Ann.) [%]",
            "Sharpe Ratio",
            "Sortino Ratio",
            "Calmar Ratio",
            "Max. Drawdown [%]",
            "Max. Drawdown Duration [bars]",
            "Exposure Time [%]",
        ),
        "risk",
    ),
    **dict.fromkeys(
        (
            "# Trades",
            "# Positions",
            "Win Rate [%]",
            "Best Trade [%]",
            "Worst Trade [%]",
            "Avg. Trade [%]",
            "Avg. Win [$]",
            "Avg. Loss [$]",
            "Avg. Win [%]",
            "Avg. Loss [%]",
            "Profit Factor",
            "Expectancy [$]",
            "SQN",
            "Total Fees [$]",
            "Fees Paid [$]",
            "Avg. Bars Held",
        ),
        "trades",
    ),
}

#: money columns of a positions table (named without a ``[$]``)
_MONEY_COLUMNS = ("entry_price", "exit_price", "entry_fee", "exit_fee", "gross_pnl", "net_pnl")
#: count columns of the tables vzb shows (named without a ``#``)
_COUNT_COLUMNS = ("bars_held", "trades", "changes", "Signal Samples", "n_trials", "n_sets")


def stat_kind(name: str) -> str:
    """What a stat (or table column) measures, from its name: ``"timestamp"``,
    ``"duration"``, ``"count"``, ``"money"``, ``"percent"`` or ``"ratio"`` (anything
    else: Sharpe, profit factor, SQN, means).

    Every name of ``vzb.engine.STAT_NAMES`` has its kind; ``COUNT_STATS`` are counts.

    >>> [stat_kind(n) for n in ("End", "# Trades", "Total Fees [$]", "CAGR [%]", "SQN")]
    ['timestamp', 'count', 'money', 'percent', 'ratio']
    """
    name = str(name)
    if name in ("Start", "End") or name.endswith("_time"):
        return "timestamp"
    if name == "Duration":
        return "duration"
    if name.startswith("#") or name.endswith("[bars]") or name in _COUNT_COLUMNS:
        return "count"
    if "[$]" in name or name in _MONEY_COLUMNS:
        return "money"
    if "[%]" in name:
        return "percent"
    return "ratio"


def stat_group(name: str) -> str:
    """The display group of a stat: one of :data:`STAT_GROUPS`.

    >>> stat_group("Sharpe Ratio"), stat_group("Signal Win Rate [%]"), stat_group("x")
    ('risk', 'signals', 'other')
    """
    name = str(name)
    if name.startswith("Signal") or name == "# Signals":
        return "signals"
    return _GROUP_OF.get(name, "other")

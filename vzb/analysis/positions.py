"""Statistics of a positions table: win rate, average win and loss, profit factor, fees.

>>> import pandas as pd
>>> positions = pd.DataFrame({"net_pnl": [30.0, -10.0, 20.0], "entry_fee": [1.0] * 3,
...                           "exit_fee": [1.0] * 3, "bars_held": [1, 2, 3]})
>>> round(position_stats(positions)["Win Rate [%]"], 2)
66.67
"""

from __future__ import annotations

import pandas as pd

from vzb.errors import ParameterError

__all__ = ["position_stats"]


def _mean(values: pd.Series | None) -> float:
    return float(values.mean()) if values is not None and len(values) else float("nan")


def _profit_factor(gains: float, losses: float) -> float:
    """Gains over losses as the engine's stats define it: inf with no losing position,
    NaN with no position at all."""
    if losses > 0:
        return gains / losses
    return float("inf") if gains > 0 else float("nan")


def position_stats(positions: pd.DataFrame) -> pd.Series:
    """Summary statistics of a positions table (``BacktestResult.positions``).

    Parameters
    ----------
    positions : pandas.DataFrame
        One row per closed position, with at least ``net_pnl``; ``return``,
        ``entry_fee``, ``exit_fee`` and ``bars_held`` are used when present.

    Returns
    -------
    pandas.Series
        ``# Positions``, ``Win Rate [%]``, ``Avg. Win [$]``, ``Avg. Loss [$]``,
        ``Avg. Win [%]``, ``Avg. Loss [%]``, ``Profit Factor`` (gross wins over gross
        losses, net of fees), ``Fees Paid [$]`` and ``Avg. Bars Held``; NaN where a value
        is undefined (no wins, no losses, no positions, a column not in the table).

    Raises
    ------
    ParameterError
        When ``positions`` has no ``net_pnl`` column.

    Examples
    --------
    >>> import pandas as pd
    >>> stats = position_stats(pd.DataFrame({"net_pnl": [30.0, -10.0, 20.0],
    ...                                      "return": [0.03, -0.01, 0.02]}))
    >>> stats["# Positions"], stats["Profit Factor"], stats["Avg. Loss [%]"]
    (3, 5.0, -1.0)
    """
    if "net_pnl" not in positions.columns:
        raise ParameterError(
            f"position_stats needs a positions table with a net_pnl column (as "
            f"BacktestResult.positions); got columns {list(map(str, positions.columns))}."
        )
    pnl = positions["net_pnl"].astype(float)
    won, lost = pnl > 0, pnl < 0
    returns = positions["return"].astype(float) * 100.0 if "return" in positions else None
    fee_columns = [c for c in ("entry_fee", "exit_fee") if c in positions.columns]
    fees = float(positions[fee_columns].to_numpy(dtype=float).sum()) if fee_columns else 0.0
    bars = positions["bars_held"].astype(float) if "bars_held" in positions else None
    count = len(pnl)
    return pd.Series(
        {
            "# Positions": count,
            "Win Rate [%]": int(won.sum()) / count * 100.0 if count else float("nan"),
            "Avg. Win [$]": _mean(pnl[won]),
            "Avg. Loss [$]": _mean(pnl[lost]),
            "Avg. Win [%]": _mean(None if returns is None else returns[won]),
            "Avg. Loss [%]": _mean(None if returns is None else returns[lost]),
            "Profit Factor": _profit_factor(float(pnl[won].sum()), -float(pnl[lost].sum())),
            "Fees Paid [$]": fees,
            "Avg. Bars Held": _mean(bars),
        },
        dtype=object,
    )

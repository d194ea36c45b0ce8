"""Engine options: fill price, fees, slippage, cash, size, stops. Validated in one place."""

from __future__ import annotations

import difflib
from typing import Any

from vzb.errors import ParameterError
from vzb.strategies.parameters import Parameter

__all__ = ["DEFAULT_OPTIONS", "FILLS", "KERNEL_OPTIONS", "kernel_options", "validate_options"]

FILLS = ("next_open", "close")

DEFAULT_OPTIONS: dict[str, Any] = {
    "fill": "next_open",
    "fees": 0.0,
    "slippage": 0.0,
    "cash": 1_000_000.0,
    "size": 1.0,
    "stop_loss": None,
    "take_profit": None,
}

_NUMERIC = {
    p.name: p
    for p in (
        Parameter("fees", DEFAULT_OPTIONS["fees"], float, low=0.0, high=0.5, high_inclusive=False),
        Parameter(
            "slippage", DEFAULT_OPTIONS["slippage"], float, low=0.0, high=0.5, high_inclusive=False
        ),
        Parameter("cash", DEFAULT_OPTIONS["cash"], float, low=0.0, low_inclusive=False, high=1e18),
        Parameter("size", DEFAULT_OPTIONS["size"], float, low=0.0, low_inclusive=False, high=1.0),
        Parameter(
            "stop_loss", None, float, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False
        ),
        Parameter("take_profit", None, float, low=0.0, low_inclusive=False, high=1e6),
    )
}


def validate_options(**options: Any) -> dict[str, Any]:
    """Normalised engine options (all keys, defaults filled in).

    Parameters
    ----------
    fill : {"next_open", "close"}
        Fill a signal on bar ``i`` at ``open[i+1]`` (default: cannot look ahead) or at
        ``close[i]``.
    fees : float
        Fraction of the notional charged per side (Upbit 0.0005, Bithumb 0.0025), 0 <= fees < 0.5.
    slippage : float
        Fraction added to entry prices and taken from exit prices, 0 <= slippage < 0.5.
    cash : float
        Initial cash, > 0.
    size : float
        Share of the cash put into each position, 0 < size <= 1.
    stop_loss, take_profit : float or None
        Fractions of the entry fill: stop at ``entry * (1 - stop_loss)`` (0 < stop_loss < 1),
        take profit at ``entry * (1 + take_profit)`` (take_profit > 0); None disables.

    Raises
    ------
    ParameterError
        Naming the option, the value and the allowed values; an unknown option gets a
        "did you mean".

    Examples
    --------
    >>> validate_options(fees=0.0005)["fees"]
    0.0005
    >>> validate_options(fil="close")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vzb.errors.ParameterError: Unknown engine option 'fil'. Did you mean 'fill'? ...
    """
    out = dict(DEFAULT_OPTIONS)
    for key, value in options.items():
        if key not in DEFAULT_OPTIONS:
            close = difflib.get_close_matches(key, list(DEFAULT_OPTIONS), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ParameterError(
                f"Unknown engine option {key!r}.{hint} Options: {', '.join(DEFAULT_OPTIONS)}"
            )
        if key == "fill":
            if value not in FILLS:
                raise ParameterError(f"fill={value!r} is not allowed: use one of {FILLS}")
            out[key] = value
        elif value is None and key in ("stop_loss", "take_profit"):
            out[key] = None
        else:
            out[key] = _NUMERIC[key].validate(value)
    return out


#: layout of the float64 options array every engine kernel takes (see kernel_options)
KERNEL_OPTIONS = (
    "fill_close",
    "fees",
    "slippage",
    "cash",
    "size",
    "stop_loss",
    "take_profit",
    "buy_hold",
    "bars_per_year",
    "days",
)
FILL_CLOSE, FEES, SLIPPAGE, CASH, SIZE, SL, TP, BUY_HOLD, BARS_PER_YEAR, DAYS = range(10)


def kernel_options(
    options: dict, *, buy_hold: float = 0.0, bars_per_year: float = 1.0, days: float = 0.0
) -> Any:
    """Pack validated engine options and a series' facts into the kernels' options array.

    ``options`` comes from :func:`vzb.engine.validate_options`; ``buy_hold`` is the
    buy-and-hold return (a fraction), ``days`` the calendar days from the first to the
    last bar. A disabled stop is NaN. The order is :data:`KERNEL_OPTIONS`.

    >>> from vzb.engine import validate_options
    >>> kernel_options(validate_options(fees=0.001, fill="close"))[:3].tolist()
    [1.0, 0.001, 0.0]
    """
    import numpy as np

    values = {
        "fill_close": 1.0 if options["fill"] == "close" else 0.0,
        "stop_loss": np.nan if options["stop_loss"] is None else options["stop_loss"],
        "take_profit": np.nan if options["take_profit"] is None else options["take_profit"],
        "buy_hold": buy_hold,
        "bars_per_year": bars_per_year,
        "days": days,
    }
    return np.array([float(values.get(k, options.get(k, 0.0))) for k in KERNEL_OPTIONS])

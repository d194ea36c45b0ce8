"""One number format for the result and sweep views, their reprs and reports (no widgets).

>>> [format_value(v) for v in (1234567.891, 0.012345, 12.3456, 42, 2.0, float("nan"))]
['1,234,568', '0.01235', '12.35', '42', '2', '']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["format_value"]


def format_value(value: Any) -> str:
    """A number (or timestamp, list...) as a reader scans it.

    Integers get thousands separators; floats too, with two decimals from 1 up and four
    significant digits below 1 (whole floats and values from 100,000 up without
    decimals); NaN is blank, infinities are ``inf``; timestamps drop a midnight time.

    Parameters
    ----------
    value : Any

    Returns
    -------
    str
    """
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        value = float(value)
        if not np.isfinite(value):
            return "" if np.isnan(value) else str(value)
        if abs(value) >= 1e5 or (value.is_integer() and abs(value) < 1e15):
            return f"{value:,.0f}"
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}"
    if isinstance(value, pd.Timestamp):
        daily = not (value.hour or value.minute)
        return str(value.date()) if daily else value.strftime("%Y-%m-%d %H:%M")
    return str(value)

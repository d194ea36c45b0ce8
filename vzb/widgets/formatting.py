"""One number format for the result, sweep and walk-forward views, their reprs and reports
(no widgets).

>>> [format_value(v) for v in (1234567.891, 0.012345, 12.3456, 42, 2.0, float("nan"))]
['1,234,568', '0.01235', '12.35', '42', '2', '']
>>> format_share(0.3512), format_share(float("nan"))
('35%', '')
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["format_share", "format_value", "overfitting_rows"]


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


def format_share(value: Any) -> str:
    """A probability or share (0..1) in whole percent, as :func:`vzb.analysis.describe`
    writes it; NaN or None is blank."""
    if value is None or (isinstance(value, float | np.floating) and np.isnan(value)):
        return ""
    return f"{float(value):.0%}"


def overfitting_rows(
    summary: dict[str, Any], out_of_sample: float | None = None
) -> list[tuple[str, str]]:
    """The overfitting statistics of :func:`vzb.analysis.overfitting_summary` as
    ``(label, text)`` rows in plain words (Sharpe ratios annualised).

    >>> rows = overfitting_rows({"n_trials": 384, "n_sets": 27, "best_sharpe": 1.7,
    ...     "expected_max_sharpe": 2.1, "deflated_sharpe": 0.31, "pbo": 0.62})
    >>> dict(rows)["PBO (probability of backtest overfitting)"]
    '62%'
    """
    pbo = summary.get("pbo")
    rows = [
        ("Trials counted on this study", format_value(int(summary["n_trials"]))),
        ("Sets in this grid", format_value(int(summary["n_sets"]))),
        ("Best set's Sharpe (in sample)", format_value(float(summary["best_sharpe"]))),
        ("Expected best Sharpe by chance", format_value(float(summary["expected_max_sharpe"]))),
        ("Deflated Sharpe: P(true Sharpe > 0)", format_share(summary["deflated_sharpe"])),
        (
            "PBO (probability of backtest overfitting)",
            format_share(pbo) if pbo is not None and np.isfinite(pbo) else "undefined",
        ),
    ]
    if out_of_sample is not None:
        rows.append(("Walk-forward Sharpe (out of sample)", format_value(float(out_of_sample))))
    return rows

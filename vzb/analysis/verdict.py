"""Is the best parameter set an edge or luck? The summary and its verdict in words.

:func:`choose_best` picks the best set of a sweep table; :func:`overfitting_summary`
gathers the deflated Sharpe ratio, the expected maximum Sharpe ratio of that many
skill-less trials and the probability of backtest overfitting; :func:`describe` says
what they mean in a sentence a researcher can act on.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from vzb.analysis.overfitting import backtest_overfitting, deflated_sharpe, expected_max_sharpe
from vzb.engine.stats import series_facts
from vzb.errors import ParameterError

__all__ = ["PBO_BLOCKS", "choose_best", "describe", "overfitting_summary", "plain"]

#: blocks of the CSCV (fewer when the candles are too short for 16)
PBO_BLOCKS = 16


def choose_best(table: pd.DataFrame, objective: str, parameters: list[str]) -> pd.Series:
    """The parameter set with the highest ``objective``, averaged over symbols.

    Tie rule: among equal best values the first set in grid order wins; a NaN objective
    (e.g. a Sharpe ratio without trades) ranks below every number.
    """
    scores = table.groupby(parameters, sort=False, dropna=False)[objective].mean()
    values = scores.to_numpy(dtype=float)
    if np.isnan(values).all():
        best = 0
    else:
        best = int(np.nanargmax(values))
    row = scores.index[best]
    row = row if isinstance(row, tuple) else (row,)
    return pd.Series({**dict(zip(parameters, row, strict=True)), objective: values[best]})


def plain(value: Any) -> Any:
    """A numpy scalar as the Python value (for records and messages)."""
    return value.item() if hasattr(value, "item") else value


def overfitting_summary(
    table: pd.DataFrame,
    returns: pd.DataFrame,
    *,
    objective: str = "Sharpe Ratio",
    n_trials: int | None = None,
) -> dict[str, Any]:
    """Is the best set of a sweep an edge or luck? From ``vzb.sweep(..., returns=True)``.

    Sharpe ratios are annualised as the stats are (from the bars per year of the
    returns' index). ``n_trials`` is how many sets were really tried on the study
    (:func:`vzb.analysis.count_trials`); at least the sweep's own sets.

    Returns a dict: ``n_trials``, ``n_sets``; ``best`` (the set with the best
    ``objective``, :func:`choose_best`) and ``best_sharpe``; ``expected_max_sharpe``,
    what the best of ``n_trials`` skill-less trials reaches by chance;
    ``deflated_sharpe``, the probability that the best set's true Sharpe ratio is above
    zero; ``pbo`` (NaN when undefined), ``pbo_blocks`` and ``pbo_logits`` (for a
    histogram). :func:`describe` puts it in words.

    Examples
    --------
    >>> import vzb
    >>> table, returns = vzb.sweep(vzb.load_sample("ETH_USD"), vzb.strategies.DEFAULT_STRATEGY,
    ...                            {"volume_window": [10, 20, 40]}, returns=True)
    >>> summary = overfitting_summary(table, returns)
    >>> summary["n_sets"], 0 <= summary["pbo"] <= 1
    (3, True)
    """
    parameters = list(table.attrs.get("parameters") or [])
    if not parameters:
        raise ParameterError(
            "the sweep table does not name its parameters (table.attrs['parameters']); "
            "pass a table from vzb.sweep or set that list"
        )
    n_sets = returns.shape[1]
    n_trials = max(int(n_trials or 0), n_sets)
    values = returns.to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        sharpes = values.mean(axis=0) / values.std(axis=0, ddof=1)
    sharpes[~np.isfinite(sharpes)] = np.nan
    best = choose_best(table, objective, parameters)
    sets = table.drop_duplicates(parameters)[parameters].reset_index(drop=True)
    match = np.ones(n_sets, dtype=bool)
    for name in parameters:
        match &= (sets[name] == best[name]).to_numpy()
    position = int(np.flatnonzero(match)[0])
    finite = sharpes[np.isfinite(sharpes)]
    blocks = PBO_BLOCKS
    while blocks > 2 and len(values) < 4 * blocks:
        blocks -= 2
    pbo = None
    if n_sets >= 2 and len(values) >= 2 * blocks:
        pbo = backtest_overfitting(values, blocks)
    scale = math.sqrt(series_facts(returns.index)[0])
    hurdle = expected_max_sharpe(n_trials, float(np.std(finite, ddof=1)) if len(finite) > 1 else 0)
    return {
        "n_trials": n_trials,
        "n_sets": n_sets,
        "best": {name: plain(best[name]) for name in parameters},
        "best_sharpe": float(sharpes[position]) * scale,
        "expected_max_sharpe": hurdle * scale,
        "deflated_sharpe": deflated_sharpe(values[:, position], finite, n_trials=n_trials),
        "pbo": math.nan if pbo is None else pbo.pbo,
        "pbo_blocks": blocks,
        "pbo_logits": None if pbo is None else pbo.logits,
    }


def describe(summary: dict[str, Any], *, out_of_sample: float | None = None) -> str:
    """The summary in plain words (Sharpe ratios annualised).

    >>> describe({"best_sharpe": 1.7, "expected_max_sharpe": 2.1, "n_trials": 384,
    ...           "deflated_sharpe": 0.31, "pbo": 0.62})  # doctest: +NORMALIZE_WHITESPACE
    "The best set's Sharpe 1.70 is below the 2.10 expected from 384 tries by chance: the
    deflated Sharpe gives a 31% probability that its true Sharpe is above zero. PBO 62%:
    the in-sample winner ranks in the bottom half out of sample in 62% of the splits,
    so the selection looks like luck."
    """
    best, hurdle, n = summary["best_sharpe"], summary["expected_max_sharpe"], summary["n_trials"]
    relation = "above" if best > hurdle else "below"
    words = (
        f"The best set's Sharpe {best:.2f} is {relation} the {hurdle:.2f} expected from "
        f"{n:,} tries by chance: the deflated Sharpe gives a "
        f"{summary['deflated_sharpe']:.0%} probability that its true Sharpe is above zero."
    )
    pbo = summary["pbo"]
    if isinstance(pbo, float) and math.isnan(pbo):
        words += " PBO is undefined (a set never trades in some half of the candles)."
    else:
        if pbo >= 0.5:
            verdict = "the selection looks like luck"
        elif not best > 0:
            verdict = "the ranking persists, but even the best set loses money: no edge to keep"
        elif pbo < 0.2:
            verdict = "the selection holds up out of sample"
        else:
            verdict = "the selection is doubtful"
        words += (
            f" PBO {pbo:.0%}: the in-sample winner ranks in the bottom half out of sample in "
            f"{pbo:.0%} of the splits, so {verdict}."
        )
    if out_of_sample is not None:
        words += f" Out of sample (walk-forward) its Sharpe was {out_of_sample:.2f}."
    return words

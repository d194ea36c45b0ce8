"""Walk-forward optimisation: choose on the past, judge on what came after.

On each fold (:func:`~vzb.analysis.folds.split_folds`) the grid is swept on the training
window, the set with the best ``objective`` is chosen, and that set is backtested on the
test window that follows, starting flat with the cash the previous test window ended
with (the history before the window feeds the strategy's look-back only). Only the test
windows make the out-of-sample equity, positions and stats. The whole grid is also swept
once over all the candles, for the in-sample best and the overfitting statistics: the
probability of backtest overfitting of the grid and the deflated Sharpe ratio of its
in-sample best set.

>>> import vzb
>>> candles = vzb.load_sample("BTC_USD")
>>> wf = walk_forward(candles, vzb.strategies.DEFAULT_STRATEGY, {"volume_window": [10, 20]},
...                   train=365, test=180)
>>> len(wf.folds), list(wf.folds.columns[:4])
(8, ['train_start', 'train_end', 'test_start', 'test_end'])
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from vzb.analysis.folds import Fold, Window, split_folds
from vzb.analysis.ledger import count_trials, frames_study
from vzb.analysis.verdict import choose_best, overfitting_summary, plain
from vzb.data.arrays import symbol_frames
from vzb.engine import STAT_NAMES, backtest, chain, parameter_sets, sweep_sets
from vzb.engine.options import validate_options
from vzb.engine.result import BacktestResult
from vzb.errors import ParameterError
from vzb.strategies import get_strategy, strategy_ref

__all__ = ["WalkForwardResult", "walk_forward"]


@dataclass
class WalkForwardResult:
    """The outcome of :func:`walk_forward`.

    Attributes
    ----------
    folds : DataFrame
        One row per fold: training and test ranges, the chosen parameters, the
        objective in sample (training window) and out of sample (test window), trades.
    result : BacktestResult
        The test windows chained: ``equity``, ``positions`` and ``stats`` out of sample.
    in_sample : DataFrame
        The grid swept over all the candles (one row per set and symbol).
    overfitting : dict
        ``n_trials``, every set tried on this study so far (the ledger of
        :mod:`vzb.analysis.ledger`; at least ``n_sets``, this grid's); ``best``, the
        in-sample best set over all the candles, and
        ``best_sharpe``, its Sharpe ratio; ``expected_max_sharpe``, what the best of
        that many skill-less trials reaches by chance (both annualised like the stats);
        ``deflated_sharpe``, the probability that the best set's true Sharpe ratio is
        above zero; ``pbo``, the probability of backtest overfitting (with
        ``pbo_logits`` for a histogram and ``pbo_blocks``).
    objective, parameters, swept, strategy
        What was optimised, every parameter name, the names the grid varies, the
        strategy reference.
    """

    folds: pd.DataFrame
    result: BacktestResult
    in_sample: pd.DataFrame
    overfitting: dict[str, Any]
    objective: str
    parameters: list[str]
    swept: list[str]
    strategy: str

    @property
    def equity(self) -> pd.Series:
        """Out-of-sample equity (test windows only)."""
        return self.result.equity

    @property
    def positions(self) -> pd.DataFrame:
        """Out-of-sample positions."""
        return self.result.positions

    @property
    def stats(self) -> pd.Series:
        """Stats of the out-of-sample equity and positions."""
        return self.result.stats

    @property
    def parameter_stability(self) -> pd.DataFrame:
        """Per swept parameter: the value chosen most often and its share of the folds,
        how many times the choice changed from one fold to the next, and the mean move
        between folds as a share of the grid's range (0: never moves)."""
        rows = {}
        grid_values = self.in_sample[self.swept]
        for name in self.swept:
            chosen = self.folds[name]
            counts = chosen.value_counts(sort=True)
            moves = math.nan
            if pd.api.types.is_numeric_dtype(chosen) and not pd.api.types.is_bool_dtype(chosen):
                span = float(grid_values[name].max() - grid_values[name].min())
                steps = chosen.astype(float).diff().abs().iloc[1:]
                moves = float(steps.mean() / span) if span > 0 and len(steps) else 0.0
            rows[name] = {
                "most_chosen": counts.index[0],
                "share_of_folds": float(counts.iloc[0] / len(chosen)),
                "changes": int((chosen != chosen.shift()).iloc[1:].sum()),
                "mean_move": moves,
            }
        return pd.DataFrame.from_dict(rows, orient="index")

    def plot(self, **kwargs: Any):
        """Out-of-sample equity with the folds marked, the parameters chosen per fold and
        the PBO rank-logit histogram (drawn by the presentation layer through
        ``vzb/_hooks.py``; importing ``vzb`` sets the hook). Returns the figure."""
        from vzb import _hooks

        return _hooks.walk_forward_plotter(self, **kwargs)

    def __repr__(self) -> str:
        stats = self.stats
        best = self.overfitting
        return (
            f"<WalkForwardResult {self.strategy}: {len(self.folds)} folds, out of sample "
            f"Return {stats['Return [%]']:.2f}%, Sharpe {stats['Sharpe Ratio']:.2f}; "
            f"in-sample best Sharpe {best['best_sharpe']:.2f} against "
            f"{best['expected_max_sharpe']:.2f} expected from {best['n_trials']} tries by "
            f"chance, PBO {best['pbo']:.2f}>"
        )


def _slice(frames: dict[str, pd.DataFrame], start, stop) -> dict[str, pd.DataFrame]:
    """Each symbol's candles with ``start <= time < stop`` (``stop`` None: to the end);
    a symbol with none there sits the window out."""
    out = {}
    for symbol, frame in frames.items():
        index = frame.index
        lo = index.searchsorted(start, side="left")
        hi = len(index) if stop is None else index.searchsorted(stop, side="left")
        if hi > lo:
            out[symbol] = frame.iloc[lo:hi]
    return out


def check_objective(objective: str) -> None:
    if objective not in STAT_NAMES:
        close = difflib.get_close_matches(str(objective), STAT_NAMES, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ParameterError(
            f"objective={objective!r} is not a stat.{hint} Stats: {', '.join(STAT_NAMES)}"
        )


def walk_forward(
    candles: pd.DataFrame | Mapping[str, pd.DataFrame],
    strategy: Any,
    grid: Mapping[str, Any],
    *,
    train: Window,
    test: Window,
    step: Window | None = None,
    anchored: bool = False,
    purge: int = 0,
    objective: str = "Sharpe Ratio",
    n_iter: int | None = None,
    seed: int | None = None,
    n_jobs: int | None = None,
    **options: Any,
) -> WalkForwardResult:
    """Walk-forward optimisation of ``grid`` (see the module docstring).

    Parameters
    ----------
    candles : DataFrame or mapping of symbol -> DataFrame
        Several symbols share the folds (cut on the union of their timestamps); the
        objective of a set is its mean over the symbols; a symbol without candles in a
        window sits that window out.
    strategy : str or Strategy
    grid : mapping
        Parameter name -> values (see :func:`vzb.engine.parameter_sets`).
    train, test, step, anchored, purge
        The folds (:func:`~vzb.analysis.folds.split_folds`).
    objective : str
        The stat maximised on each training window; ties go to the first set in grid
        order (:func:`choose_best`).
    n_iter, seed : int, optional
        A seeded random sample of the grid instead of all of it.
    n_jobs : int, optional
        Worker processes for the sweeps (as :func:`vzb.sweep`).
    **options
        Engine options, for every sweep and backtest.

    Returns
    -------
    WalkForwardResult
    """
    check_objective(objective)
    opts = validate_options(**options)
    strat = get_strategy(strategy)
    sets = parameter_sets(strat, grid, n_iter=n_iter, seed=seed)
    frames = symbol_frames(candles)
    index = union_index(frames)
    folds = split_folds(index, train, test, step=step, anchored=anchored, purge=purge)
    tables = []
    for fold in folds:
        train_start, train_stop = fold_training(index, fold)
        training = _slice(frames, train_start, train_stop)
        tables.append(sweep_sets(training, strat, sets, n_jobs=n_jobs, count_trials=False, **opts))
    in_sample, returns = sweep_sets(frames, strat, sets, n_jobs=n_jobs, returns=True, **opts)
    return assemble(frames, index, folds, tables, in_sample, returns, strat, objective, opts)


def union_index(frames: Mapping[str, pd.DataFrame]) -> pd.DatetimeIndex:
    """The union of the symbols' timestamps (the folds are cut on it)."""
    index = None
    for frame in frames.values():
        index = frame.index if index is None else index.union(frame.index)
    return index


def fold_training(index: pd.DatetimeIndex, fold: Fold) -> tuple[pd.Timestamp, pd.Timestamp]:
    """A fold's training window as times ``[start, stop)`` (candles in it are used)."""
    return index[fold.train.start], index[fold.train.stop]


def training_symbols(frames: Mapping[str, pd.DataFrame], index, fold: Fold) -> list[str]:
    """The symbols with candles in a fold's training window (the others sit it out)."""
    return list(_slice(frames, *fold_training(index, fold)))


def assemble(
    frames: Mapping[str, pd.DataFrame],
    index: pd.DatetimeIndex,
    folds: list[Fold],
    tables: list[pd.DataFrame],
    in_sample: pd.DataFrame,
    returns: pd.DataFrame,
    strat: Any,
    objective: str,
    opts: Mapping[str, Any],
    *,
    home: str | None = None,
) -> WalkForwardResult:
    """The walk-forward result from each fold's training sweep (``tables``) and the sweep
    over all the candles: per fold, choose the best set, backtest it on the test window
    (flat, with the cash the previous window ended with), chain; then the overfitting
    statistics with the ledger's count (``home``: the ledger's directory, see
    :func:`~vzb.analysis.ledger.home_dir`). :func:`walk_forward` and its job both end
    here."""
    parameters = list(strat.parameters)
    symbol = next(iter(frames))
    rows, pieces = [], []
    cash = opts["cash"]
    for fold, table in zip(folds, tables, strict=True):
        train_start, train_stop = index[fold.train.start], index[fold.train.stop - 1]
        test_start = index[fold.test.start]
        test_stop = index[fold.test.stop] if fold.test.stop < len(index) else None
        best = choose_best(table, objective, parameters)
        params = {name: plain(best[name]) for name in parameters}
        history = _slice(frames, index[0], test_start)
        window = _slice(frames, test_start, test_stop)
        if len(frames) == 1:  # one frame in, one result out (not a combined portfolio)
            window, history = window[symbol], history.get(symbol)
        result = backtest(window, strat, params, warmup=history, **{**opts, "cash": cash})
        cash = float(result.equity.iloc[-1])
        pieces.append(result)
        rows.append(
            {
                "train_start": train_start,
                "train_end": train_stop,
                "test_start": test_start,
                "test_end": result.equity.index[-1],
                **params,
                "in_sample": float(best[objective]),
                "out_of_sample": float(result.stats[objective]),
                "trades": int(result.stats["# Trades"]),
            }
        )
    n_sets = returns.shape[1]
    # every set tried on this study so far (the full sweep was just counted), not only these
    study = count_trials(strategy_ref(strat), *frames_study(frames), home=home)
    overfitting = overfitting_summary(
        in_sample, returns, objective=objective, n_trials=max(study, n_sets)
    )
    return WalkForwardResult(
        folds=pd.DataFrame(rows, index=pd.RangeIndex(1, len(rows) + 1, name="fold")),
        result=chain(pieces),
        in_sample=in_sample,
        overfitting=overfitting,
        objective=objective,
        parameters=parameters,
        swept=[name for name in parameters if in_sample[name].nunique(dropna=False) > 1],
        strategy=strategy_ref(strat),
    )

"""Is the best parameter set an edge or luck? Deflated Sharpe ratio and PBO.

- :func:`expected_max_sharpe`: the Sharpe ratio the best of ``n`` skill-less trials
  reaches by chance (Bailey and López de Prado, 2014).
- :func:`deflated_sharpe`: the probability that the best set's true Sharpe ratio is
  above zero, given how many trials were run, how their Sharpe ratios spread, the skew
  and kurtosis of its returns and the sample length (the same paper).
- :func:`backtest_overfitting`: the probability of backtest overfitting by
  combinatorially symmetric cross-validation (Bailey, Borwein, López de Prado and Zhu,
  2017): how often the in-sample winner ranks in the bottom half out of sample.

Sharpe ratios here are **per period** (not annualised): annualising multiplies every
trial's ratio and the hurdle by the same factor, so it cancels. The conventions are
ffn 1.4's (``calc_deflated_sharpe_ratio``, ``calc_prob_backtest_overfitting``), which
the tests check vzb against; vzb's CSCV runs in numba, about 10,000 trials x 16 blocks
in seconds.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> noise = rng.normal(0, 0.01, size=(2_000, 50))      # 50 trials with no skill
>>> result = backtest_overfitting(noise, n_blocks=8)
>>> 0.2 < result.pbo < 0.8
True
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from vzb.errors import ParameterError

__all__ = [
    "OverfittingResult",
    "backtest_overfitting",
    "deflated_sharpe",
    "expected_max_sharpe",
]

_EULER_GAMMA = 0.5772156649015329
_NORMAL = NormalDist()


def expected_max_sharpe(n_trials: int, sharpe_std: float) -> float:
    """Expected maximum Sharpe ratio of ``n_trials`` skill-less trials whose Sharpe
    ratios spread with standard deviation ``sharpe_std`` (same units in and out).

    ``E[max] ~ std * ((1 - g) * Z(1 - 1/N) + g * Z(1 - 1/(N e)))`` with ``g`` the
    Euler-Mascheroni constant and ``Z`` the standard normal quantile.

    >>> round(expected_max_sharpe(100, 1.0), 4)
    2.5306
    >>> expected_max_sharpe(1, 1.0)
    0.0
    """
    if n_trials < 1:
        raise ParameterError(f"n_trials={n_trials} must be at least 1")
    if n_trials == 1 or not sharpe_std > 0:
        return 0.0
    z = _NORMAL.inv_cdf
    return sharpe_std * (
        (1 - _EULER_GAMMA) * z(1 - 1 / n_trials) + _EULER_GAMMA * z(1 - 1 / (n_trials * math.e))
    )


def deflated_sharpe(returns, trial_sharpes, *, n_trials: int | None = None) -> float:
    """Probability that the best set's true Sharpe ratio is above zero (the deflated
    Sharpe ratio), given every trial run to find it.

    Parameters
    ----------
    returns : array-like
        Per-period returns of the selected (best) set.
    trial_sharpes : array-like
        Per-period Sharpe ratios of the trials: their spread sets the hurdle.
    n_trials : int, optional
        How many trials were really run (e.g. counted over a whole study); defaults to
        ``len(trial_sharpes)``.

    Returns
    -------
    float
        ``Phi((SR - SR0) * sqrt(n - 1) / sqrt(1 - skew * SR + (kurtosis - 1) / 4 * SR^2))``
        with ``SR0`` the :func:`expected_max_sharpe`; NaN when undefined (fewer than
        3 returns, constant returns, a non-finite trial Sharpe ratio).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> best = rng.normal(0.002, 0.01, 1_000)  # Sharpe 0.2 a period
    >>> trials = rng.normal(0, 0.03, 200)       # the Sharpe ratios of the 200 tried
    >>> round(deflated_sharpe(best, trials), 2)
    0.97
    >>> round(deflated_sharpe(best, trials, n_trials=100_000), 2)  # counted over a study
    0.64
    """
    series = pd.Series(np.asarray(returns, dtype=float)).dropna()
    trials = np.asarray(trial_sharpes, dtype=float)
    n = len(series)
    if n < 3 or not np.isfinite(trials).all() or len(trials) == 0:
        return math.nan
    spread = float(series.max() - series.min())
    if not spread > 4 * np.finfo(float).eps * float(series.abs().max()):
        return math.nan
    sharpe = float(series.mean() / series.std(ddof=1))
    hurdle = expected_max_sharpe(
        len(trials) if n_trials is None else int(n_trials),
        float(np.std(trials, ddof=1)) if len(trials) > 1 else 0.0,
    )
    skew = float(series.skew())
    kurtosis = float(series.kurt()) + 3.0
    variance = 1 - skew * sharpe + (kurtosis - 1) / 4 * sharpe**2
    if not variance > 0:
        return math.nan
    return _NORMAL.cdf((sharpe - hurdle) * math.sqrt(n - 1) / math.sqrt(variance))


@dataclass(frozen=True)
class OverfittingResult:
    """The outcome of :func:`backtest_overfitting`.

    Attributes
    ----------
    pbo : float
        Share of combinations where the in-sample winner's out-of-sample rank is in the
        bottom half (logit <= 0); near 0.5 or above: the selection is luck.
    logits : numpy.ndarray
        Logit of the winner's relative out-of-sample rank, one per combination (for a
        histogram).
    in_sample, out_of_sample : numpy.ndarray
        The winner's per-period Sharpe ratio in and out of sample, per combination (the
        performance degradation, for a scatter plot).
    n_blocks, n_trials : int
    """

    pbo: float
    logits: np.ndarray
    in_sample: np.ndarray
    out_of_sample: np.ndarray
    n_blocks: int
    n_trials: int

    @property
    def mean_oos_rank(self) -> float:
        """Mean relative out-of-sample rank of the in-sample winner (0.5: no skill)."""
        return float(np.mean(1.0 / (1.0 + np.exp(-self.logits))))


def backtest_overfitting(trial_returns, n_blocks: int = 16) -> OverfittingResult:
    """Probability of backtest overfitting by CSCV, from a (periods x trials) matrix.

    The rows (truncated to a multiple of ``n_blocks``) are cut into ``n_blocks``
    contiguous blocks; for each way of choosing half of them as in-sample (the rest out
    of sample), the trial with the best in-sample Sharpe ratio is ranked among all
    trials out of sample.

    Parameters
    ----------
    trial_returns : array-like or DataFrame
        Per-period returns, one column per trial, rows in time order.
    n_blocks : int
        Even, at least 2; 16 gives 12,870 combinations.

    Returns
    -------
    OverfittingResult
    """
    values = np.asarray(trial_returns, dtype=np.float64)
    if values.ndim != 2:
        raise ParameterError(
            f"trial_returns must be a 2-D (periods x trials) matrix, not {values.ndim}-D"
        )
    if not isinstance(n_blocks, int | np.integer) or n_blocks < 2 or n_blocks % 2:
        raise ParameterError(f"n_blocks={n_blocks!r} must be an even integer >= 2 (e.g. 16)")
    rows = (values.shape[0] // n_blocks) * n_blocks
    if rows < 2 * n_blocks or values.shape[1] < 2:
        raise ParameterError(
            f"trial_returns of shape {values.shape} is too small for n_blocks={n_blocks}: "
            f"give at least {2 * n_blocks} periods and 2 trials, or fewer blocks"
        )
    from vzb.analysis.nb import block_moments_nb, cscv_nb

    # trial-major: free for a returns frame (pandas keeps its columns as rows of a block)
    by_trial = np.ascontiguousarray(values[:rows].T)
    trials = by_trial.shape[0]
    moments = np.empty((trials, n_blocks, 4))
    block_moments_nb(by_trial, n_blocks, moments)
    all_combos = itertools.combinations(range(n_blocks), n_blocks // 2)
    half = math.comb(n_blocks, n_blocks // 2) // 2
    combos = np.array(list(itertools.islice(all_combos, half)), dtype=np.int64)
    logits, in_sample, out_of_sample = (np.empty(2 * half) for _ in range(3))
    cscv_nb(moments, rows // n_blocks, combos, logits, in_sample, out_of_sample)
    pbo = float(np.mean(logits <= 0.0)) if np.isfinite(logits).all() else math.nan
    return OverfittingResult(pbo, logits, in_sample, out_of_sample, n_blocks, trials)

"""Numba kernels of the overfitting statistics: arrays in, arrays out.

:func:`cscv_nb` runs combinatorially symmetric cross-validation (Bailey, Borwein, López
de Prado and Zhu, 2017) on per-block sums of a trial return matrix, one combination of
blocks per iteration, spread over threads. Its conventions follow ffn 1.4's
``calc_prob_backtest_overfitting`` with the default metric, so the two agree.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["block_moments_nb", "cscv_nb"]


@njit(cache=True)
def block_moments_nb(returns, n_blocks, moments):
    """Per trial and block: the sum, the sum of squares, the min and the max.

    ``returns`` is trial-major, ``(trials, rows)`` with ``rows`` a multiple of
    ``n_blocks``; block ``b`` holds rows ``b * size .. (b + 1) * size - 1``.
    ``moments`` is ``(trials, n_blocks, 4)``: a trial's blocks lie together in memory.
    """
    trials, rows = returns.shape
    size = rows // n_blocks
    for j in range(trials):
        for b in range(n_blocks):
            s = 0.0
            q = 0.0
            lo = np.inf
            hi = -np.inf
            for t in range(b * size, (b + 1) * size):
                r = returns[j, t]
                s += r
                q += r * r
                lo = min(lo, r)
                hi = max(hi, r)
            moments[j, b, 0] = s
            moments[j, b, 1] = q
            moments[j, b, 2] = lo
            moments[j, b, 3] = hi


@njit(cache=True)
def _sharpe_nb(s, q, lo, hi, n):
    """Per-period Sharpe ratio (mean / std, ddof 1) from sums; NaN when constant."""
    mean = s / n
    var = (q - s * mean) / (n - 1)
    if hi > lo and var > 0.0:
        return mean / np.sqrt(var)
    return np.nan


@njit(cache=True)
def _halves_nb(moments, mask, n, first, second):
    """Each trial's Sharpe ratio over the blocks in ``mask`` (``first``) and over the
    others (``second``); both halves hold ``n`` periods."""
    for j in range(moments.shape[0]):
        s1 = q1 = s2 = q2 = 0.0
        lo1 = lo2 = np.inf
        hi1 = hi2 = -np.inf
        for b in range(moments.shape[1]):
            m = moments[j, b]
            if mask[b]:
                s1 += m[0]
                q1 += m[1]
                lo1 = min(lo1, m[2])
                hi1 = max(hi1, m[3])
            else:
                s2 += m[0]
                q2 += m[1]
                lo2 = min(lo2, m[2])
                hi2 = max(hi2, m[3])
        first[j] = _sharpe_nb(s1, q1, lo1, hi1, n)
        second[j] = _sharpe_nb(s2, q2, lo2, hi2, n)


@njit(cache=True)
def _winner_rank_nb(train, test):
    """(winner, its average rank in ``test`` / (trials + 1)); winner = first argmax."""
    winner = 0
    for j in range(train.shape[0]):
        if train[j] > train[winner]:
            winner = j
    value = test[winner]
    less = 0
    equal = 0
    for j in range(test.shape[0]):
        if test[j] < value:
            less += 1
        elif test[j] == value:
            equal += 1
    return winner, (less + (equal + 1) / 2.0) / (test.shape[0] + 1.0)


@njit(cache=True)
def _direction_nb(train, test, position, logits, is_best, oos_best):
    """Write the winner of ``train`` ranked in ``test`` at ``position``."""
    winner, omega = _winner_rank_nb(train, test)
    logits[position] = np.log(omega / (1.0 - omega))
    is_best[position] = train[winner]
    oos_best[position] = test[winner]


@njit(cache=True, parallel=True)
def cscv_nb(moments, size, combos, logits, is_best, oos_best):
    """CSCV over the block combinations ``combos`` (each row: the in-sample blocks of
    one combination that holds block 0; its complement is the mirrored combination).

    ``moments`` comes from :func:`block_moments_nb`, ``size`` is the periods per block.
    For combination ``c`` (and its mirror ``2C - 1 - c``) writes the logit of the
    in-sample winner's relative out-of-sample rank, the winner's in-sample Sharpe and
    its out-of-sample Sharpe. A half where any trial's Sharpe is undefined gives NaN in
    both directions.
    """
    half = combos.shape[0]
    trials, n_blocks = moments.shape[0], moments.shape[1]
    n = size * (n_blocks // 2)
    total = 2 * half
    for c in prange(half):
        mask = np.zeros(n_blocks, dtype=np.bool_)
        for b in combos[c]:
            mask[b] = True
        first = np.empty(trials)
        second = np.empty(trials)
        _halves_nb(moments, mask, n, first, second)
        mirror = total - 1 - c
        if not (np.isfinite(first).all() and np.isfinite(second).all()):
            logits[c] = logits[mirror] = np.nan
            is_best[c] = is_best[mirror] = np.nan
            oos_best[c] = oos_best[mirror] = np.nan
            continue
        _direction_nb(first, second, c, logits, is_best, oos_best)
        _direction_nb(second, first, mirror, logits, is_best, oos_best)

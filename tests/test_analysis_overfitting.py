"""Overfitting statistics: against ffn 1.4 on the same inputs, and against the papers'
properties (no skill -> PBO near 0.5 and a deflated Sharpe that is not significant; a
planted edge -> low PBO and a significant deflated Sharpe)."""

from __future__ import annotations

import math

import ffn
import numpy as np
import pandas as pd
import pytest

from vzb.analysis.overfitting import backtest_overfitting, deflated_sharpe, expected_max_sharpe
from vzb.errors import ParameterError


def _frame(values):
    return pd.DataFrame(values, index=pd.date_range("2020-01-01", periods=len(values)))


@pytest.mark.parametrize("n_blocks", [2, 8, 10])
def test_pbo_equals_ffn_logit_for_logit(n_blocks):
    rng = np.random.default_rng(n_blocks)
    returns = rng.normal(0.0001, 0.01, size=(403, 12))
    returns[:, 5] += 0.0015  # one trial with an edge
    ours = backtest_overfitting(returns, n_blocks)
    theirs = ffn.core.calc_prob_backtest_overfitting(
        _frame(returns), n_blocks=n_blocks, full_output=True
    )
    assert ours.pbo == theirs["pbo"]
    np.testing.assert_allclose(ours.logits, theirs["logits"].to_numpy(), rtol=1e-9)
    assert ours.mean_oos_rank == pytest.approx(theirs["mean_oos_rank"], rel=1e-9)
    assert len(ours.logits) == math.comb(n_blocks, n_blocks // 2)


def test_pbo_is_undefined_like_ffn_when_a_trial_is_flat_in_a_half():
    rng = np.random.default_rng(7)
    returns = rng.normal(0, 0.01, size=(200, 6))
    returns[:100, 2] = 0.0  # never traded in the first half of the sample
    ours = backtest_overfitting(returns, 4)
    theirs = ffn.core.calc_prob_backtest_overfitting(_frame(returns), n_blocks=4, full_output=True)
    np.testing.assert_array_equal(np.isnan(ours.logits), theirs["logits"].isna().to_numpy())
    assert math.isnan(ours.pbo) and math.isnan(theirs["pbo"])


def test_winner_in_and_out_of_sample_sharpes_are_the_halves_sharpes():
    rng = np.random.default_rng(3)
    returns = rng.normal(0, 0.01, size=(160, 5))
    result = backtest_overfitting(returns, 2)  # combination 0: block 0 in sample
    first, second = returns[:80], returns[80:]
    sharpe_1 = first.mean(axis=0) / first.std(axis=0, ddof=1)
    sharpe_2 = second.mean(axis=0) / second.std(axis=0, ddof=1)
    winner = int(np.argmax(sharpe_1))
    assert result.in_sample[0] == pytest.approx(sharpe_1[winner], rel=1e-9)
    assert result.out_of_sample[0] == pytest.approx(sharpe_2[winner], rel=1e-9)
    rank = (np.sum(sharpe_2 < sharpe_2[winner]) + 1) / 6
    assert result.logits[0] == pytest.approx(math.log(rank / (1 - rank)))


@pytest.mark.parametrize("n_trials", [1, 2, 10, 384, 10_000])
def test_expected_max_sharpe_equals_ffn(n_trials):
    got = expected_max_sharpe(n_trials, 0.07)
    assert got == pytest.approx(ffn.core.calc_expected_max_sharpe(n_trials, 0.07), rel=1e-12)


def test_deflated_sharpe_equals_ffn_on_skewed_returns():
    rng = np.random.default_rng(11)
    best = pd.Series(rng.standard_t(4, 900) * 0.01 + 0.001)
    trials = rng.normal(0.0, 0.04, 250)
    ours = deflated_sharpe(best, trials)
    theirs = ffn.core.calc_deflated_sharpe_ratio(
        best, pd.Series(trials), nperiods=365, annualized_trials=False
    )
    assert ours == pytest.approx(theirs, rel=1e-9)
    # more trials than those listed raise the hurdle: the probability falls
    assert deflated_sharpe(best, trials, n_trials=10_000) < ours


def test_skill_less_trials_are_luck_and_a_planted_edge_is_not():
    rng = np.random.default_rng(2024)
    noise = rng.normal(0, 0.01, size=(2_000, 200))
    luck = backtest_overfitting(noise, 16)
    assert 0.35 < luck.pbo < 0.65
    sharpes = noise.mean(axis=0) / noise.std(axis=0, ddof=1)
    best = noise[:, int(np.argmax(sharpes))]
    assert deflated_sharpe(best, sharpes) < 0.95  # the best of 200 is not significant
    edge = noise.copy()
    edge[:, :10] += 0.002  # ten trials with a real edge
    skill = backtest_overfitting(edge, 16)
    assert skill.pbo < 0.1
    sharpes = edge.mean(axis=0) / edge.std(axis=0, ddof=1)
    assert deflated_sharpe(edge[:, int(np.argmax(sharpes))], sharpes) > 0.95


def test_bad_arguments_say_what_would_fit():
    with pytest.raises(ParameterError, match="even integer"):
        backtest_overfitting(np.zeros((100, 3)), 5)
    with pytest.raises(ParameterError, match="too small"):
        backtest_overfitting(np.zeros((10, 3)), 16)
    with pytest.raises(ParameterError, match="2-D"):
        backtest_overfitting(np.zeros(100), 4)
    with pytest.raises(ParameterError, match="n_trials"):
        expected_max_sharpe(0, 1.0)

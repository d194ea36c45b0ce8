"""The ledger of trials counts every distinct set swept on a study, across processes and
kernel restarts, and the walk-forward's deflated Sharpe uses that count."""

from __future__ import annotations

import subprocess
import sys

import pytest

import vzb
from vzb.analysis.ledger import count_trials, record_trials, start_study, trials

STUDY = ("my_strategy", ["ETH_USD", "BTC_USD"], "1d", "2020-01-01", "2020-12-31")


def test_distinct_sets_count_once_per_study(tmp_path):
    sets = [{"w": w, "p": p} for w in range(10) for p in (0.1, 0.2)]
    assert record_trials(*STUDY, sets, home=tmp_path) == 20
    assert record_trials(*STUDY, sets[:5], home=tmp_path) == 20  # nothing new
    assert record_trials(*STUDY, [{"p": 0.1, "w": 99}], home=tmp_path) == 21  # key order
    other = ("my_strategy", ["BTC_USD"], "1d", "2020-01-01", "2020-12-31")
    assert record_trials(*other, sets[:3], home=tmp_path) == 3
    assert count_trials(*STUDY, home=tmp_path) == 21
    # symbols are a set: the same study whatever their order
    assert count_trials("my_strategy", ["BTC_USD", "ETH_USD"], *STUDY[2:], home=tmp_path) == 21
    table = trials("my_strategy", symbols="ETH_USD", home=tmp_path)
    assert table[["symbols", "trials"]].values.tolist() == [["BTC_USD,ETH_USD", 21]]
    assert len(trials(home=tmp_path)) == 2 and trials("nope", home=tmp_path).empty
    assert trials(timeframe="1h", home=tmp_path).empty


def test_a_new_study_starts_counting_again(tmp_path):
    sets = [{"w": w} for w in range(7)]
    record_trials(*STUDY, sets, home=tmp_path)
    assert start_study(*STUDY, home=tmp_path) == 2
    assert count_trials(*STUDY, home=tmp_path) == 0
    assert record_trials(*STUDY, sets[:2], home=tmp_path) == 2
    assert trials(home=tmp_path)["generation"].tolist() == [2]


def test_processes_recording_at_once_lose_nothing(tmp_path):
    code = (
        "import sys; from vzb.analysis.ledger import record_trials\n"
        "first = int(sys.argv[1])\n"
        "for k in range(first, first + 300, 30):\n"
        "    record_trials('s', ['X_Y'], '1h', '2021-01-01', '2021-02-01',\n"
        "                  [{'k': j} for j in range(k, k + 30)], home=sys.argv[2])\n"
    )
    workers = [
        subprocess.Popen([sys.executable, "-c", code, str(first), str(tmp_path)])
        for first in (0, 150, 300)
    ]
    assert [w.wait(timeout=120) for w in workers] == [0, 0, 0]
    assert count_trials("s", ["X_Y"], "1h", "2021-01-01", "2021-02-01", home=tmp_path) == 600


def test_sweeps_count_their_sets_and_walk_forward_uses_the_study(tmp_path, monkeypatch):
    monkeypatch.setenv("VZB_HOME", str(tmp_path))
    candles = vzb.load_sample("LTC_USD")
    vzb.sweep(candles, "volume_long_candle", {"vol_ma_window": [5, 10, 15, 20, 25, 30]})
    table = trials("volume_long_candle", symbols="LTC_USD", home=tmp_path)
    assert table["trials"].tolist() == [6] and table["timeframe"].tolist() == ["1d"]
    wf = vzb.walk_forward(
        candles, "volume_long_candle", {"vol_ma_window": [10, 20, 40]}, train=400, test=200
    )
    assert wf.overfitting["n_sets"] == 3
    assert wf.overfitting["n_trials"] == 7  # 6 before, and 40 is new; folds are not counted
    assert trials("volume_long_candle", home=tmp_path)["trials"].tolist() == [7]


@pytest.mark.parametrize("n_trials", [3, 300])
def test_more_trials_raise_the_hurdle(tmp_path, monkeypatch, n_trials):
    monkeypatch.setenv("VZB_HOME", str(tmp_path))
    candles = vzb.load_sample("LTC_USD")
    record_trials(
        "volume_long_candle",
        ["LTC_USD"],
        "1d",
        candles.index[0],
        candles.index[-1],
        [{"n": k} for k in range(n_trials)],
        home=tmp_path,
    )
    wf = vzb.walk_forward(
        candles, "volume_long_candle", {"vol_ma_window": [10, 20, 40]}, train=400, test=200
    )
    assert wf.overfitting["n_trials"] == n_trials + 3

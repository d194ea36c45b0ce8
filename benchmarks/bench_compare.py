"""Two checkouts side by side: the engine's and the sweeps' figures in fresh processes,
interleaved round by round, the minimum of each kept (a shared machine's load hits both
sides alike). Used for "no regression" checks against an older commit.

    git worktree add /tmp/old b45825a
    .venv/bin/python benchmarks/bench_compare.py /tmp/old . --rounds 4

Prints one row per figure: the older checkout's time, this one's, and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

FIGURES = r"""
import json, time
import vzb
from vzb.engine import sweep

def best(fn, repeat):
    out = []
    for _ in range(repeat):
        t = time.perf_counter(); fn(); out.append(time.perf_counter() - t)
    return min(out)

fig = {}
for n, repeat in ((1_000, 100), (100_000, 10), (1_000_000, 3)):
    c = vzb.synthetic_candles(n, seed=1, timeframe="1m")
    vzb.backtest(c, fees=0.0005).stats
    fig[f"backtest {n:,} candles"] = best(lambda c=c: vzb.backtest(c, fees=0.0005).stats, repeat)
    fig[f"signals {n:,} candles"] = best(lambda c=c: vzb.signals(c), repeat)
c = vzb.synthetic_candles(50_000, seed=1, timeframe="1m")
B = {"volume_window": [10, 20], "num_bins": [10, 20], "top_percentile": [0.1, 0.2, 0.3, 0.5],
     "breakout_buffer": [0.0, 0.001, 0.002, 0.005], "hold_period_bars": [1, 2, 3, 5, 8, 13]}
L = {"vol_ma_window": [10, 20, 40], "vol_multiplier": [1.2, 1.5, 2.0, 3.0],
     "body_pct": [0.0005, 0.001, 0.002], "hold_period_bars": [1, 2, 4, 8]}
sweep(c, "volume_zone_breakout", B, n_iter=3, seed=0)
sweep(c, "volume_long_candle", L, n_iter=3, seed=0)
daily = vzb.load_sample("BTC_USD")
fig["breakout sweep 384 sets x 50,000"] = best(lambda: sweep(c, "volume_zone_breakout", B), 3)
fig["long-candle sweep 144 sets x 50,000"] = best(lambda: sweep(c, "volume_long_candle", L), 3)
fig["breakout sweep 384 sets x daily"] = best(lambda: sweep(daily, "volume_zone_breakout", B), 3)
print(json.dumps(fig))
"""


def run(checkout: str, home: str) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": os.path.abspath(checkout), "VZB_HOME": home}
    out = subprocess.run(
        [sys.executable, "-c", FIGURES], env=env, cwd=home, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="the older checkout (a directory holding vzb/)")
    parser.add_argument("new", nargs="?", default=".", help="this checkout (default: .)")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds (min kept)")
    args = parser.parse_args()
    best: dict[str, dict[str, float]] = {"old": {}, "new": {}}
    with tempfile.TemporaryDirectory() as home:
        for _ in range(args.rounds):
            for side in ("old", "new"):
                for name, value in run(getattr(args, side), home).items():
                    best[side][name] = min(value, best[side].get(name, float("inf")))
    print(f"{'figure':<38} {'old [ms]':>10} {'new [ms]':>10} {'new/old':>8}")
    for name, old in best["old"].items():
        new = best["new"][name]
        print(f"{name:<38} {old * 1e3:>10.2f} {new * 1e3:>10.2f} {new / old:>8.2f}")


if __name__ == "__main__":
    main()

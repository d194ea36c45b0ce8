"""Background jobs: submit/status latency, cancel latency, task overhead, sweep-as-job ratio.

Run: ``.venv/bin/python benchmarks/bench_jobs.py [--workers 2] [--quick] [--sweeps]``

The sweep comparison runs a short sweep (daily candles, well under a second: the fixed
costs of a job show) and a long one (hourly candles, ten seconds or more: what a real
study looks like), each both ways, and prints both ratios.

Targets (issue 4): submit < 10 ms p99, status < 2 ms p99, a running task stopped within
0.5 s of cancel, a sweep run as a job at most 10% slower than the same sweep run directly
on the same workers. Issue 8: the first submit in a fresh process < 100 ms (median of
fresh processes; ``--first`` measures only that).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import vzb
from vzb.engine import sweep
from vzb.jobs import JobRunner
from vzb.strategies import DEFAULT_STRATEGY

SLEEP = "vzb.jobs.units:sleep"

FIRST_SUBMIT = """
import json, sys, tempfile, time
from vzb.jobs import JobRunner
runner = JobRunner(tempfile.mkdtemp(), max_workers=1)
t0 = time.perf_counter()
runner.submit(symbols=["BTC_USD"])
print(time.perf_counter() - t0, json.dumps(sorted({"numba", "pandas"} & set(sys.modules))))
runner.close()
"""


def first_submit(repeats: int) -> None:
    """The first submit in a fresh process: what it takes, and whether it loads numba."""
    times, loaded = [], set()
    for _ in range(repeats):
        run = subprocess.run(
            [sys.executable, "-c", FIRST_SUBMIT], capture_output=True, text=True, check=True
        )
        seconds, _, modules = run.stdout.strip().partition(" ")
        times.append(float(seconds))
        loaded |= set(json.loads(modules))
    show("first submit in a fresh process", times, target=100)
    print(f"  loaded by it: {sorted(loaded) or 'neither numba nor pandas'}")


def pct(values, q):
    return float(np.percentile(np.asarray(values) * 1000, q))


def show(name, values, target=None):
    line = f"{name:<38} median {pct(values, 50):8.3f} ms   p99 {pct(values, 99):8.3f} ms"
    if target is not None:
        line += f"   (target p99 < {target} ms: {'ok' if pct(values, 99) < target else 'MISSED'})"
    print(line)


def wait_until(predicate, timeout=60.0, poll=0.0005):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if predicate():
            return time.perf_counter()
        time.sleep(poll)
    raise TimeoutError("benchmark condition not reached")


SHORT_GRID = {
    "volume_window": list(range(5, 205)),
    "top_percentile": [0.1, 0.2, 0.3],
    "hold_period_bars": [1, 2, 3],
}
LONG_GRID = {
    "volume_window": list(range(10, 410, 2)),
    "top_percentile": [0.1, 0.15, 0.2, 0.25, 0.3, 0.4],
    "hold_period_bars": [1, 2, 4, 8, 12, 24],
    "num_bins": [10, 20, 40],
}


def compare_sweep(runner, name, symbols, timeframe, grid, workers, repeats) -> float:
    """Median wall time of a sweep as a job (submit -> table) over the same sweep direct.

    Direct and job runs alternate (which goes first too), so that a neighbour's load
    hits both alike; the ratio is taken over the medians.
    """
    candles = {s: vzb.load_candles(s, timeframe) for s in symbols}
    data = candles[symbols[0]] if len(symbols) == 1 else candles
    direct, job = [], []
    for i in range(repeats):
        runs = ("direct", "job") if i % 2 else ("job", "direct")
        for kind in runs:
            t0 = time.perf_counter()
            if kind == "direct":
                expected = sweep(data, DEFAULT_STRATEGY, grid, n_jobs=workers, fees=0.001)
                direct.append(time.perf_counter() - t0)
            else:
                task = runner.submit_sweep(
                    DEFAULT_STRATEGY, grid, symbols, timeframe=timeframe, fees=0.001
                )
                table = task.result(timeout=3600)
                job.append(time.perf_counter() - t0)
    assert table.equals(expected), f"{name}: the job's table differs from the direct sweep"
    ratio = statistics.median(job) / statistics.median(direct)
    label = f"sweep {name} ({len(expected)} rows): direct / as a job"
    print(
        f"{label:<38} {statistics.median(direct):7.3f} s / {statistics.median(job):7.3f} s"
        f"   ratio {ratio:.3f} (target <= 1.10: {'ok' if ratio <= 1.10 else 'MISSED'})"
    )
    print(f"  runs: direct {[round(t, 3) for t in direct]}  job {[round(t, 3) for t in job]}")
    return ratio


def compare_sweeps(runner, args) -> None:
    """A sweep as a job vs the same sweep run directly on the same loky workers."""
    short_repeats, long_repeats = (5, 1) if args.quick else (11, 3)
    compare_sweep(
        runner, "short, 1d", ["BTC_USD", "ETH_USD"], "1d", SHORT_GRID, args.workers,
        short_repeats,
    )  # fmt: skip
    compare_sweep(runner, "long, 1h", ["BTC_USD"], "1h", LONG_GRID, args.workers, long_repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--sweeps", action="store_true", help="only the sweep comparisons")
    parser.add_argument("--first", action="store_true", help="only the first submit")
    args = parser.parse_args()
    first_submit(5 if args.quick else 11)
    if args.first:
        return
    n = 100 if args.quick else 300
    runner = JobRunner(tempfile.mkdtemp(prefix="vzb-bench-"), max_workers=args.workers)
    warm = runner.submit(symbols=["BTC_USD", "ETH_USD"])  # spawn workers, compile kernels
    warm.wait(timeout=300)
    runner.submit_sweep(DEFAULT_STRATEGY, {"volume_window": [10, 20]}).wait(timeout=300)
    if args.sweeps:
        compare_sweeps(runner, args)
        runner.close()
        return

    # submit: validation (strategy, params, symbols, dates, options) + one store write
    times, ids = [], []
    for i in range(n):
        t0 = time.perf_counter()
        task = runner.submit(params={"volume_window": 10 + i % 20}, symbols="BTC_USD")
        times.append(time.perf_counter() - t0)
        ids.append(task.task_id)
    show("submit (backtest, validated)", times, target=10)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        runner.submit_units(SLEEP, [{"seconds": 0}])
        times.append(time.perf_counter() - t0)
    show("submit_units (tiny)", times, target=10)
    for task_id in ids:
        runner.wait(task_id, timeout=300)

    # status while the runner is busy writing
    busy = runner.submit_units(SLEEP, [{"seconds": 3}] * args.workers)
    times = []
    for i in range(20 * n):
        t0 = time.perf_counter()
        runner.status(ids[i % len(ids)])
        times.append(time.perf_counter() - t0)
    show("status (while tasks run)", times, target=2)
    busy.wait(timeout=60)

    # cancel latency: request -> task record says cancelled (its units stopped)
    lat = []
    for _ in range(10 if args.quick else 20):
        task = runner.submit_units(SLEEP, [{"seconds": 30}])
        wait_until(lambda t=task: runner.status(t.task_id)["progress"] > 0)
        t0 = time.perf_counter()
        runner.cancel(task.task_id)
        t1 = wait_until(lambda t=task: runner.status(t.task_id)["status"] == "cancelled")
        lat.append(t1 - t0)
    show("cancel -> stopped (sleep unit)", lat, target=500)
    finished = ("cancelled", "completed")
    grid = {"volume_window": list(range(5, 400)), "top_percentile": [0.1, 0.2, 0.3]}
    lat = []
    for _ in range(5):
        task = runner.submit_sweep(DEFAULT_STRATEGY, grid, symbols="BTC_USD")
        wait_until(lambda t=task: runner.status(t.task_id)["progress"] > 0.05)
        t0 = time.perf_counter()
        runner.cancel(task.task_id)

        t1 = wait_until(lambda t=task: runner.status(t.task_id)["status"] in finished)
        lat.append(t1 - t0)
    show("cancel -> stopped (running sweep)", lat, target=500)

    # a tiny task end to end: submit -> completed, one at a time
    times = []
    for _ in range(50 if args.quick else 100):
        t0 = time.perf_counter()
        task = runner.submit_units(SLEEP, [{"seconds": 0}])
        wait_until(lambda t=task: runner.status(t.task_id)["status"] == "completed", poll=0.0002)
        times.append(time.perf_counter() - t0)
    show("tiny task end to end", times)

    # throughput: many small tasks at once
    count = 200 if args.quick else 500
    t0 = time.perf_counter()
    tasks = [runner.submit_units(SLEEP, [{"seconds": 0}]) for _ in range(count)]
    for task in tasks:
        runner.wait(task.task_id, timeout=300)
    elapsed = time.perf_counter() - t0
    print(f"{'small tasks/s (' + str(count) + ' at once)':<38} {count / elapsed:8.1f} tasks/s")
    t0 = time.perf_counter()
    tasks = [runner.submit(params={"volume_window": 5 + i % 30}) for i in range(count // 2)]
    for task in tasks:
        runner.wait(task.task_id, timeout=300)
    elapsed = time.perf_counter() - t0
    print(f"{'small backtests/s (BTC_USD 1d)':<38} {count / 2 / elapsed:8.1f} tasks/s")

    compare_sweeps(runner, args)
    runner.close()


if __name__ == "__main__":
    main()

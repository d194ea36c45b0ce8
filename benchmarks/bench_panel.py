"""How long one JobPanel refresh tick takes with 200 tasks in a real TaskStore.

Each tick: 20 running tasks report progress (the store version changes), then one
``panel.refresh()`` re-reads the store, re-formats the rows and updates the widgets that
changed (ipywidgets' dummy comm, no kernel). Target: under 30 ms per tick.

Run: ``.venv/bin/python benchmarks/bench_panel.py``
"""

from __future__ import annotations

import statistics
import tempfile
import time

from vzb.jobs.store import TaskStore
from vzb.widgets import JobPanel

N_TASKS = 200
N_RUNNING = 20
TICKS = 30


def fill(store: TaskStore) -> list[str]:
    ids = []
    for i in range(N_TASKS):
        spec = {
            "strategy": "volume_zone_breakout",
            "symbols": ["BTC_USD", "ETH_USD"],
            "params": {"volume_window": 5 + i, "top_percentile": 0.2},
        }
        task_id = store.create("backtest", spec, units_total=4)["task_id"]
        if i % 10 == 0:
            store.claim(task_id, owner=None)
        elif i % 3 == 0:
            store.claim(task_id, owner=None)
            store.finish(task_id, "completed", attempt=1)
        ids.append(task_id)
    return [i for n, i in enumerate(ids) if n % 10 == 0][:N_RUNNING]


def measure(max_rows: int) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        store = TaskStore(tmp)
        running = fill(store)
        start = time.perf_counter()
        panel = JobPanel(store, max_rows=max_rows, autostart=False)
        build = time.perf_counter() - start
        ticks = []
        for tick in range(TICKS):
            for task_id in running:
                store.report(task_id, attempt=1, unit=0, fraction=(tick + 1) / (TICKS + 1))
            start = time.perf_counter()
            panel.refresh()
            ticks.append(time.perf_counter() - start)
        idle = []
        for _ in range(TICKS):  # nothing changed in the store: only times re-formatted
            start = time.perf_counter()
            panel.refresh()
            idle.append(time.perf_counter() - start)
        panel.close()
        store.close()
    return build, statistics.median(ticks), statistics.median(idle)


def main() -> None:
    print(f"JobPanel refresh, {N_TASKS} tasks ({N_RUNNING} running, progress written every tick)")
    for max_rows in (20, 200):
        build, tick, idle = measure(max_rows)
        print(
            f"  max_rows={max_rows:>3}: build {build * 1e3:6.1f} ms, "
            f"tick after store change {tick * 1e3:5.1f} ms (median of {TICKS}), "
            f"tick without change {idle * 1e3:5.1f} ms   target < 30 ms"
        )


if __name__ == "__main__":
    main()

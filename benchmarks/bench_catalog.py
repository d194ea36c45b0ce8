"""The run catalog on SQLite: recording overhead per run, and query time at 10,000 runs.

Recording overhead is what the catalog adds to a run that has saved its artifacts (as
every job run has): building its record (git state cached), writing it to the store's
pending folder, hashing its artifact files and inserting it (one transaction). The direct
``vzb.record(result)``, which also saves the Parquet artifacts, is shown beside it.
Queries run on a catalog of 10,000 realistic records (every stat, parameters, options).

Run: ``.venv/bin/python benchmarks/bench_catalog.py``
"""

import os
import statistics
import tempfile
import time
import uuid

import vzb
from vzb.results.catalog import open_catalog
from vzb.results.records import describe, save_artifacts
from vzb.results.sync import sync, write_pending

RECORD_TARGET_MS = 5.0
QUERY_TARGET_S = 1.0
N_RUNS = 10_000


def show(name: str, figure: float, target: float, unit: str, cpu: float) -> None:
    """The wall-clock figure beside its target and ratio, and the CPU time of this process
    (on a machine shared with other work the wall clock waits for the CPU)."""
    ratio = figure / target
    verdict = "ok" if ratio < 1 else "MISSED"
    print(
        f"{name:52s} {figure:8.3f} {unit} (cpu {cpu:.3f})  target < {target:g} {unit}  "
        f"ratio {ratio:.2f} {verdict}"
    )


def recording_overhead(store: str, result, repeat: int = 200) -> tuple[list, list]:
    """ms per run: describe + pending file + artifact hashes + insert, artifacts saved."""
    folder = os.path.join(store, "results", "template")
    files = save_artifacts(result, folder)
    open_catalog(store)  # the schema, once per process
    describe(result)  # warm imports and the git cache
    times, cpu = [], []
    for _ in range(repeat):
        result.run_id = uuid.uuid4().hex
        started, started_cpu = time.perf_counter(), time.process_time()
        record = describe(result)
        record["files"] = files
        write_pending(store, record)
        report = sync(store, run_ids=[record["run_id"]])
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert report["error"] is None
    return times, cpu


def fill(store: str, result, n: int) -> None:
    """n records like real ones (the bench result's stats and options, varied params,
    two symbols and timeframes, tags), inserted in one transaction per 1,000."""
    from vzb.results.catalog import runs_table, tags_table

    catalog = open_catalog(store)
    base = describe(result)
    base.pop("tags")
    rows, tags = [], []
    for i in range(n):
        row = dict(base, run_id=f"bench-{i:05d}", created_at=time.time() - i)
        row["params"] = dict(base["params"], volume_window=10 + i % 40)
        row["symbols"] = ",BTC_KRW," if i % 2 else ",ETH_KRW,"
        row["timeframe"] = "1h" if i % 3 else "1d"
        row["stats"] = dict(base["stats"], **{"Sharpe Ratio": (i % 300) / 100})
        rows.append(row)
        tags.append({"run_id": row["run_id"], "tag": f"study-{i % 10}"})
        if len(rows) == 1000:
            with catalog.engine.begin() as connection:
                connection.execute(runs_table.insert(), rows)
                connection.execute(tags_table.insert(), tags)
            rows, tags = [], []


def timed(function, repeat: int = 5) -> tuple[float, float, int]:
    times, cpu, size = [], [], 0
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        size = len(function())
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(times), statistics.median(cpu), size


if __name__ == "__main__":
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    candles = vzb.load_sample("BTC_USD")
    result = vzb.engine.backtest(candles, fees=0.0025)
    with tempfile.TemporaryDirectory() as store:
        wall, cpu = recording_overhead(store, result)
        show("recording overhead per run (median of 200)", statistics.median(wall),
             RECORD_TARGET_MS, "ms", statistics.median(cpu))  # fmt: skip
        started = time.perf_counter()
        for _ in range(20):
            vzb.record(vzb.engine.backtest(candles.iloc[-500:]), store=store)
        direct = (time.perf_counter() - started) / 20 * 1000
        print(
            f"{'vzb.record incl. saving Parquet (mean of 20)':48s} {direct:9.3f} ms   (no target)"
        )
    with tempfile.TemporaryDirectory() as store:
        fill(store, result, N_RUNS)
        assert open_catalog(store).count() == N_RUNS
        queries = {
            "runs() of all 10,000": lambda: vzb.runs(store=store),
            "runs(symbol, timeframe, where Sharpe > 1)": lambda: vzb.runs(
                store=store, symbol="BTC_KRW", timeframe="1h", where="Sharpe Ratio > 1"
            ),
            "runs(tag, limit=100)": lambda: vzb.runs(store=store, tag="study-3", limit=100),
        }
        for name, query in queries.items():
            seconds, cpu, rows = timed(query)
            show(f"{name} -> {rows:,} rows (median of 5)", seconds, QUERY_TARGET_S, "s", cpu)

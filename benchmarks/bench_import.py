"""Time ``import vzb`` in fresh processes (median of 7), and the first data load.

Run: ``.venv/bin/python benchmarks/bench_import.py``
"""

import statistics
import subprocess
import sys

CODE = "import time; t = time.perf_counter(); import vzb; print(time.perf_counter() - t)"
LOAD = (
    "import time; t = time.perf_counter(); import vzb; vzb.load_sample('BTC_USD'); "
    "print(time.perf_counter() - t)"
)


def fresh(code: str, repeat: int = 7) -> float:
    runs = [float(subprocess.check_output([sys.executable, "-c", code])) for _ in range(repeat)]
    return statistics.median(runs)


if __name__ == "__main__":
    print(f"import vzb                       {fresh(CODE) * 1000:7.1f} ms (median of 7)")
    print(f"import vzb + load_sample BTC_USD {fresh(LOAD) * 1000:7.1f} ms (median of 7)")

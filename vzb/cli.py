"""The ``vzb`` command: a demo, and the tasks of a store from a terminal.

::

    vzb demo                      backtest + sweep of the default strategy on the bundled
                                  BTC_USD and ETH_USD daily candles, then a walk-forward
                                  of the sweep's grid: edge or luck?
    vzb jobs list                 the store's tasks, newest first
    vzb jobs status ID            one task's record
    vzb jobs cancel ID            cancel a queued or running task
    vzb jobs wait ID              wait until a task finishes
    vzb jobs resume               adopt tasks whose runner died and finish them

Every command takes ``--store DIR`` (default ``$VZB_HOME`` or ``./.vzb``); the jobs
commands read an existing store and never create one.

>>> main(["jobs", "list", "--store", __import__("tempfile").mkdtemp()])
no tasks
0
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from vzb.errors import ParameterError, VzbError
from vzb.jobs.store import STATES, TERMINAL_STATES

if TYPE_CHECKING:  # pragma: no cover
    from vzb.strategies import Strategy

__all__ = ["demo_grid", "main", "progress_line"]


def progress_line(record: dict, width: int = 30) -> str:
    """One line of text for a task: bar, percent, units, state and message.

    >>> progress_line({"progress": 0.5, "units_done": 1, "units_total": 2,
    ...                "status": "running", "message": "running ETH_USD 2/2"}, width=10)
    '[#####.....]  50%  1/2 units  running  running ETH_USD 2/2'
    """
    filled = round(record["progress"] * width)
    bar = "#" * filled + "." * (width - filled)
    units = f"{record['units_done']}/{record['units_total']} units"
    text = f"[{bar}] {record['progress']:4.0%}  {units}  {record['status']}"
    message = record.get("message") or ""
    if message and message != record["status"]:
        text += f"  {message}"
    return text


def _follow(runner, task_id: str, out: TextIO, timeout: float | None = None) -> dict:
    """Show a task's progress until it finishes; Ctrl-C cancels it."""
    tty = out.isatty()
    shown = None
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while True:
            record = runner.store.get(task_id)
            line = progress_line(record)
            finished = record["status"] in TERMINAL_STATES
            if tty:
                out.write("\r" + line[:120].ljust(120) + ("\n" if finished else ""))
                out.flush()
            elif (record["status"], record["message"]) != shown:  # a log: stage changes only
                out.write(line + "\n")
                shown = (record["status"], record["message"])
            if finished:
                return record
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"Task {task_id} unfinished after {timeout:g} s")
            time.sleep(0.1)
    except KeyboardInterrupt:
        out.write("\ninterrupted: cancelling the task\n")
        try:
            runner.cancel(task_id, reason="Interrupted from the terminal")
        except VzbError:
            pass
        return runner.wait(task_id, timeout=30)


def demo_grid(strategy: Strategy) -> dict[str, list]:
    """A small grid for the demo sweep: half, once and twice the default of the strategy's
    first two numeric parameters with a non-zero default (values it does not allow left out).

    >>> from vzb.strategies import Parameter
    >>> from types import SimpleNamespace
    >>> toy = SimpleNamespace(parameters={p.name: p for p in (
    ...     Parameter("fast", True, bool), Parameter("window", 10, int, low=2),
    ...     Parameter("shift", 0.0), Parameter("hold", 1, int, low=1), Parameter("share", 0.5))})
    >>> demo_grid(toy)
    {'window': [5, 10, 20], 'hold': [1, 2]}
    """
    grid: dict[str, list] = {}
    for parameter in strategy.parameters.values():
        if parameter.kind is bool or not parameter.default:
            continue
        values: list = []
        for factor in (0.5, 1, 2):
            try:
                value = parameter.validate(parameter.kind(parameter.default * factor))
            except VzbError:
                continue
            if value not in values:
                values.append(value)
        if len(values) > 1:
            grid[parameter.name] = values
        if len(grid) == 2:
            break
    return grid


def _finished(runner, task, out: TextIO) -> dict | None:
    """Follow ``task`` to its end; its record when it completed, else None (said in ``out``)."""
    record = _follow(runner, task.task_id, out)
    if record["status"] == "completed":
        return record
    out.write(f"task {task.task_id} {record['status']}: {record['message']}\n")
    return None


def _demo(args, out: TextIO) -> int:
    import pandas as pd

    from vzb.analysis import best_sets, position_stats
    from vzb.jobs import JobRunner
    from vzb.strategies import get_strategy
    from vzb.strategies.registry import DEFAULT_STRATEGY

    symbols = ["BTC_USD", "ETH_USD"]
    strategy = get_strategy(DEFAULT_STRATEGY)
    with JobRunner(args.store, max_workers=args.workers) as runner:
        out.write(f"store: {runner.store.directory}\n")
        out.write(f"backtest {strategy.name} on {', '.join(symbols)} 1d, fees 0.0005\n")
        record = _finished(runner, runner.submit(strategy.name, symbols=symbols, fees=0.0005), out)
        if record is None:
            return 1
        result = runner.result(record["task_id"])
        out.write("\nstats\n" + result.stats.to_string() + "\n")
        positions = result.positions
        out.write(f"\npositions: {len(positions)}\n")
        if len(positions):
            by_symbol = {s: position_stats(p) for s, p in positions.groupby("symbol")}
            table = pd.DataFrame(by_symbol).T.astype(float).round(2)
            out.write(table.to_string() + "\n")
        out.write(f"\nresult saved in {record['result']['path']}\n")

        grid = demo_grid(strategy)
        out.write(f"\nsweep {json.dumps(grid)} on {', '.join(symbols)}\n")
        sweep = runner.submit_sweep(strategy.name, grid, symbols=symbols, fees=0.0005)
        record = _finished(runner, sweep, out)
        if record is None:
            return 1
        best = best_sets(runner.result(sweep.task_id), "Sharpe Ratio", n=5)
        columns = [*grid, "Return [%]", "Sharpe Ratio", "# Trades"]
        out.write("best 5 by Sharpe Ratio (mean over the symbols)\n")
        out.write(best[columns].round(3).to_string(index=False) + "\n")
        out.write(f"\nsweep table saved in {record['result']['path']}\n")
        _demo_walk_forward(strategy.name, symbols, grid, out)
        out.write(f"\nlist the tasks with: vzb jobs list --store {runner.store.directory}\n")
    return 0


def _demo_walk_forward(strategy: str, symbols: list[str], grid: dict, out: TextIO) -> None:
    """Is the sweep's best set an edge or luck? A walk-forward of the same grid (in this
    process, a few seconds): chosen on 365 days, traded on the 180 after, fold by fold."""
    from vzb.analysis import describe, walk_forward
    from vzb.data import load_sample

    out.write("\nwalk-forward of the same grid: best Sharpe on 365 days, traded the next 180\n")
    candles = {symbol: load_sample(symbol) for symbol in symbols}
    wf = walk_forward(candles, strategy, grid, train=365, test=180, fees=0.0005)
    out.write(f"{len(wf.folds)} folds; out of sample: Return {wf.stats['Return [%]']:.2f}%, ")
    out.write(f"Sharpe {wf.stats['Sharpe Ratio']:.2f}, {int(wf.stats['# Trades'])} trades\n")
    out.write(describe(wf.overfitting, out_of_sample=float(wf.stats["Sharpe Ratio"])) + "\n")
    out.write("more: vzb.walk_forward and notebooks/06_walk_forward.ipynb\n")


def _store_directory(args) -> str:
    """The ``--store`` directory of a jobs command, which must exist: reading a store
    never creates one."""
    from vzb.jobs import default_store_dir

    directory = args.store or default_store_dir()
    if not os.path.isdir(directory):
        raise ParameterError(
            f"No task store at {os.path.abspath(directory)!r}: the directory does not exist. "
            f"Pass --store with the directory your runner uses (default $VZB_HOME or ./.vzb)."
        )
    return directory


def _jobs(args, out: TextIO) -> int:
    directory = _store_directory(args)
    if args.action == "resume":
        from vzb.jobs import JobRunner

        with JobRunner(directory, max_workers=args.workers) as runner:
            # the runner takes orphans over as it starts; reap() finds any left since
            adopted = list(dict.fromkeys([*runner.resumed, *runner.reap()]))
            if not adopted:
                out.write("nothing to resume: no task lost its runner\n")
                return 0
            for task_id in adopted:
                out.write(f"{task_id}\n")
                record = _follow(runner, task_id, out, timeout=args.timeout)
                out.write(f"{task_id} {record['status']}: {record['message']}\n")
        return 0
    from vzb.jobs import TaskStore

    store = TaskStore(directory)
    if args.action == "list":
        records = store.tasks(status=args.status)
        if not records:
            out.write("no tasks\n")
            return 0
        for r in records:
            spec = r["spec"]
            what = spec.get("strategy") or spec.get("function") or ""
            symbols = ",".join(spec.get("symbols") or [])
            created = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r["created_at"]))
            out.write(
                f"{r['task_id']}  {created}  {r['kind']:<8} {r['status']:<9} "
                f"{r['progress']:4.0%}  {r['units_done']}/{r['units_total']}  {what} {symbols}"
                f"  {r['message']}\n"
            )
        return 0
    if args.action == "status":
        record = store.get(args.task_id)
        if args.json:
            out.write(json.dumps(record.to_dict(), indent=2, default=str) + "\n")
        else:
            for key in ("task_id", "kind", "status", "progress", "message", "units_done",
                        "units_total", "created_at", "started_at", "finished_at", "attempt",
                        "cancel_requested", "spec", "result", "error"):  # fmt: skip
                value = record[key]
                if key == "result" and value:
                    value = {k: value[k] for k in ("path", "rows", "stats") if k in value}
                if key.endswith("_at") and value:
                    value = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(value))
                if key == "error" and value:
                    value = f"{value['type']}: {value['message']}"
                out.write(f"{key:>16}: {value}\n")
        return 0 if record["status"] != "failed" else 1
    if args.action == "cancel":
        record = store.request_cancel(args.task_id, reason=args.reason)
        note = " (cancel requested)" if record["status"] == "running" else ""
        out.write(f"{args.task_id} {record['status']}{note}\n")
        return 0
    if args.action == "wait":
        deadline = None if args.timeout is None else time.monotonic() + args.timeout
        while True:
            record = store.get(args.task_id)
            if record["status"] in TERMINAL_STATES:
                out.write(progress_line(record) + "\n")
                return 0 if record["status"] == "completed" else 1
            if deadline is not None and time.monotonic() > deadline:
                out.write(f"still {record['status']} after {args.timeout:g} s\n")
                return 3
            time.sleep(0.1)
    raise AssertionError(args.action)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vzb", description="Backtest volume strategies on crypto candles."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def store_option(p):
        p.add_argument("--store", default=None, help="task store directory (default ./.vzb)")

    demo = sub.add_parser("demo", help="backtest and sweep the bundled candles as background jobs")
    store_option(demo)
    demo.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")

    jobs = sub.add_parser("jobs", help="tasks of a store: list, status, cancel, wait, resume")
    actions = jobs.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="tasks, newest first")
    store_option(listing)
    listing.add_argument("--status", choices=list(STATES))
    status = actions.add_parser("status", help="one task's record")
    status.add_argument("task_id")
    status.add_argument("--json", action="store_true", help="the whole record as JSON")
    store_option(status)
    cancel = actions.add_parser("cancel", help="cancel a queued or running task")
    cancel.add_argument("task_id")
    cancel.add_argument("--reason", default="Task cancelled by user")
    store_option(cancel)
    wait = actions.add_parser("wait", help="wait until a task finishes (exit 0 if completed)")
    wait.add_argument("task_id")
    wait.add_argument("--timeout", type=float, default=None, help="seconds (exit 3 when hit)")
    store_option(wait)
    resume = actions.add_parser("resume", help="finish tasks whose runner died")
    store_option(resume)
    resume.add_argument("--workers", type=int, default=None)
    resume.add_argument("--timeout", type=float, default=None)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the ``vzb`` command; return its exit code."""
    out = out or sys.stdout
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            return _demo(args, out)
        return _jobs(args, out)
    except (VzbError, TimeoutError) as exc:
        print(f"vzb: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""``vzb demo``: backtest and sweep the default strategy on the bundled daily candles as
background jobs, then a walk-forward of the sweep's grid (edge or luck?)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TextIO

from vzb.cli.common import finished, stats_lines, store_option, text_table
from vzb.errors import VzbError

if TYPE_CHECKING:  # pragma: no cover
    from vzb.strategies import Strategy

__all__ = ["add_parser", "demo_grid", "run"]


def add_parser(sub) -> None:
    demo = sub.add_parser("demo", help="backtest and sweep the bundled candles as background jobs")
    store_option(demo)
    demo.add_argument(
        "--workers", type=int, default=2, help="worker processes for the jobs (default 2)"
    )


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


def run(args, out: TextIO) -> int:
    from vzb.analysis import best_sets, position_stats
    from vzb.jobs import JobRunner
    from vzb.strategies import get_strategy
    from vzb.strategies.registry import DEFAULT_STRATEGY
    from vzb.widgets.formatting import currency_of, format_parameter, format_stat

    symbols = ["BTC_USD", "ETH_USD"]
    strategy = get_strategy(DEFAULT_STRATEGY)
    currency = currency_of(symbols)
    with JobRunner(args.store, max_workers=args.workers) as runner:
        out.write(f"store: {runner.store.directory}\n")
        out.write(f"backtest {strategy.name} on {', '.join(symbols)} 1d, fees 0.0005\n")
        record = finished(runner, runner.submit(strategy.name, symbols=symbols, fees=0.0005), out)
        if record is None:
            return 1
        result = runner.result(record["task_id"])
        out.write("\nstats\n" + stats_lines(result.stats, currency) + "\n")
        positions = result.positions
        out.write(f"\npositions: {len(positions):,}\n")
        if len(positions):
            by_symbol = {s: position_stats(p) for s, p in positions.groupby("symbol")}
            names = list(next(iter(by_symbol.values())).index)
            rows = [
                [name, *(format_stat(name, stats[name], currency) for stats in by_symbol.values())]
                for name in names
            ]
            out.write(text_table(["", *by_symbol], rows, right=list(by_symbol)) + "\n")
        out.write(f"\nresult saved in {record['result']['path']}\n")

        grid = demo_grid(strategy)
        out.write(f"\nsweep {json.dumps(grid)} on {', '.join(symbols)}\n")
        sweep = runner.submit_sweep(strategy.name, grid, symbols=symbols, fees=0.0005)
        record = finished(runner, sweep, out)
        if record is None:
            return 1
        best = best_sets(runner.result(sweep.task_id), "Sharpe Ratio", n=5)
        stats = ["Return [%]", "Sharpe Ratio", "# Trades"]
        rows = [
            [*(format_parameter(row[p]) for p in grid), *(format_stat(n, row[n]) for n in stats)]
            for _index, row in best.iterrows()
        ]
        out.write("best 5 by Sharpe Ratio (mean over the symbols)\n")
        out.write(text_table([*grid, *stats], rows, right=[*grid, *stats]) + "\n")
        out.write(f"\nsweep table saved in {record['result']['path']}\n")
        _demo_walk_forward(strategy.name, symbols, grid, out)
        out.write(f"\nlist the tasks with: vzb jobs list --store {runner.store.directory}\n")
    return 0


def _demo_walk_forward(strategy: str, symbols: list[str], grid: dict, out: TextIO) -> None:
    """Is the sweep's best set an edge or luck? A walk-forward of the same grid (in this
    process, a few seconds): chosen on 365 days, traded on the 180 after, fold by fold."""
    from vzb.analysis import describe, walk_forward
    from vzb.data import load_sample
    from vzb.widgets.formatting import format_stat

    out.write("\nwalk-forward of the same grid: best Sharpe on 365 days, traded the next 180\n")
    candles = {symbol: load_sample(symbol) for symbol in symbols}
    wf = walk_forward(candles, strategy, grid, train=365, test=180, fees=0.0005)
    shown = {name: format_stat(name, wf.stats[name]) for name in wf.stats.index}
    out.write(f"{len(wf.folds)} folds; out of sample: Return {shown['Return [%]']}, ")
    out.write(f"Sharpe {shown['Sharpe Ratio']}, {shown['# Trades']} trades\n")
    out.write(describe(wf.overfitting, out_of_sample=float(wf.stats["Sharpe Ratio"])) + "\n")
    out.write("more: vzb.walk_forward and notebooks/06_walk_forward.ipynb\n")

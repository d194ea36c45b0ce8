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
    vzb store backup PATH         a consistent copy of the store (tasks, runs, artifacts)
    vzb store restore PATH        a backup into a new store
    vzb store check               artifacts, orphans, tasks without a runner (exit 1 if any)
    vzb store stats               tasks by state, runs by kind, disk used, failures
    vzb store sync                write records that waited for the catalog
    vzb data download SYMBOL...   candles from an exchange into the data directory
    vzb data list                 the data directory's candle files
    vzb data update               bring every downloaded file up to now

The jobs and store commands take ``--store DIR`` (default ``$VZB_HOME`` or ``./.vzb``) and
read an existing store, never creating one; the data commands take ``--data-dir DIR``
(default ``$VZB_DATA_DIR``). Each command is a module of this
package with ``add_parser(subparsers)`` and ``run(args, out) -> exit code``.

>>> main(["jobs", "list", "--store", __import__("tempfile").mkdtemp()])
no tasks
0
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import TextIO

from vzb.cli.common import progress_line
from vzb.cli.demo import demo_grid
from vzb.errors import VzbError

__all__ = ["COMMANDS", "demo_grid", "main", "progress_line"]

#: the commands, in the order ``vzb --help`` lists them: modules of this package
COMMANDS = ("demo", "jobs", "store", "data")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vzb", description="Backtest volume strategies on crypto candles."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"vzb.cli.{name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the ``vzb`` command; return its exit code."""
    out = out or sys.stdout
    args = _parser().parse_args(argv)
    try:
        return importlib.import_module(f"vzb.cli.{args.command}").run(args, out)
    except (VzbError, TimeoutError) as exc:
        print(f"vzb: error: {exc}", file=sys.stderr)
        return 1

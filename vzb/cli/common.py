"""What the ``vzb`` commands share: the store option, a task's progress line, following
a task to its end, and text tables and stats in the one number format of
:mod:`vzb.widgets.formatting`."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Sequence
from typing import Any, TextIO

from vzb.errors import ParameterError, VzbError
from vzb.jobs.store import TERMINAL_STATES
from vzb.widgets.formatting import format_timestamp

__all__ = [
    "finished",
    "follow",
    "local_time",
    "progress_line",
    "stats_lines",
    "store_directory",
    "store_option",
    "text_bar",
    "text_table",
]


def local_time(epoch: float | None) -> str:
    """Epoch seconds as this machine's local time with its zone (``2026-11-30 06:01 UTC``).

    >>> local_time(None)
    '–'
    """
    if epoch is None:
        return format_timestamp(None)
    return format_timestamp(dt.datetime.fromtimestamp(epoch).astimezone())


def text_table(
    header: Sequence[str], rows: Sequence[Sequence[Any]], right: Sequence[str] = ()
) -> str:
    """Rows of texts as aligned columns under a header (columns named in ``right`` are
    right-aligned, for numbers).

    >>> print(text_table(["SET", "RETURN"], [["a", "1.00%"], ["bb", "-12.50%"]], right=["RETURN"]))
    SET   RETURN
    a      1.00%
    bb   -12.50%
    """
    texts = [[str(v) for v in row] for row in rows]
    widths = [max([len(h), *(len(row[i]) for row in texts)]) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            c.rjust(w) if h in right else c.ljust(w)
            for c, w, h in zip(cells, widths, header, strict=True)
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(header), *(line(row) for row in texts)])


def stats_lines(stats: Any, currency: str | None = None) -> str:
    """A stats Series as text grouped like the result view (period, returns, risk, trades,
    signals), each value formatted by its name."""
    from vzb.widgets.formatting import stats_table

    table = stats_table(stats, currency=currency)
    width = max(len(str(name)) for _group, name in table.index)
    lines, last = [], None
    for (group, name), value in zip(table.index, table["value"], strict=True):
        if group != last:
            lines.append(f"  {group}")
            last = group
        lines.append(f"    {name!s:<{width}}  {value:>14}")
    return "\n".join(lines)


def store_option(parser) -> None:
    """Add ``--store DIR`` to a command's parser."""
    parser.add_argument(
        "--store",
        default=None,
        metavar="DIR",
        help="task store directory (default $VZB_HOME or ./.vzb)",
    )


def text_bar(fraction: float, width: int = 30) -> str:
    """A progress bar and its percent, the one drawing every command uses.

    >>> text_bar(0.5, width=10), text_bar(1.0, width=4)
    ('[#####.....]  50%', '[####] 100%')
    """
    filled = round(fraction * width)
    return f"[{'#' * filled}{'.' * (width - filled)}] {fraction:4.0%}"


def progress_line(record: dict, width: int = 30) -> str:
    """One line of text for a task: bar, percent, units, state and message.

    >>> progress_line({"progress": 0.5, "units_done": 1, "units_total": 2,
    ...                "status": "running", "message": "running ETH_USD 2/2"}, width=10)
    '[#####.....]  50%  1/2 units  running  running ETH_USD 2/2'
    """
    units = f"{record['units_done']}/{record['units_total']} units"
    text = f"{text_bar(record['progress'], width)}  {units}  {record['status']}"
    message = record.get("message") or ""
    if message and message != record["status"]:
        text += f"  {message}"
    return text


def follow(runner, task_id: str, out: TextIO, timeout: float | None = None) -> dict:
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


def finished(runner, task, out: TextIO) -> dict | None:
    """Follow ``task`` to its end; its record when it completed, else None (said in ``out``)."""
    record = follow(runner, task.task_id, out)
    if record["status"] == "completed":
        return record
    out.write(f"task {task.task_id} {record['status']}: {record['message']}\n")
    return None


def store_directory(args) -> str:
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

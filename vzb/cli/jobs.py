"""``vzb jobs list | status | cancel | wait | resume``: the tasks of a store from a terminal.
The commands read an existing store and never create one.

``jobs list`` is a table (task, created with its zone, kind, state, progress in percent,
units, what ran); ``jobs status`` shows one task as readable fields (``--json``: the whole
record as JSON)."""

from __future__ import annotations

import json
import time
from typing import Any, TextIO

from vzb.cli.common import (
    follow,
    local_time,
    progress_line,
    store_directory,
    store_option,
    text_table,
)
from vzb.jobs.store import STATES, TERMINAL_STATES

__all__ = ["add_parser", "run", "status_lines", "task_table"]

#: stats a finished task's status shows, when its result has them
KEY_STATS = ("Return [%]", "Sharpe Ratio", "Max. Drawdown [%]", "# Trades", "Total Fees [$]")
_TASK_ID = "task id, as `vzb jobs list` shows it"


def add_parser(sub) -> None:
    jobs = sub.add_parser("jobs", help="tasks of a store: list, status, cancel, wait, resume")
    actions = jobs.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="tasks, newest first")
    store_option(listing)
    listing.add_argument(
        "--status", choices=list(STATES), help="only tasks in this state (default: all)"
    )
    status = actions.add_parser("status", help="one task's record")
    status.add_argument("task_id", help=_TASK_ID)
    status.add_argument("--json", action="store_true", help="the whole record as JSON")
    store_option(status)
    cancel = actions.add_parser("cancel", help="cancel a queued or running task")
    cancel.add_argument("task_id", help=_TASK_ID)
    cancel.add_argument(
        "--reason",
        default="Task cancelled by user",
        help="why, kept in the task's record (default: 'Task cancelled by user')",
    )
    store_option(cancel)
    wait = actions.add_parser("wait", help="wait until a task finishes (exit 0 if completed)")
    wait.add_argument("task_id", help=_TASK_ID)
    wait.add_argument(
        "--timeout", type=float, default=None, help="give up after this many seconds (exit 3)"
    )
    store_option(wait)
    resume = actions.add_parser("resume", help="finish tasks whose runner died")
    store_option(resume)
    resume.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: one per core)"
    )
    resume.add_argument(
        "--timeout", type=float, default=None, help="stop following a task after this many seconds"
    )


def _what(record: Any) -> str:
    spec = record["spec"] or {}
    what = spec.get("description") or spec.get("strategy") or spec.get("function") or ""
    symbols = ",".join(spec.get("symbols") or [])
    return f"{what} {symbols}".strip()


def task_table(records: list) -> str:
    """The tasks as a table under a header: one line each, the state once.

    >>> print(task_table([{"task_id": "t1", "created_at": None, "kind": "sweep",
    ...     "status": "running", "progress": 0.5, "units_done": 1, "units_total": 2,
    ...     "message": "running", "spec": {"strategy": "s", "symbols": ["BTC_USD"]}}]))
    TASK  CREATED  KIND   STATE    PROGRESS  UNITS  WHAT
    t1    –        sweep  running       50%    1/2  s BTC_USD
    """
    rows = []
    for r in records:
        what = _what(r)
        message = (r.get("message") or "").strip()
        if message and message != r["status"] and r["status"] != "completed":
            what = f"{what}: {message}"  # a stage or a reason, not the state again
        rows.append(
            [
                r["task_id"],
                local_time(r["created_at"]),
                r["kind"],
                r["status"],
                f"{r['progress']:.0%}",
                f"{r['units_done']}/{r['units_total']}",
                what,
            ]
        )
    header = ["TASK", "CREATED", "KIND", "STATE", "PROGRESS", "UNITS", "WHAT"]
    return text_table(header, rows, right=["PROGRESS", "UNITS"])


def _settings(values: dict) -> str:
    from vzb.widgets.formatting import format_parameter

    def one(value: Any) -> str:
        if isinstance(value, list | tuple):
            return "[" + ", ".join(one(v) for v in value) + "]"
        return format_parameter(value) if value is not None else "none"

    return " ".join(f"{name}={one(value)}" for name, value in values.items())


def status_lines(record: Any) -> list[tuple[str, str]]:
    """One task's record as ``(field, text)`` pairs, in the words and number format of the
    panel: progress in percent, times with their zone, settings as ``name=value``."""
    from vzb.widgets.formatting import currency_of, format_stat
    from vzb.widgets.panel_state import format_duration
    from vzb.widgets.tracebacks import trim_traceback

    spec = record["spec"] or {}
    fields = [
        ("task", record["task_id"]),
        ("kind", record["kind"]),
        ("state", record["status"] + (" (cancel requested)" if record["cancel_requested"]
                                      and record["status"] == "running" else "")),
        ("progress", f"{record['progress']:.0%} · {record['units_done']}/"
                     f"{record['units_total']} units"),
    ]  # fmt: skip
    if record["message"] and record["message"] != record["status"]:
        fields.append(("message", record["message"]))
    fields.append(("created", local_time(record["created_at"])))
    if record["started_at"]:
        fields.append(("started", local_time(record["started_at"])))
    if record["finished_at"]:
        took = format_duration(record["finished_at"] - (record["started_at"] or 0))
        fields.append(("finished", f"{local_time(record['finished_at'])} (took {took})"))
    fields.append(("attempt", str(record["attempt"])))
    what = spec.get("description") or spec.get("strategy") or spec.get("function")
    if what:
        fields.append(("what", str(what)))
    if spec.get("symbols"):
        fields.append(("symbols", ", ".join(spec["symbols"])))
    if spec.get("timeframe"):
        fields.append(("timeframe", spec["timeframe"]))
    if spec.get("start") or spec.get("end"):
        fields.append(("dates", f"{spec.get('start') or 'first'} to {spec.get('end') or 'last'}"))
    for key in ("params", "grid", "options"):
        if spec.get(key):
            fields.append((key, _settings(spec[key])))
    result = record["result"] or {}
    if result.get("path"):
        rows = f" ({result['rows']:,} rows)" if result.get("rows") is not None else ""
        fields.append(("result", f"{result['path']}{rows}"))
    stats = result.get("stats") or {}
    currency = currency_of(spec.get("symbols"))
    for name in KEY_STATS:
        if name in stats:
            fields.append((name, format_stat(name, stats[name], currency)))
    error = record["error"]
    if error and record["status"] == "failed":
        fields.append(("error", f"{error['type']}: {error['message']}"))
        if error.get("traceback"):
            trimmed = trim_traceback(error["traceback"])
            fields.append(("traceback", "\n".join("  " + line for line in trimmed.splitlines())))
    elif error:
        fields.append(("reason", error["message"]))
    return fields


def run(args, out: TextIO) -> int:
    directory = store_directory(args)
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
                record = follow(runner, task_id, out, timeout=args.timeout)
                out.write(f"{task_id} {record['status']}: {record['message']}\n")
        return 0
    from vzb.jobs import TaskStore

    store = TaskStore(directory)
    if args.action == "list":
        records = store.tasks(status=args.status)
        if not records:
            out.write("no tasks\n")
            return 0
        out.write(task_table(records) + "\n")
        return 0
    if args.action == "status":
        record = store.get(args.task_id)
        if args.json:
            out.write(json.dumps(record.to_dict(), indent=2, default=str) + "\n")
        else:
            fields = status_lines(record)
            width = max(len(name) for name, _text in fields)
            for name, text in fields:
                if "\n" in text:
                    out.write(f"{name}:\n{text}\n")
                else:
                    out.write(f"{name:>{width}}  {text}\n")
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

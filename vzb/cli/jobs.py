"""``vzb jobs list | status | cancel | wait | resume``: the tasks of a store from a terminal.
The commands read an existing store and never create one."""

from __future__ import annotations

import json
import time
from typing import TextIO

from vzb.cli.common import follow, progress_line, store_directory, store_option
from vzb.jobs.store import STATES, TERMINAL_STATES

__all__ = ["add_parser", "run"]


def add_parser(sub) -> None:
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

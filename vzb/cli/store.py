"""``vzb store backup PATH | restore PATH | check | stats | sync``: keep a store safe.

``check`` exits with status 1 and lists the problems when it finds any: a recorded
artifact missing or changed (size, checksum), an artifact folder no run or task owns,
a task left queued or running without a live runner.
"""

from __future__ import annotations

import json
import os
import time
from typing import TextIO

from vzb.cli.common import store_directory
from vzb.widgets.formatting import format_count

__all__ = ["add_parser", "run"]


def _common(parser) -> None:
    parser.add_argument(
        "--store", default=None, metavar="DIR",
        help="the store directory (default $VZB_HOME or ./.vzb)",
    )  # fmt: skip
    parser.add_argument(
        "--catalog-url", default=None, metavar="URL",
        help="SQLAlchemy URL of the run catalog (default $VZB_CATALOG_URL, else the "
        "SQLite file catalog.sqlite in the store)",
    )  # fmt: skip


def add_parser(sub) -> None:
    store = sub.add_parser(
        "store", help="the store's runs and tasks: backup, restore, check, stats, sync"
    )
    actions = store.add_subparsers(dest="action", required=True, metavar="ACTION")
    backup = actions.add_parser(
        "backup", help="a consistent copy of the task store, the catalog and the local "
        "artifacts (safe while runners are active)",
    )  # fmt: skip
    backup.add_argument("path", help="a new (or empty) folder to write the backup to")
    _common(backup)
    restore = actions.add_parser(
        "restore", help="restore a backup into a new store (its runs into the store's "
        "catalog, or --catalog-url: the way to move a store to PostgreSQL)",
    )  # fmt: skip
    restore.add_argument("path", help="the backup folder made by `vzb store backup`")
    _common(restore)
    check = actions.add_parser(
        "check", help="artifacts present with their recorded size and checksum, no "
        "orphan folders, no task running without a runner (exit 1 and a list if not)",
    )  # fmt: skip
    check.add_argument(
        "--sizes-only", action="store_true",
        help="compare sizes only, without reading every artifact for its checksum",
    )  # fmt: skip
    _common(check)
    stats = actions.add_parser(
        "stats", help="tasks by state, runs by kind, disk used, oldest and newest, "
        "failures in the last day",
    )  # fmt: skip
    stats.add_argument("--json", action="store_true", help="print the figures as JSON")
    _common(stats)
    sync = actions.add_parser(
        "sync", help="write records that wait in the store to the catalog (after an outage)"
    )
    _common(sync)


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


def _size(count: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:,.0f} {unit}" if unit == "B" else f"{count:,.1f} {unit}"
        count /= 1024
    return str(count)


def run(args, out: TextIO) -> int:
    from vzb.jobs import recording
    from vzb.results import maintenance
    from vzb.results.sync import sync

    url = args.catalog_url
    if args.action == "restore":
        done = maintenance.restore(args.path, args.store, catalog_url=url)
        out.write(
            f"restored {format_count(done['runs'], 'run')} ({done['pending']:,} pending) into "
            f"{done['store']}\n"
        )
        waiting = recording.task_problems(done["store"])
        if waiting:
            out.write(f"{format_count(len(waiting), 'task')} unfinished at backup time:\n")
            out.writelines(f"  {line}\n" for line in waiting)
        return 0
    directory = store_directory(args)
    if args.action == "backup":
        manifest = maintenance.backup(
            directory, args.path, catalog_url=url, task_ids=recording.task_ids
        )
        out.write(
            f"backed up {directory} to {os.path.abspath(args.path)}: "
            f"{format_count(manifest['runs'], 'run')}, {manifest['pending']:,} pending, "
            f"{format_count(manifest['artifact_folders'], 'artifact folder')}, "
            f"{_size(manifest['bytes'])}\n"
        )
        return 0
    if args.action == "sync":
        report = sync(directory, catalog_url=url)
        written = format_count(report["written"], "record")
        out.write(f"wrote {written}; {report['pending']:,} still pending\n")
        if report["error"]:
            out.write(f"{report['error']}\n")
            return 1
        return 0
    tasks = recording.task_counts(directory)
    if args.action == "check":
        problems = maintenance.check(
            directory, catalog_url=url, task_ids=tasks["task_ids"], full=not args.sizes_only
        )
        problems += recording.task_problems(directory)
        if not problems:
            out.write(f"store {directory}: no problems\n")
            return 0
        out.write(f"store {directory}: {len(problems)} problem(s)\n")
        out.writelines(f"  {line}\n" for line in problems)
        return 1
    figures = maintenance.stats(directory, catalog_url=url)
    figures.update({k: v for k, v in tasks.items() if k != "task_ids"})
    if args.json:
        out.write(json.dumps(figures, indent=1, default=str) + "\n")
        return 0
    lines = [
        f"store        {os.path.abspath(directory)}",
        f"catalog      {figures['catalog']}",
        "tasks        "
        + (", ".join(f"{k} {v}" for k, v in sorted(tasks["tasks"].items())) or "none"),
        "runs         "
        + (", ".join(f"{k} {v}" for k, v in sorted(figures["runs"].items())) or "none"),
        f"pending      {figures['pending']} records waiting for the catalog",
        f"disk used    {_size(figures['disk_bytes'])} (artifacts recorded: "
        f"{_size(figures['artifact_bytes'])})",
        f"oldest run   {_when(figures['oldest_run'])}",
        f"newest run   {_when(figures['newest_run'])}",
        f"oldest task  {_when(figures['oldest_task'])}",
        f"newest task  {_when(figures['newest_task'])}",
        f"failed (24h) {format_count(figures['failed_last_day'], 'task')}",
    ]
    out.write("\n".join(lines) + "\n")
    return 0

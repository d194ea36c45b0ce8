"""Keeping a store safe: backup, restore, check, stats.

A store is a folder (``$VZB_HOME`` or ``./.vzb``): the task store (``cache.db``, SQLite,
with diskcache's value files), the catalog (``catalog.sqlite`` unless a URL is
configured), the artifacts (``results/<id>/``), records waiting for the catalog
(``pending/``) and the ledger of trials (``trials/``).

:func:`backup` takes a consistent copy while runners are active: the SQLite databases
through SQLite's online backup, the catalog's rows (any database) exported in one
transaction, then the artifact folders of the tasks and runs in that copy (folders made
after it are left out, so the copy has no orphans). :func:`restore` puts a backup into a
store; its catalog rows go into the store's catalog, or the configured one (that is how a
store moves to PostgreSQL), with local artifact paths moved to the new store, in the
catalog, in the records still pending and (through the jobs layer) in the tasks.

>>> import os, tempfile, vzb
>>> store, copy, again = (tempfile.mkdtemp() for _ in range(3))
>>> _ = vzb.record(vzb.backtest(vzb.load_sample("BTC_USD")), store=store)
>>> backup(store, copy)["runs"]
1
>>> restore(copy, again)["runs"], check(again)
(1, [])
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable
from typing import Any

from vzb import _hooks
from vzb._home import home_dir, move_paths
from vzb.errors import ParameterError
from vzb.results.artifacts import ArtifactStore
from vzb.results.catalog import open_catalog
from vzb.results.sync import PENDING, pending_ids, write_pending

__all__ = ["MANIFEST", "backup", "check", "restore", "stats"]

#: the file describing a backup
MANIFEST = "vzb-backup.json"
_ROWS = "catalog.jsonl"
_DATABASES = ("cache.db",)
_SKIP = {"cache.db-wal", "cache.db-shm", "catalog.sqlite", "catalog.sqlite-wal",
         "catalog.sqlite-shm", "catalog.sqlite.lock", "results", PENDING}  # fmt: skip


def _sqlite_copy(source: str, target: str) -> None:
    """A consistent copy of a live SQLite database (its online backup API)."""
    with sqlite3.connect(source, timeout=60) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    dst.close()
    src.close()


def backup(
    store: str | os.PathLike | None,
    path: str | os.PathLike,
    *,
    catalog_url: str | None = None,
    task_ids: Callable[[str], Iterable[str]] | None = None,
) -> dict[str, Any]:
    """Copy a store (task store, catalog rows, local artifacts, pending records) to the
    new folder ``path``; returns the manifest (counts and sizes).

    ``task_ids(folder)``: the task ids of the task store copied to ``folder`` (given by
    the jobs layer; their artifact folders are copied).
    """
    source = os.path.abspath(home_dir(store))
    target = os.path.abspath(os.fspath(path))
    if os.path.exists(target) and os.listdir(target):
        raise ParameterError(f"backup path {target!r} is not empty: give a new folder")
    if not os.path.isdir(source):
        raise ParameterError(f"No store at {source!r}: nothing to back up")
    os.makedirs(target, exist_ok=True)
    for name in _DATABASES:  # first the task store: its tasks decide which folders to copy
        if os.path.exists(os.path.join(source, name)):
            _sqlite_copy(os.path.join(source, name), os.path.join(target, name))
    waiting = pending_ids(source)  # before the catalog: a record is pending or in it
    if waiting:
        os.makedirs(os.path.join(target, PENDING))
    for run_id in waiting:
        try:
            shutil.copy2(
                os.path.join(source, PENDING, f"{run_id}.json"), os.path.join(target, PENDING)
            )
        except FileNotFoundError:  # written to the catalog meanwhile: exported below
            pass
    catalog = open_catalog(source, catalog_url)
    rows = catalog.query()
    artifacts: dict[str, list] = {}
    for artifact in catalog.artifacts():
        artifacts.setdefault(artifact.pop("run_id"), []).append(artifact)
    with open(os.path.join(target, _ROWS), "w") as f:
        for row in rows:
            row["artifacts"] = artifacts.get(row["run_id"], [])
            f.write(json.dumps(row, default=str) + "\n")
    for entry in os.scandir(source):  # diskcache's value files, the ledger of trials...
        if entry.name in _SKIP or entry.name in _DATABASES:
            continue
        if entry.is_dir():
            shutil.copytree(entry.path, os.path.join(target, entry.name))
        else:
            shutil.copy2(entry.path, target)
    keep = {row["run_id"] for row in rows} | set(waiting)
    keep |= set(task_ids(target) if task_ids is not None else [])
    copied = 0
    results = os.path.join(source, "results")
    for name in sorted(os.listdir(results)) if os.path.isdir(results) else []:
        if name in keep:
            shutil.copytree(os.path.join(results, name), os.path.join(target, "results", name))
            copied += 1
    manifest = {
        "store": source, "created_at": time.time(), "runs": len(rows), "pending": len(waiting),
        "artifact_folders": copied, "bytes": _disk_used(target),
    }  # fmt: skip
    with open(os.path.join(target, MANIFEST), "w") as f:
        json.dump(manifest, f, indent=1)
    return manifest


def restore(
    path: str | os.PathLike, store: str | os.PathLike | None, *, catalog_url: str | None = None
) -> dict[str, Any]:
    """Restore the backup at ``path`` into the empty or new folder ``store``; its runs go
    into that store's catalog (or ``catalog_url`` / ``$VZB_CATALOG_URL``). Paths into the
    backed-up store (local artifacts, task results) are moved to the new one, so the
    original may be gone. Returns ``{"runs", "pending", "store"}``."""
    source = os.path.abspath(os.fspath(path))
    manifest_path = os.path.join(source, MANIFEST)
    if not os.path.exists(manifest_path):
        raise ParameterError(f"{source!r} is not a vzb backup (no {MANIFEST}); give its folder")
    with open(manifest_path) as f:
        manifest = json.load(f)
    target = os.path.abspath(home_dir(store))
    if os.path.exists(target) and os.listdir(target):
        raise ParameterError(f"store {target!r} is not empty: restore into a new folder")
    shutil.copytree(
        source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(MANIFEST, _ROWS)
    )
    old = manifest["store"]
    for run_id in pending_ids(target):  # their files: local paths into the old store
        with open(os.path.join(target, PENDING, f"{run_id}.json")) as f:
            write_pending(target, move_paths(json.load(f), old, target))
    if _hooks.store_restorer is not None:
        _hooks.store_restorer(target, old)
    catalog = open_catalog(target, catalog_url)
    restored = 0
    with open(os.path.join(source, _ROWS)) as f:
        for line in f:
            row = json.loads(line)
            row["artifacts"] = move_paths(row["artifacts"], old, target)  # local ones moved
            restored += catalog.insert(row)
    return {"runs": restored, "pending": len(pending_ids(target)), "store": target}


def check(
    store: str | os.PathLike | None = None,
    *,
    catalog_url: str | None = None,
    task_ids: Iterable[str] = (),
    full: bool = True,
) -> list[str]:
    """What is wrong with a store's runs: artifacts missing or with another size or
    checksum than recorded (``full=False``: sizes only), artifact folders that belong to
    no run, pending record or task (orphans). An empty list: all is well."""
    from vzb.results.settings import results_url, storage_options

    root = os.path.abspath(home_dir(store))
    catalog = open_catalog(root, catalog_url)
    artifacts = ArtifactStore(results_url(), storage_options())
    problems = []
    for artifact in catalog.artifacts():
        wrong = artifacts.verify(artifact, full=full)
        if wrong is not None:
            problems.append(f"run {artifact['run_id']}: artifact {artifact['name']} {wrong}")
    waiting = os.path.join(root, PENDING)
    for name in sorted(os.listdir(waiting)) if os.path.isdir(waiting) else []:
        if name.endswith(".damaged"):
            problems.append(
                f"damaged pending record {os.path.join(waiting, name)}: repair its JSON and "
                "rename it to .json, then `vzb store sync`"
            )
    known = catalog.ids() | set(pending_ids(root)) | set(task_ids)
    results = os.path.join(root, "results")
    for name in sorted(os.listdir(results)) if os.path.isdir(results) else []:
        if name not in known:
            problems.append(
                f"orphan folder {os.path.join(results, name)}: no run, pending record or task "
                "has this id (delete it, or restore its record)"
            )
    return problems


def _disk_used(folder: str) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for file in files:
            try:
                total += os.path.getsize(os.path.join(root, file))
            except OSError:
                pass
    return total


def stats(store: str | os.PathLike | None = None, *, catalog_url: str | None = None) -> dict:
    """Runs by kind, oldest and newest run, records pending, bytes on disk (the store
    folder) and in the catalog's artifacts."""
    root = os.path.abspath(home_dir(store))
    catalog = open_catalog(root, catalog_url)
    rows = catalog.query()
    kinds: dict[str, int] = {}
    for row in rows:
        kinds[row["kind"]] = kinds.get(row["kind"], 0) + 1
    times = [row["created_at"] for row in rows]
    return {
        "runs": kinds, "oldest_run": min(times) if times else None,
        "newest_run": max(times) if times else None, "pending": len(pending_ids(root)),
        "disk_bytes": _disk_used(root),
        "artifact_bytes": sum(a["size"] for a in catalog.artifacts()),
        "catalog": repr(catalog),
    }  # fmt: skip

"""Records that wait in the store until the catalog and the artifact store take them.

A finished run's record is first written as a JSON file in the store's ``pending/``
folder (local disk: always possible), then :func:`sync` copies its artifacts (with a
URL configured) and inserts it into the catalog, and only then deletes the file. When
either is unreachable the file stays and the next sync writes it: ``vzb store sync``, a
:class:`RecordSync` thread (every job runner has one), or ``vzb.runs()``. Inserts are
idempotent by run id, so two kernels syncing the same file store the run once.

On first sync of a store, results made before the catalog existed (finished tasks) are
queued too, through the hook ``vzb._hooks.store_importer`` that the jobs layer provides.

>>> import tempfile
>>> store = tempfile.mkdtemp()
>>> _ = write_pending(store, {"run_id": "r1", "kind": "backtest", "created_at": 0.0,
...                           "symbols": [], "files": {}})
>>> pending_ids(store)
['r1']
>>> sync(store)["written"], pending_ids(store)
(1, [])
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from vzb import _hooks
from vzb._home import home_dir

__all__ = ["PENDING", "RecordSync", "pending_ids", "sync", "write_pending"]

#: the folder of the store holding records not written to the catalog yet
PENDING = "pending"
#: the file marking a store whose older results were queued for the catalog
IMPORTED = "catalog-imported"
_SYNCING = threading.Lock()
#: the text of the records this process wrote last, by path, with the file's identity
#: (inode, mtime, size): a sync right after its write reads no file back
_WRITTEN: dict[str, tuple[tuple[int, int, int], str]] = {}


def _folder(store: str | os.PathLike | None) -> str:
    return os.path.join(os.path.abspath(home_dir(store)), PENDING)


def write_pending(store: str | os.PathLike | None, record: Mapping[str, Any]) -> str:
    """Write ``record`` (with ``files: {name: local path}``) to the store's pending
    folder, atomically; returns its path."""
    folder = _folder(store)
    path = os.path.join(folder, f"{record['run_id']}.json")
    temporary = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    text = json.dumps(record, allow_nan=False, default=str)  # one string: the C encoder
    try:
        f = open(temporary, "w")
    except FileNotFoundError:  # the store's first record
        os.makedirs(folder, exist_ok=True)
        f = open(temporary, "w")
    with f:
        f.write(text)
        identity = os.fstat(f.fileno())
    os.replace(temporary, path)
    if len(_WRITTEN) > 64:
        _WRITTEN.clear()
    _WRITTEN[path] = ((identity.st_ino, identity.st_mtime_ns, identity.st_size), text)
    return path


def pending_ids(store: str | os.PathLike | None = None) -> list[str]:
    """Run ids whose records wait in the store, oldest file first."""
    folder = _folder(store)
    try:
        entries = [e for e in os.scandir(folder) if e.name.endswith(".json")]
    except FileNotFoundError:
        return []
    entries.sort(key=lambda e: (e.stat().st_mtime, e.name))
    return [e.name[: -len(".json")] for e in entries]


def _import_older(store: str | os.PathLike | None) -> int:
    """Queue the results made before the catalog existed, once per store."""
    root = os.path.abspath(home_dir(store))
    marker = os.path.join(root, IMPORTED)
    if os.path.exists(marker) or _hooks.store_importer is None:
        return 0
    queued = _hooks.store_importer(root)
    os.makedirs(root, exist_ok=True)  # a new store: vzb.runs() before its first run
    with open(marker, "w") as f:
        f.write(f"{queued} older results queued for the catalog at {time.time():.0f}\n")
    return queued


def sync(
    store: str | os.PathLike | None = None,
    *,
    run_ids: Iterable[str] | None = None,
    catalog_url: str | None = None,
) -> dict[str, Any]:
    """Write the store's pending records to the catalog; returns
    ``{"written", "pending", "error"}`` (``error``: why some are still pending, or None).

    ``run_ids``: only these (a direct ``vzb.record``). Never raises for an unreachable
    catalog or artifact store: the records stay pending.
    """
    written, error = 0, None
    with _SYNCING:  # one sync per process at a time; other processes: idempotent inserts
        if run_ids is None:
            _import_older(store)
        ids = pending_ids(store) if run_ids is None else list(run_ids)
        if ids:  # only now the database libraries: a runner with nothing to sync stays light
            from vzb.results.artifacts import ArtifactStore
            from vzb.results.catalog import open_catalog
            from vzb.results.records import complete
            from vzb.results.settings import results_url, storage_options

            artifacts = ArtifactStore(results_url(), storage_options())
            try:
                catalog = open_catalog(store, catalog_url)
            except Exception as exc:  # unreachable: everything stays pending
                ids, error = [], _why("catalog", exc)
            for run_id in ids:
                path = os.path.join(_folder(store), f"{run_id}.json")
                try:
                    record = json.loads(_read(path))
                except FileNotFoundError:  # another process wrote it meanwhile
                    continue
                except ValueError as exc:  # a damaged file: set aside, never blocks the rest
                    os.replace(path, path + ".damaged")
                    error = f"pending record {path} is damaged ({exc}); kept as {path}.damaged"
                    continue
                try:
                    record["artifacts"] = artifacts.put(run_id, record.pop("files", {}))
                except Exception as exc:
                    error = _why("artifact store", exc)
                    break
                try:
                    if not catalog.insert(complete(record)) and (
                        record.get("tags") or record.get("note")
                    ):
                        catalog.tag(run_id, record.get("tags") or (), record.get("note"))
                except Exception as exc:
                    error = _why("catalog", exc)
                    break
                try:
                    os.remove(path)
                except FileNotFoundError:
                    pass
                written += 1
    return {"written": written, "pending": len(pending_ids(store)), "error": error}


def _read(path: str) -> str:
    """A pending record's text: this process's copy while the file is the one it wrote."""
    known = _WRITTEN.pop(path, None)
    if known is not None:
        found = os.stat(path)
        if (found.st_ino, found.st_mtime_ns, found.st_size) == known[0]:
            return known[1]
    with open(path) as f:
        return f.read()


def _why(part: str, exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{part} unreachable: {type(exc).__name__}: {text}"[:300]


class RecordSync:
    """A thread that syncs a store's pending records every ``interval`` seconds while
    there are some, backing off (up to ``max_delay``) while the catalog is down.

    >>> import tempfile
    >>> syncer = RecordSync(tempfile.mkdtemp(), interval=0.05)
    >>> syncer.start(); syncer.stop(); syncer.last["error"] is None
    True
    """

    def __init__(self, store: str | os.PathLike, interval: float = 0.5, max_delay: float = 8.0):
        self.store = os.fspath(store)
        self.interval, self.max_delay = interval, max_delay
        self.last: dict[str, Any] = {"written": 0, "pending": 0, "error": None}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="vzb-record-sync", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Look at the pending folder now (after a run finished)."""
        self._delay = self.interval

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread, after one last sync of what is pending (unless the last
        attempt failed: the records then wait for the next runner or ``vzb store sync``)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)
        if self.last["error"] is None and pending_ids(self.store):
            try:
                self.last = sync(self.store)
            except Exception as exc:  # closing a runner must not fail on its records
                self.last = {"written": 0, "pending": -1, "error": _why("sync", exc)}

    def _loop(self) -> None:
        self._delay = self.interval
        while not self._stop.wait(self._delay):
            if not pending_ids(self.store) and os.path.exists(os.path.join(self.store, IMPORTED)):
                continue
            try:
                self.last = sync(self.store)
            except Exception as exc:  # never let the thread die
                self.last = {"written": 0, "pending": -1, "error": _why("sync", exc)}
            failed = self.last["error"] is not None
            self._delay = min(self._delay * 2, self.max_delay) if failed else self.interval

"""Downloaded candle files: ``{data_dir}/{SYMBOL}_{timeframe}.parquet`` with what vzb knows
about them in the Parquet metadata, written atomically under a lock.

The file holds the candles as the exchange published them (quiet bars absent), plus a
``quote_volume`` column (the exchange's turnover, e.g. KRW), and under the metadata key
``vzb`` a JSON object: ``exchange``, ``market`` (the exchange's id), ``symbol``,
``timeframe``, ``fetched`` (the ``[from, to)`` ranges downloads covered, epoch seconds)
and ``updated_at``. Any Parquet reader reads the file; the catalog reads the metadata to
fill quiet bars (:mod:`vzb.data.gaps`).

A write goes to a hidden temporary file beside the target and replaces it with
:func:`os.replace`, so a process killed at any moment leaves the previous file whole;
:func:`file_lock` (an ``fcntl`` lock, released by the system when its process dies)
keeps two downloads of one file apart.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "BTC_KRW_1d.parquet"
>>> frame = pd.DataFrame({c: [1.0] for c in STORED_COLUMNS},
...                      index=pd.to_datetime(["2024-01-01"], utc=True).rename("timestamp"))
>>> write_stored(path, frame, {"exchange": "upbit", "fetched": [[0, 86400]]})
>>> read_meta(path)["exchange"], read_stored(path)[0].shape
('upbit', (1, 6))
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

__all__ = ["STORED_COLUMNS", "file_lock", "list_stored", "read_meta", "read_stored", "write_stored"]

STORED_COLUMNS = ("open", "high", "low", "close", "volume", "quote_volume")
_KEY = b"vzb"


def read_meta(path: str | os.PathLike[str]) -> dict:
    """The ``vzb`` metadata of a Parquet file ({} for a file vzb did not download, or any
    file that is not Parquet); reads only the file's footer."""
    text = os.fspath(path)
    if not text.lower().endswith(".parquet") or not os.path.isfile(text):
        return {}
    import pyarrow.parquet as pq

    try:
        metadata = pq.read_schema(text).metadata or {}
    except Exception:  # not a readable Parquet file: the reader will say so
        return {}
    raw = metadata.get(_KEY)
    return json.loads(raw) if raw else {}


def read_stored(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, dict]:
    """``(candles with quote_volume, metadata)`` of a downloaded file; empty if absent."""
    if not os.path.isfile(path):
        empty = pd.DataFrame(
            {c: pd.Series(dtype="float64") for c in STORED_COLUMNS},
            index=pd.DatetimeIndex([], tz="UTC", name="timestamp"),
        )
        return empty, {}
    frame = pd.read_parquet(path)
    if "quote_volume" not in frame:
        frame["quote_volume"] = float("nan")
    frame.index = pd.DatetimeIndex(frame.index).tz_convert("UTC").as_unit("ns").rename("timestamp")
    return frame[list(STORED_COLUMNS)].astype("float64"), read_meta(path)


def write_stored(path: str | os.PathLike[str], frame: pd.DataFrame, meta: Mapping) -> None:
    """Write ``frame`` (sorted, unique times) and ``meta`` to ``path`` atomically.

    Call it holding :func:`file_lock` on ``path``: temporary files of ``path`` left by a
    writer killed mid-write are removed first.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = Path(path)
    meta = {**meta, "updated_at": datetime.now(UTC).isoformat(timespec="seconds")}
    table = pa.Table.from_pandas(frame[list(STORED_COLUMNS)], preserve_index=True)
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), _KEY: json.dumps(meta).encode()}
    )
    for stale in target.parent.glob(f".{target.name}.*.tmp"):  # left by a killed writer
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()  # (callers hold file_lock: no other writer is running)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            pq.write_table(table, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


@contextlib.contextmanager
def file_lock(path: str | os.PathLike[str], timeout: float = 600.0) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (through ``path.lock``) while the block runs.

    The lock is ``fcntl.flock``: the system lets go of it when the holder's process ends,
    killed or not, so a lock is never left stale. Waits up to ``timeout`` seconds.

    Raises
    ------
    TimeoutError
        Another process held the lock for ``timeout`` seconds.
    """
    lock_path = f"{os.fspath(path)}.lock"
    handle = open(lock_path, "a+")
    try:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; one download at a time is on you
            yield
            return
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"Another download holds {lock_path} for over {timeout:g} s; wait "
                        f"for it to finish (or end it), then try again."
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()


def list_stored(data_dir: str | os.PathLike[str] | None = None) -> list[dict]:
    """One row per candle file in the data directory: ``symbol, timeframe, exchange``
    (``None`` for a file vzb did not download), ``rows, first, last, filled_bars`` (bars
    missing between the first and the last, which loading fills), ``updated_at`` (the
    last download, else the file's time) and ``path``; sorted by symbol and timeframe.

    >>> list_stored(__import__("tempfile").mkdtemp())
    []
    """
    from vzb.data.readers import read_candles
    from vzb.data.sources import data_directory, stored_sources
    from vzb.data.timeframes import timeframe_seconds

    directory = data_directory(data_dir)
    if directory is None:
        return []
    rows = []
    for (symbol, timeframe), path in sorted(stored_sources(directory).items()):
        if path == "bundled":
            continue
        meta = read_meta(path)
        frame = read_stored(path)[0] if meta else read_candles(path, symbol=symbol)
        span = (frame.index[-1] - frame.index[0]).total_seconds() if len(frame) else 0.0
        expected = int(span // timeframe_seconds(timeframe)) + 1 if len(frame) else 0
        updated = meta.get("updated_at") or datetime.fromtimestamp(
            os.stat(path).st_mtime, UTC
        ).isoformat(timespec="seconds")
        rows.append({
            "symbol": symbol, "timeframe": timeframe, "exchange": meta.get("exchange"),
            "rows": len(frame), "first": frame.index[0] if len(frame) else None,
            "last": frame.index[-1] if len(frame) else None,
            "filled_bars": max(expected - len(frame), 0),
            "updated_at": pd.Timestamp(updated), "path": path,
        })  # fmt: skip
    return rows

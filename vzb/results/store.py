"""Save and load results and tables as Parquet, on a local path or an fsspec URL.

A saved :class:`~vzb.engine.BacktestResult` is a directory::

    meta.json         metadata (run id, schema version, strategy, params, options, ...)
    stats.parquet     one row, one column per stat
    positions.parquet
    equity.parquet
    signals.parquet
    indicators.parquet   the strategy's indicator columns (when it has any)
    candles.parquet      (when present)
    per_symbol/<i>/   the same layout for each symbol of a multi-symbol run

Loading gives back equal objects (values, dtypes, index and metadata). A result saved
before indicators were generic (a ``resistance.parquet``) loads with that series as its
``resistance`` indicator column. A table keeps its ``DataFrame.attrs`` (a sweep table's
``attrs["parameters"]``). Paths with a protocol (``"s3://bucket/run"``,
``"memory://run"``) go through fsspec when it is installed.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pandas as pd

from vzb.engine.result import BacktestResult
from vzb.errors import ParameterError

__all__ = ["load_result", "load_table", "save_result", "save_table"]

_META = "meta.json"
_FRAMES = ("stats", "positions", "equity", "signals", "indicators", "candles")
#: what results saved before indicators were generic call their only indicator
_OLD_INDICATOR = "resistance"


class _Location:
    """A directory on the local disk or behind an fsspec URL."""

    def __init__(self, path: str | os.PathLike, storage_options: dict | None = None):
        self.path = os.fspath(path)
        if "://" in self.path:
            try:
                import fsspec
            except ImportError:
                raise ImportError(
                    f"Saving to {self.path!r} needs fsspec: pip install fsspec"
                ) from None
            self.fs, self.root = fsspec.core.url_to_fs(self.path, **(storage_options or {}))
        else:
            self.fs, self.root = None, os.path.abspath(self.path)

    def join(self, root: str, *parts: str) -> str:
        """``root/parts...`` with the separator of this location."""
        return "/".join([root.rstrip("/"), *parts]) if self.fs else os.path.join(root, *parts)

    def makedirs(self, path: str) -> None:
        if self.fs:
            self.fs.makedirs(path, exist_ok=True)
        else:
            os.makedirs(path, exist_ok=True)

    def exists(self, path: str) -> bool:
        return self.fs.exists(path) if self.fs else os.path.exists(path)

    def open(self, path: str, mode: str):
        return self.fs.open(path, mode) if self.fs else open(path, mode)


def _write_frame(loc: _Location, path: str, frame: pd.DataFrame) -> None:
    with loc.open(path, "wb") as f:
        frame.to_parquet(f)


def _read_frame(loc: _Location, path: str) -> pd.DataFrame:
    with loc.open(path, "rb") as f:
        return pd.read_parquet(f)


def _save(result: BacktestResult, loc: _Location, root: str) -> None:
    loc.makedirs(root)
    kinds: dict[str, str | None] = {}
    for name in _FRAMES:
        value = getattr(result, name)
        if value is None or (name == "indicators" and value.columns.empty):
            kinds[name] = None
            continue
        if name == "stats":
            frame = value.to_frame().T.reset_index(drop=True)
            frame.columns = [str(c) for c in frame.columns]
            frame = frame.infer_objects()
            kinds[name] = "stats"
        elif isinstance(value, pd.Series):
            frame = value.to_frame()
            kinds[name] = f"series:{value.name}"
        else:
            frame = value
            kinds[name] = "frame"
        _write_frame(loc, loc.join(root, f"{name}.parquet"), frame)
    symbols = list(result.per_symbol or {})
    for i, symbol in enumerate(symbols):
        _save(result.per_symbol[symbol], loc, loc.join(root, "per_symbol", str(i)))
    meta = {
        "run_id": result.run_id,
        "version": result.version,
        "strategy": result.strategy,
        "params": result.params,
        "symbols": result.symbols,
        "total_signals": result.total_signals,
        "execution_time": result.execution_time,
        "vzb_version": result.vzb_version,
        "options": result.options,
        "fingerprint": result.fingerprint,
        "kinds": kinds,
        "per_symbol": symbols if result.per_symbol is not None else None,
    }
    with loc.open(loc.join(root, _META), "w") as f:
        json.dump(meta, f, indent=1)


def _old_indicators(loc: _Location, root: str, kind: str) -> pd.DataFrame:
    """The ``resistance.parquet`` of an older result as an indicators frame: a column
    ``resistance``, or ``(symbol, "resistance")`` columns for several symbols."""
    frame = _read_frame(loc, loc.join(root, f"{_OLD_INDICATOR}.parquet"))
    if kind.startswith("series:"):
        return frame.iloc[:, :1].set_axis([_OLD_INDICATOR], axis=1)
    columns = pd.MultiIndex.from_product(
        [frame.columns, [_OLD_INDICATOR]], names=["symbol", "indicator"]
    )
    return frame.set_axis(columns, axis=1)


def _load(loc: _Location, root: str) -> BacktestResult:
    if not loc.exists(loc.join(root, _META)):
        raise ParameterError(
            f"No saved result at {root!r} (missing {_META}); save one with vzb.results.save_result"
        )
    with loc.open(loc.join(root, _META), "r") as f:
        meta = json.load(f)
    values: dict[str, Any] = {}
    for name in _FRAMES:
        kind = meta["kinds"].get(name)
        if kind is None:
            values[name] = None
            continue
        frame = _read_frame(loc, loc.join(root, f"{name}.parquet"))
        if kind == "stats":
            values[name] = frame.astype(object).iloc[0].rename(None)
        elif kind.startswith("series:"):
            values[name] = frame.iloc[:, 0]
        else:
            values[name] = frame
    if meta["kinds"].get(_OLD_INDICATOR) is not None:
        values["indicators"] = _old_indicators(loc, root, meta["kinds"][_OLD_INDICATOR])
    per_symbol = None
    if meta.get("per_symbol") is not None:
        per_symbol = {
            symbol: _load(loc, loc.join(root, "per_symbol", str(i)))
            for i, symbol in enumerate(meta["per_symbol"])
        }
    return BacktestResult(
        stats=values["stats"],
        positions=values["positions"],
        equity=values["equity"],
        signals=values["signals"],
        indicators=values["indicators"],
        candles=values["candles"],
        strategy=meta["strategy"],
        params=meta["params"],
        symbols=meta["symbols"],
        total_signals=meta["total_signals"],
        execution_time=meta["execution_time"],
        options=meta["options"],
        fingerprint=meta["fingerprint"],
        run_id=meta["run_id"],
        vzb_version=meta["vzb_version"],
        version=meta["version"],
        per_symbol=per_symbol,
    )


def save_result(result: BacktestResult, path: str | os.PathLike) -> str:
    """Save a result as a directory of Parquet files and ``meta.json``; returns the path.

    Examples
    --------
    >>> import tempfile, vzb
    >>> from vzb.results import load_result, save_result
    >>> result = vzb.backtest(vzb.load_sample("BTC_USD"))
    >>> path = save_result(result, tempfile.mkdtemp() + "/run")
    >>> load_result(path).stats.equals(result.stats)
    True
    """
    if not isinstance(result, BacktestResult):
        raise ParameterError(f"save_result needs a BacktestResult, not {type(result).__name__}")
    loc = _Location(path)
    _save(result, loc, loc.root)
    return loc.path if loc.fs else loc.root


def load_result(path: str | os.PathLike, storage_options: dict | None = None) -> BacktestResult:
    """Load a result saved by :func:`save_result` (local path or fsspec URL;
    ``storage_options`` for fsspec, e.g. an S3 endpoint)."""
    loc = _Location(path, storage_options)
    return _load(loc, loc.root)


def save_table(table: pd.DataFrame, path: str | os.PathLike) -> str:
    """Save a DataFrame (e.g. a sweep table) as one Parquet file; returns the path.

    The table's ``attrs`` are saved with it (a sweep table's ``attrs["parameters"]``
    names its parameter columns), so :func:`load_table` gives them back.

    Examples
    --------
    >>> import tempfile
    >>> import pandas as pd
    >>> table = pd.DataFrame({"window": [10, 20], "Return [%]": [1.5, -2.0]})
    >>> table.attrs["parameters"] = ["window"]
    >>> loaded = load_table(save_table(table, tempfile.mkdtemp() + "/sweep.parquet"))
    >>> loaded.equals(table), loaded.attrs
    (True, {'parameters': ['window']})
    """
    if not isinstance(table, pd.DataFrame):
        raise ParameterError(f"save_table needs a DataFrame, not {type(table).__name__}")
    loc = _Location(path)
    parent = loc.root.rsplit("/", 1)[0] if loc.fs else os.path.dirname(loc.root)
    if parent:
        loc.makedirs(parent)
    _write_frame(loc, loc.root, table)
    return loc.path if loc.fs else loc.root


def load_table(path: str | os.PathLike, storage_options: dict | None = None) -> pd.DataFrame:
    """Load a DataFrame saved by :func:`save_table` (``storage_options`` for fsspec)."""
    loc = _Location(path, storage_options)
    if not loc.exists(loc.root):
        raise ParameterError(f"No table at {loc.path!r}; save one with vzb.results.save_table")
    return _read_frame(loc, loc.root)

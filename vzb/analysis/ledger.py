"""The ledger of trials: every parameter set ever swept, counted per study.

A study is a strategy on some symbols, a timeframe and a candle range. Each distinct
parameter set swept on it (directly or in a job, in any process, across kernel
restarts and days of work) counts once; the deflated Sharpe ratio then uses the honest
number of trials, not only those of the last sweep. The ledger is a diskcache store in
``{home}/trials`` beside the task store (``$VZB_HOME`` or ``./.vzb``). A user starts a
new study of the same key explicitly with :func:`start_study`: its count starts again.

Single backtests are not counted (one look at a set is not a search); sweeps and
walk-forwards are.

>>> import tempfile, vzb
>>> home = tempfile.mkdtemp()
>>> sets = [{"volume_window": w} for w in (10, 20, 20)]
>>> record_trials("my_strategy", ["BTC_USD"], "1d", "2020-01-01", "2020-12-31", sets,
...               home=home)
2
>>> trials("my_strategy", home=home)[["symbols", "timeframe", "trials"]].values.tolist()
[['BTC_USD', '1d', 2]]
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from vzb._home import home_dir

__all__ = [
    "count_trials",
    "frames_study",
    "home_dir",
    "record_sweep",
    "record_trials",
    "start_study",
    "study_key",
    "trials",
]

_CACHES: dict[str, Any] = {}


def _ledger(home: str | os.PathLike | None):
    import diskcache

    directory = os.path.abspath(os.path.join(home_dir(home), "trials"))
    cache = _CACHES.get(directory)
    if cache is None or cache.directory != directory:
        cache = _CACHES[directory] = diskcache.Cache(directory, eviction_policy="none")
    return cache


def study_key(strategy: str, symbols: Iterable[str], timeframe: str, start, end) -> str:
    """The study's key: ``strategy|SYMBOLS|timeframe|start|end`` (symbols sorted)."""
    return "|".join(
        [strategy, ",".join(sorted(symbols)), str(timeframe), _stamp(start), _stamp(end)]
    )


def _stamp(value) -> str:
    return pd.Timestamp(value).isoformat() if value is not None else ""


def _digest(params: Mapping[str, Any]) -> bytes:
    text = json.dumps({str(k): params[k] for k in sorted(params)}, default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def record_trials(
    strategy: str,
    symbols: Sequence[str],
    timeframe: str,
    start,
    end,
    param_sets: Iterable[Mapping[str, Any]],
    *,
    home: str | os.PathLike | None = None,
) -> int:
    """Count ``param_sets`` for the study; returns the study's number of trials.

    Sets already counted for the study's current generation are not counted again.
    Safe from several processes at once (one diskcache transaction: read the study's
    set of 16-byte digests, add, write back; about a millisecond for a few hundred sets).
    """
    key = study_key(strategy, symbols, timeframe, start, end)
    cache = _ledger(home)
    digests = {_digest(p) for p in param_sets}
    with cache.transact(retry=True):
        study = cache.get(("study", key)) or _new_study(strategy, symbols, timeframe, start, end)
        seen_key = ("sets", key, study["generation"])
        seen = cache.get(seen_key) or set()
        new = digests - seen
        if new:
            cache.set(seen_key, seen | new)
        study["trials"] += len(new)
        study["updated_at"] = time.time()
        cache.set(("study", key), study)
    return study["trials"]


def frames_study(frames: Mapping[str, pd.DataFrame]) -> tuple[list[str], str, Any, Any]:
    """``(symbols, timeframe, start, end)`` of the study of some candles: the timeframe
    from ``attrs["timeframe"]`` or the bar spacing, the range over all symbols."""
    from vzb.data import infer_timeframe

    first = next(iter(frames.values()))
    timeframe = first.attrs.get("timeframe") or infer_timeframe(first.index) or "irregular"
    start = min(frame.index[0] for frame in frames.values())
    end = max(frame.index[-1] for frame in frames.values())
    return list(frames), timeframe, start, end


def record_sweep(
    strategy: str, frames: Mapping[str, pd.DataFrame], param_sets, *, home=None
) -> int:
    """:func:`record_trials` for a sweep of ``param_sets`` over ``frames`` (symbol ->
    candles); returns the study's number of trials."""
    return record_trials(strategy, *frames_study(frames), param_sets, home=home)


def _new_study(strategy, symbols, timeframe, start, end, generation: int = 1) -> dict:
    now = time.time()
    return {
        "strategy": strategy,
        "symbols": ",".join(sorted(symbols)),
        "timeframe": str(timeframe),
        "start": _stamp(start),
        "end": _stamp(end),
        "generation": generation,
        "trials": 0,
        "started_at": now,
        "updated_at": now,
    }


def count_trials(
    strategy: str, symbols: Sequence[str], timeframe: str, start, end, *, home=None
) -> int:
    """The study's number of trials so far (0 for a study never swept)."""
    study = _ledger(home).get(("study", study_key(strategy, symbols, timeframe, start, end)))
    return 0 if study is None else int(study["trials"])


def start_study(
    strategy: str, symbols: Sequence[str], timeframe: str, start, end, *, home=None
) -> int:
    """Start a new study of the same key: its trial count starts at 0 again (the old
    generation's sets stay on disk). Returns the new generation number."""
    key = study_key(strategy, symbols, timeframe, start, end)
    cache = _ledger(home)
    with cache.transact(retry=True):
        old = cache.get(("study", key))
        generation = 1 if old is None else old["generation"] + 1
        cache.set(("study", key), _new_study(strategy, symbols, timeframe, start, end, generation))
    return generation


def trials(
    strategy: str | None = None,
    *,
    symbols: Sequence[str] | str | None = None,
    timeframe: str | None = None,
    home: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """The studies in the ledger, newest activity first, filtered by strategy (name or
    import path), symbols (studies holding all of them) and timeframe.

    Columns: strategy, symbols, timeframe, start, end, generation, trials, started_at,
    updated_at (UTC timestamps).
    """
    cache = _ledger(home)
    wanted = [symbols] if isinstance(symbols, str) else list(symbols or [])
    rows = []
    for key in cache.iterkeys():
        if not (isinstance(key, tuple) and key[0] == "study"):
            continue
        study = cache.get(key)
        if study is None or (strategy is not None and study["strategy"] != strategy):
            continue
        if timeframe is not None and study["timeframe"] != timeframe:
            continue
        if not set(wanted) <= set(study["symbols"].split(",")):
            continue
        rows.append(study)
    columns = list(_new_study("", [], "", None, None))
    table = pd.DataFrame(rows, columns=columns)
    for column in ("started_at", "updated_at"):
        table[column] = pd.to_datetime(table[column], unit="s", utc=True)
    return table.sort_values("updated_at", ascending=False, ignore_index=True)

"""Provenance of a run: on what candles (fingerprint, source, range), with what code (vzb
version, git commit and dirty flag of the working directory).

>>> import vzb
>>> data = candle_provenance({"BTC_USD": vzb.load_sample("BTC_USD")})
>>> data["timeframe"], data["sources"]["BTC_USD"]["kind"], len(data["fingerprint"])
('1d', 'bundled', 64)
>>> sorted(code_provenance())
['git_commit', 'git_dirty', 'vzb_version']
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from collections.abc import Mapping
from typing import Any

from vzb._version import __version__

__all__ = ["GIT_CACHE_SECONDS", "candle_provenance", "code_provenance", "git_state"]

#: git is asked at most this often per working directory (a run records in milliseconds)
GIT_CACHE_SECONDS = 5.0
_GIT: dict[str, tuple[float, dict]] = {}


def git_state(directory: str | os.PathLike | None = None) -> dict[str, Any]:
    """``{"git_commit", "git_dirty"}`` of the git work tree holding ``directory`` (default:
    the current one); both None outside a work tree or without git. ``git_dirty``: tracked
    files differ from the commit. Cached for :data:`GIT_CACHE_SECONDS`."""
    where = os.path.abspath(os.fspath(directory or os.getcwd()))
    now = time.monotonic()
    cached = _GIT.get(where)
    if cached is not None and now - cached[0] < GIT_CACHE_SECONDS:
        return dict(cached[1])
    state: dict[str, Any] = {"git_commit": None, "git_dirty": None}
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, timeout=5
        )
        if commit.returncode == 0:
            state["git_commit"] = commit.stdout.strip()
            dirty = subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=where, capture_output=True, text=True, timeout=10,
            )  # fmt: skip
            state["git_dirty"] = bool(dirty.stdout.strip()) if dirty.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        pass
    _GIT[where] = (now, state)
    return dict(state)


def code_provenance(directory: str | os.PathLike | None = None) -> dict[str, Any]:
    """The vzb version and :func:`git_state` of ``directory``."""
    return {"vzb_version": __version__, **git_state(directory)}


def _source(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """Where a frame of candles came from: bundled, an exchange download, a file."""
    source = attrs.get("source")
    if attrs.get("exchange"):
        kind = "exchange"
    elif isinstance(source, str) and source.startswith("bundled"):
        kind = "bundled"
    elif source:
        kind = "file"
    else:
        kind = "memory"
    found = {"kind": kind, "source": None if source is None else str(source)}
    if attrs.get("exchange"):
        found["exchange"] = str(attrs["exchange"])
    return found


def candle_provenance(
    frames: Mapping[str, Any], known: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Fingerprint (SHA-256 over each symbol's candles), sources, timeframe and range of
    ``{symbol: candles}``.

    The fingerprint of one symbol is :func:`vzb.engine.candles_fingerprint` of its
    candles, as a ``BacktestResult`` records it; several symbols hash theirs in order.
    ``known``: fingerprints computed already, by symbol.
    """
    from vzb.engine.backtesting import candles_fingerprint

    known = known or {}
    prints = {s: known.get(s) or candles_fingerprint(frame) for s, frame in frames.items()}
    if len(prints) == 1:
        fingerprint = next(iter(prints.values()))
    else:
        joined = "".join(f"{s}:{p}" for s, p in prints.items())
        fingerprint = hashlib.sha256(joined.encode()).hexdigest()
    starts = [frame.index[0] for frame in frames.values() if len(frame)]
    ends = [frame.index[-1] for frame in frames.values() if len(frame)]
    timeframes = {frame.attrs.get("timeframe") for frame in frames.values()} - {None}
    return {
        "fingerprint": fingerprint,
        "sources": {s: {**_source(f.attrs), "fingerprint": prints[s]} for s, f in frames.items()},
        "timeframe": timeframes.pop() if len(timeframes) == 1 else None,
        "start_time": min(starts).isoformat() if starts else None,
        "end_time": max(ends).isoformat() if ends else None,
    }

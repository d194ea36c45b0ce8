"""Opening candle files: local paths, ``file://`` paths and fsspec URLs, read as bytes.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "candles.csv"
>>> _ = path.write_text("timestamp,open")
>>> with open_binary(path) as handle:
...     handle.read()
b'timestamp,open'
>>> is_url("s3://bucket/BTC_KRW_1h.csv"), is_url("file:///tmp/a.csv")
(True, False)
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import IO

__all__ = ["is_url", "open_binary"]


def is_url(source: str) -> bool:
    """True for a URL with a protocol other than ``file://`` (one fsspec must open)."""
    has_protocol = bool(re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", source))
    return has_protocol and not source.startswith("file://")


def open_binary(source: str | os.PathLike[str]) -> IO[bytes]:
    """Open a local path, a ``file://`` path or an fsspec URL for reading bytes.

    Raises
    ------
    FileNotFoundError
        When a local path does not exist (the message names it).
    ImportError
        For a URL when fsspec is not installed (the message says what to install).
    """
    text = os.fspath(source)
    if is_url(text):
        try:
            import fsspec
        except ImportError:
            raise ImportError(
                f"Reading {text!r} needs fsspec for URLs: pip install fsspec "
                f"(plus the filesystem package, e.g. s3fs or gcsfs)."
            ) from None
        return fsspec.open(text, "rb").open()
    if text.startswith("file://"):
        text = text[len("file://") :]
    path = Path(text).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"No candle file at {str(path)!r}. Check the path.")
    return path.open("rb")

"""Where vzb keeps its state: the task store and the ledger of trials.

>>> import os
>>> home_dir("/tmp/x"), home_dir() == (os.environ.get("VZB_HOME") or ".vzb")
('/tmp/x', True)
"""

from __future__ import annotations

import os

__all__ = ["DEFAULT_HOME", "home_dir"]

#: the state directory when none is given and ``$VZB_HOME`` is unset
DEFAULT_HOME = ".vzb"


def home_dir(home: str | os.PathLike | None = None) -> str:
    """``home``, else ``$VZB_HOME``, else ``./.vzb``."""
    return os.fspath(home) if home is not None else os.environ.get("VZB_HOME") or DEFAULT_HOME

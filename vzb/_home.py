"""Where vzb keeps its state: the task store and the ledger of trials.

>>> import os
>>> home_dir("/tmp/x"), home_dir() == (os.environ.get("VZB_HOME") or ".vzb")
('/tmp/x', True)
>>> move_paths({"path": "/old/results/a", "rows": 3, "of": ["/older/b"]}, "/old", "/new")
{'path': '/new/results/a', 'rows': 3, 'of': ['/older/b']}
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["DEFAULT_HOME", "home_dir", "move_paths"]

#: the state directory when none is given and ``$VZB_HOME`` is unset
DEFAULT_HOME = ".vzb"


def home_dir(home: str | os.PathLike | None = None) -> str:
    """``home``, else ``$VZB_HOME``, else ``./.vzb``."""
    return os.fspath(home) if home is not None else os.environ.get("VZB_HOME") or DEFAULT_HOME


def move_paths(value: Any, old: str, new: str) -> Any:
    """``value`` (plain data) with every path inside the folder ``old`` moved to the
    same place inside ``new``: how a store's records follow it to another folder."""
    if isinstance(value, str):
        prefix = old.rstrip(os.sep) + os.sep
        return os.path.join(new, value[len(prefix) :]) if value.startswith(prefix) else value
    if isinstance(value, dict):
        return {key: move_paths(item, old, new) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(move_paths(item, old, new) for item in value)
    return value

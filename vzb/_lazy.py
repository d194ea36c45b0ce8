"""Names a package loads on first use, so that importing it stays cheap.

>>> import types
>>> namespace = {}
>>> getattr_ = lazy_names("vzb", {"normalize_symbol": "data.symbols"}, namespace)
>>> getattr_("normalize_symbol")("btc/krw"), "normalize_symbol" in namespace
('BTC_KRW', True)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(package: str, api: Mapping[str, str], namespace: dict) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``name`` comes from the submodule
    ``package + "." + api[name]`` the first time it is asked for, then stays in
    ``namespace`` (the package's ``globals()``). Any other name is an AttributeError."""

    def __getattr__(name: str) -> Any:
        try:
            module = api[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    return __getattr__

"""Strategy registry: strategy names -> import paths ``"module:attribute"``.

The registry stores plain strings, so a worker process can import any registered
strategy by itself. Pass the import path (``Strategy.ref``) wherever a strategy name is
accepted to reach a user strategy from a process that never called
:func:`register_strategy`. The built-ins are registered exactly as a user strategy is.

>>> strategy = get_strategy(DEFAULT_STRATEGY)
>>> strategy.validate({"num_bins": 10})["num_bins"]
10
>>> strategy.validate({"num_bin": 10})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
vzb.errors.ParameterError: Unknown parameter 'num_bin' ... Did you mean 'num_bins'? ...
"""

from __future__ import annotations

import difflib

from vzb.errors import ParameterError
from vzb.strategies.contract import Strategy, import_path

__all__ = [
    "BUILTINS",
    "DEFAULT_STRATEGY",
    "get_strategy",
    "list_strategies",
    "register_strategy",
    "strategy_ref",
    "unregister_strategy",
]

#: the built-in strategies: name -> import path
BUILTINS = {
    "volume_zone_breakout": "vzb.strategies.volume_zone_breakout:STRATEGY",
    "volume_long_candle": "vzb.strategies.volume_long_candle:STRATEGY",
}
#: the strategy used when none is named
DEFAULT_STRATEGY = "volume_zone_breakout"

# name -> "module:attribute" of a Strategy object. Plain strings only.
_REGISTRY: dict[str, str] = dict(BUILTINS)


def list_strategies() -> list[str]:
    """Names of the registered strategies, built-ins first.

    >>> list_strategies()[: len(BUILTINS)] == list(BUILTINS)
    True
    """
    return list(_REGISTRY)


def get_strategy(name: str | Strategy) -> Strategy:
    """The strategy registered under ``name``, or at import path ``"module:attribute"``.

    Raises
    ------
    ParameterError
        For an unknown name, listing the known ones and the closest match.

    Examples
    --------
    >>> get_strategy(DEFAULT_STRATEGY).defaults["volume_window"]
    10
    >>> get_strategy(DEFAULT_STRATEGY[:-1])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vzb.errors.ParameterError: Unknown strategy ... Did you mean ...? Registered: ...
    """
    if isinstance(name, Strategy):
        return name
    if not isinstance(name, str):
        raise ParameterError(f"strategy must be a name or Strategy, not {type(name).__name__}")
    path = _REGISTRY.get(name)
    if path is None and ":" in name:
        path = name
    if path is None:
        close = difflib.get_close_matches(name, list(_REGISTRY), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ParameterError(f"Unknown strategy {name!r}.{hint} Registered: {', '.join(_REGISTRY)}")
    strategy = import_path(path)
    if not isinstance(strategy, Strategy):
        raise ParameterError(f"{path!r} is a {type(strategy).__name__}, not a vzb Strategy")
    if strategy.ref != path:
        object.__setattr__(strategy, "ref", path)
    return strategy


def strategy_ref(strategy: Strategy) -> str:
    """How records and other processes name ``strategy``: its registry name for a
    built-in, else its import path (which any process can import).

    >>> strategy_ref(get_strategy(DEFAULT_STRATEGY)) == DEFAULT_STRATEGY
    True
    """
    if BUILTINS.get(strategy.name) == strategy.ref:
        return strategy.name
    return strategy.ref or strategy.name


def register_strategy(path: str, *, name: str | None = None, replace: bool = False) -> Strategy:
    """Register a user strategy by its import path ``"module:attribute"``.

    The attribute must be a :class:`~vzb.strategies.Strategy` defined at module level in
    an importable module (not in a notebook's ``__main__``), so worker processes can
    import it. The registry stores only the path string.

    Parameters
    ----------
    path : str
        ``"package.module:STRATEGY"``.
    name : str, optional
        Registry name; defaults to the strategy's own ``name``.
    replace : bool
        Allow replacing an existing registration (built-ins can never be replaced).

    Returns
    -------
    Strategy

    Examples
    --------
    >>> s = register_strategy(BUILTINS[DEFAULT_STRATEGY], name="my_copy")
    >>> "my_copy" in list_strategies()
    True
    >>> _ = unregister_strategy("my_copy")
    """
    if not isinstance(path, str) or ":" not in path:
        raise ParameterError(
            f"register_strategy needs an import path 'package.module:STRATEGY', got {path!r}; "
            "define the Strategy in an importable module so worker processes can load it"
        )
    if path.startswith("__main__:"):
        raise ParameterError(
            f"{path!r} lives in __main__, which worker processes cannot import; "
            "move the Strategy into a module file"
        )
    strategy = import_path(path)
    if not isinstance(strategy, Strategy):
        raise ParameterError(f"{path!r} is a {type(strategy).__name__}, not a vzb Strategy")
    key = name or strategy.name
    if key in BUILTINS:
        raise ParameterError(f"{key!r} is a built-in strategy; register under another name")
    if key in _REGISTRY and _REGISTRY[key] != path and not replace:
        raise ParameterError(
            f"Strategy {key!r} is already registered as {_REGISTRY[key]!r}; pass replace=True"
        )
    _REGISTRY[key] = path
    object.__setattr__(strategy, "ref", path)
    return strategy


def unregister_strategy(name: str) -> str:
    """Remove a user strategy from the registry; returns its import path."""
    if name in BUILTINS:
        raise ParameterError(f"{name!r} is a built-in strategy and cannot be removed")
    try:
        return _REGISTRY.pop(name)
    except KeyError:
        raise ParameterError(f"Unknown strategy {name!r}") from None

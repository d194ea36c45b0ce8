"""Strategy registry: named strategies with typed, bounded parameters.

A :class:`Strategy` turns candle arrays into a boolean entry array. Each one declares its
parameters (:class:`Parameter`: type, default, bounds), so a bad value fails early with a
message naming the parameter, the value and the allowed range.

The registry maps a strategy name to an import path ``"module:attribute"`` (a plain
string), so a worker process can import any registered strategy by itself. Pass that
import path (``Strategy.ref``) wherever a strategy name is accepted to reach a user
strategy from a process that never called :func:`register_strategy`.

>>> strategy = get_strategy("volume_zone_breakout")
>>> strategy.validate({"num_bins": 10})["num_bins"]
10
>>> get_strategy("volume_zone_breakout").validate({"num_bin": 10})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
vzb.errors.ParameterError: Unknown parameter 'num_bin' ... Did you mean 'num_bins'? ...
"""

from __future__ import annotations

import difflib
import importlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vzb.errors import ParameterError

__all__ = [
    "Parameter",
    "Strategy",
    "get_strategy",
    "list_strategies",
    "register_strategy",
    "run_chunked",
    "unregister_strategy",
]


def run_chunked(
    chunked: Callable[..., None], open, high, low, close, volume, params: Mapping[str, Any]
) -> np.ndarray:
    """Signals of every bar from a chunked kernel in one call, on float64 arrays.

    The plain-array ``compute`` of a strategy whose work is a chunked kernel
    (``chunked(open, high, low, close, volume, params, start, stop, signals_out)``).
    """
    arrays = [np.ascontiguousarray(a, dtype=np.float64) for a in (open, high, low, close, volume)]
    out = np.zeros(len(arrays[3]), dtype=np.bool_)
    chunked(*arrays, params, 0, len(out), out)
    return out


# name -> "module:attribute" of a Strategy object. Plain strings only.
_REGISTRY: dict[str, str] = {
    "volume_zone_breakout": "vzb.strategies.volume_zone_breakout:STRATEGY",
    "volume_long_candle": "vzb.strategies.volume_long_candle:STRATEGY",
}


@dataclass(frozen=True)
class Parameter:
    """A strategy parameter: its type, default and allowed range.

    Parameters
    ----------
    name : str
        Parameter name, as passed to ``signals(..., name=value)``.
    default : int, float or bool
        Value used when the parameter is not given.
    kind : type
        ``int``, ``float`` or ``bool``. Integers are accepted for floats; floats with an
        integral value are accepted for ints; anything else is a ``ParameterError``.
    low, high : float, optional
        Allowed range; ``None`` means unbounded on that side.
    low_inclusive, high_inclusive : bool
        Whether the range includes ``low`` / ``high``.
    doc : str
        One line on what the parameter does.

    Examples
    --------
    >>> p = Parameter("num_bins", 20, int, low=1, high=1000)
    >>> p.validate(10)
    10
    >>> p.validate(0)
    Traceback (most recent call last):
    ...
    vzb.errors.ParameterError: num_bins=0 is out of range: allowed 1 <= num_bins <= 1000
    """

    name: str
    default: Any
    kind: type = float
    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True
    doc: str = ""

    @property
    def allowed(self) -> str:
        """The allowed range written out, e.g. ``'0 < top_percentile <= 1'``."""
        if self.kind is bool:
            return f"{self.name} is True or False"
        left = "" if self.low is None else f"{self.low} {'<=' if self.low_inclusive else '<'} "
        right = "" if self.high is None else f" {'<=' if self.high_inclusive else '<'} {self.high}"
        if not left and not right:
            return f"any {self.kind.__name__}"
        return f"{left}{self.name}{right}"

    def validate(self, value: Any) -> Any:
        """Return ``value`` converted to the parameter's type, or raise ``ParameterError``."""
        name = self.name
        if self.kind is bool:
            if isinstance(value, bool | np.bool_):
                return bool(value)
            raise ParameterError(f"{name}={value!r} must be True or False")
        if isinstance(value, bool | np.bool_) or not isinstance(
            value, int | float | np.integer | np.floating
        ):
            raise ParameterError(
                f"{name}={value!r} must be a number ({self.kind.__name__}); allowed {self.allowed}"
            )
        if self.kind is int:
            if isinstance(value, float | np.floating) and not float(value).is_integer():
                raise ParameterError(
                    f"{name}={value!r} must be a whole number; allowed {self.allowed}"
                )
            value = int(value)
        else:
            value = float(value)
            if math.isnan(value):
                raise ParameterError(f"{name}=nan is not a number; allowed {self.allowed}")
        too_low = self.low is not None and (
            value < self.low or (not self.low_inclusive and value == self.low)
        )
        too_high = self.high is not None and (
            value > self.high or (not self.high_inclusive and value == self.high)
        )
        if too_low or too_high:
            raise ParameterError(f"{name}={value!r} is out of range: allowed {self.allowed}")
        return value


@dataclass(frozen=True)
class Strategy:
    """A named entry-signal rule with declared parameters.

    Parameters
    ----------
    name : str
        Registry name.
    parameters : sequence of Parameter
        Declared parameters, in display order. Include ``hold_period_bars`` (an int >= 1)
        to let the engine know how long to hold; without it the engine holds one bar.
    compute : callable or str
        ``compute(open, high, low, close, volume, **params) -> bool ndarray`` on float64
        numpy arrays, or its import path ``"module:function"``.
    description : str
        One paragraph shown in listings.
    chunked : callable, optional
        ``chunked(open, high, low, close, volume, params, start, stop, signals_out)`` fills
        ``signals_out[start:stop]``; lets long runs stop between chunks. Built-ins have one.
    ref : str
        Import path of this object (``"module:attribute"``), set by the registry.

    Examples
    --------
    >>> import numpy as np
    >>> def up_close(open, high, low, close, volume, hold_period_bars=1):
    ...     return close > open
    >>> s = Strategy("up_close", [Parameter("hold_period_bars", 1, int, low=1)], up_close)
    >>> s.validate(None)
    {'hold_period_bars': 1}
    """

    name: str
    parameters_list: tuple[Parameter, ...] | list[Parameter]
    compute: Callable[..., np.ndarray] | str
    description: str = ""
    chunked: Callable[..., None] | None = None
    ref: str = ""
    _by_name: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters_list", tuple(self.parameters_list))
        self._by_name.update({p.name: p for p in self.parameters_list})

    @property
    def parameters(self) -> dict[str, Parameter]:
        """Parameter name -> :class:`Parameter`, in declaration order."""
        return dict(self._by_name)

    @property
    def defaults(self) -> dict[str, Any]:
        """Parameter name -> default value."""
        return {p.name: p.default for p in self.parameters_list}

    def validate(self, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Return the full parameter dict (defaults filled in), converted and checked.

        Raises
        ------
        ParameterError
            For an unknown name (with a "did you mean" suggestion) or a value of the wrong
            type or out of range (naming the parameter, the value and the allowed range).
        """
        params = dict(params or {})
        known = list(self._by_name)
        for key in params:
            if key not in self._by_name:
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise ParameterError(
                    f"Unknown parameter {key!r} for strategy {self.name!r}.{hint} "
                    f"Known parameters: {', '.join(known)}"
                )
        out = {}
        for p in self.parameters_list:
            out[p.name] = p.validate(params[p.name]) if p.name in params else p.default
        return out

    def compute_signals(
        self,
        open: np.ndarray,
        high: np.ndarray,
        low: np.ndarray,
        close: np.ndarray,
        volume: np.ndarray,
        params: Mapping[str, Any],
        *,
        checkpoint: Callable[[float], None] | None = None,
        chunk_size: int = 100_000,
    ) -> np.ndarray:
        """Signals for validated ``params`` on numpy arrays, in chunks when possible.

        ``checkpoint(fraction_done)`` is called after each chunk; an exception it raises
        stops the computation and propagates.
        """
        n = len(close)
        if self.chunked is not None:
            out = np.zeros(n, dtype=np.bool_)
            start = 0
            while start < n:
                stop = min(n, start + chunk_size)
                self.chunked(open, high, low, close, volume, params, start, stop, out)
                start = stop
                if checkpoint is not None and start < n:
                    checkpoint(start / n)
            return out
        compute = self.compute
        if isinstance(compute, str):
            compute = _import_path(compute)
        out = np.asarray(compute(open, high, low, close, volume, **params))
        if out.shape != (n,):
            raise ParameterError(
                f"Strategy {self.name!r} returned signals of shape {out.shape}; expected ({n},)"
            )
        return out.astype(np.bool_, copy=False)


def _import_path(path: str) -> Any:
    module_name, _, attr = path.partition(":")
    if not module_name or not attr:
        raise ParameterError(f"Import path {path!r} must look like 'package.module:attribute'")
    try:
        obj = importlib.import_module(module_name)
    except ImportError as exc:
        raise ParameterError(f"Cannot import module {module_name!r} of {path!r}: {exc}") from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ParameterError(f"Module {module_name!r} has no attribute {attr!r}") from None
    return obj


def list_strategies() -> list[str]:
    """Names of the registered strategies.

    >>> list_strategies()[:2]
    ['volume_zone_breakout', 'volume_long_candle']
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
    >>> get_strategy("volume_long_candle").defaults["vol_ma_window"]
    20
    >>> get_strategy("volume_zone_breakot")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vzb.errors.ParameterError: Unknown strategy ... Did you mean 'volume_zone_breakout'? ...
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
    strategy = _import_path(path)
    if not isinstance(strategy, Strategy):
        raise ParameterError(f"{path!r} is a {type(strategy).__name__}, not a vzb Strategy")
    if strategy.ref != path:
        object.__setattr__(strategy, "ref", path)
    return strategy


def register_strategy(
    path: str,
    *,
    name: str | None = None,
    replace: bool = False,
) -> Strategy:
    """Register a user strategy by its import path ``"module:attribute"``.

    The attribute must be a :class:`Strategy` defined at module level in an importable
    module (not in a notebook's ``__main__``), so worker processes can import it. The
    registry stores only the path string. In a process that did not register it, pass the
    path itself (``Strategy.ref``) as the strategy name.

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
    >>> s = register_strategy("vzb.strategies.volume_long_candle:STRATEGY", name="vlc_copy")
    >>> "vlc_copy" in list_strategies()
    True
    >>> _ = unregister_strategy("vlc_copy")
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
    strategy = _import_path(path)
    if not isinstance(strategy, Strategy):
        raise ParameterError(f"{path!r} is a {type(strategy).__name__}, not a vzb Strategy")
    key = name or strategy.name
    if key in ("volume_zone_breakout", "volume_long_candle"):
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
    if name in ("volume_zone_breakout", "volume_long_candle"):
        raise ParameterError(f"{name!r} is a built-in strategy and cannot be removed")
    try:
        return _REGISTRY.pop(name)
    except KeyError:
        raise ParameterError(f"Unknown strategy {name!r}") from None

"""The strategy contract: what every strategy, built-in or yours, gives the engine.

A :class:`Strategy` has typed parameters and a signals kernel that turns candle arrays
into a boolean entry array, in chunks so that a long run can be cancelled between them.
It may also name **indicators** its kernel fills for plots (the breakout's resistance)
and offer a :class:`SweepPlan`: how parameter sets that share work are evaluated
together. The engine, sweeps, jobs and widgets use only this contract, so a strategy
registered by import path gets exactly what a built-in gets.

Importing this module (and checking parameters) loads neither numpy nor numba: the
kernels are imported when signals are first computed.

>>> def up_close(open, high, low, close, volume, hold_period_bars=1):
...     return close > open
>>> s = Strategy("up_close", [Parameter("hold_period_bars", 1, int, low=1)], up_close)
>>> s.validate(None)
{'hold_period_bars': 1}
>>> s.signal_key({"hold_period_bars": 3})
()
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from vzb.errors import ParameterError
from vzb.strategies.parameters import Parameter

__all__ = ["HOLD_PARAMETER", "Kernel", "Strategy", "SweepPlan", "import_path"]

#: the parameter the engine reads for how long to hold; it never changes signals
HOLD_PARAMETER = "hold_period_bars"

#: ``kernel(open, high, low, close, volume, params, start, stop, signals_out,
#: indicators_out)`` fills ``signals_out[start:stop]`` and, when ``indicators_out`` (a
#: tuple of float arrays, one per declared indicator) is not empty, those too
Kernel = Callable[..., None]

#: kernel chunks aim at this much work (bar cost x bars): about 20 ms
CHUNK_WORK = 40_000_000
MAX_CHUNK_BARS = 200_000
MIN_CHUNK_BARS = 1_000


@dataclass(frozen=True)
class SweepPlan:
    """How a strategy's parameter sets that share work are evaluated together.

    Sets with equal values of the ``shared`` parameters form a group. For each group the
    engine calls ``prepare(arrays, group)`` once (``group``: the group's parameter sets)
    to allocate the shared state, ``fill(arrays, state, start, stop)`` over chunks of
    bars (a cancel can stop between chunks), then ``signals(arrays, state, sets, out)``
    to write one row of ``out`` (a bool array ``(len(sets), n)``) per distinct set of
    signal parameters. Without a plan every distinct set is computed on its own.

    Parameters
    ----------
    shared : tuple of str
        Parameters whose equal values let sets share ``prepare`` and ``fill``.
    prepare, fill, signals : callable
        As above; ``arrays`` is ``(open, high, low, close, volume)``.
    """

    shared: tuple[str, ...]
    prepare: Callable[[tuple, list[dict]], Any]
    fill: Callable[[tuple, Any, int, int], None]
    signals: Callable[[tuple, Any, list[dict], Any], None]


@dataclass(frozen=True)
class Strategy:
    """A named entry-signal rule with declared parameters.

    Parameters
    ----------
    name : str
        Registry name.
    parameters_list : sequence of Parameter
        Declared parameters, in display order. Include ``hold_period_bars`` (an int >= 1)
        to tell the engine how long to hold; without it the engine holds one bar.
    compute : callable or str, optional
        ``compute(open, high, low, close, volume, **params) -> bool ndarray`` on float64
        arrays, or its import path ``"module:function"``. The simple form: one call for
        all bars. Give ``compute`` or ``kernel`` (or both).
    description : str
        One paragraph shown in listings.
    kernel : callable, optional
        The chunked form (see :data:`Kernel`): lets a long run stop between chunks and
        fill ``indicators``.
    indicators : tuple of str
        Names of the series ``kernel`` fills for plots (e.g. ``("resistance",)``).
    sweep_plan : SweepPlan, optional
        How sets that share work are swept together.
    bar_cost : callable, optional
        ``bar_cost(params) -> float``: relative work per bar (1 by default). Sets the
        kernel chunk size (about 20 ms a chunk) and balances sweep units.
    ref : str
        Import path of this object (``"module:attribute"``), set by the registry.
    """

    name: str
    parameters_list: Sequence[Parameter]
    compute: Callable[..., Any] | str | None = None
    description: str = ""
    kernel: Kernel | None = None
    indicators: tuple[str, ...] = ()
    sweep_plan: SweepPlan | None = None
    bar_cost: Callable[[Mapping[str, Any]], float] | None = None
    ref: str = ""
    _by_name: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters_list", tuple(self.parameters_list))
        object.__setattr__(self, "indicators", tuple(self.indicators))
        self._by_name.update({p.name: p for p in self.parameters_list})
        if self.compute is None and self.kernel is None:
            raise ParameterError(f"Strategy {self.name!r} needs a compute function or a kernel")
        if self.indicators and self.kernel is None:
            raise ParameterError(
                f"Strategy {self.name!r} declares indicators {self.indicators} but no kernel "
                "to fill them; give kernel= or drop indicators="
            )

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
        return {
            p.name: p.validate(params[p.name]) if p.name in params else p.default
            for p in self.parameters_list
        }

    def hold(self, params: Mapping[str, Any]) -> int:
        """Bars to hold a position: ``params["hold_period_bars"]``, or 1."""
        return int(params.get(HOLD_PARAMETER, 1))

    def signal_key(self, params: Mapping[str, Any]) -> tuple:
        """The values that determine the signals (every parameter but the hold)."""
        return tuple(params[p] for p in self._by_name if p != HOLD_PARAMETER and p in params)

    def share_key(self, params: Mapping[str, Any]) -> tuple:
        """Sets with equal keys share sweep work: the plan's ``shared`` values, or the
        whole :meth:`signal_key` without a plan."""
        if self.sweep_plan is None:
            return self.signal_key(params)
        return tuple(params.get(name) for name in self.sweep_plan.shared)

    def cost(self, params: Mapping[str, Any]) -> float:
        """Relative work per bar of one set (see ``bar_cost``)."""
        return 1.0 if self.bar_cost is None else max(float(self.bar_cost(params)), 1.0)

    def chunk_size(self, params: Mapping[str, Any], n: int | None = None) -> int:
        """Bars per kernel chunk, about 20 ms of work; with ``n`` the chunks are even.

        >>> s = Strategy("s", [], kernel=print, bar_cost=lambda p: 210)
        >>> s.chunk_size({}), s.chunk_size({}, n=1_000_000)
        (190476, 166667)
        """
        size = int(min(MAX_CHUNK_BARS, max(MIN_CHUNK_BARS, CHUNK_WORK // self.cost(params))))
        if n is not None and n > size:
            chunks = -(-n // size)
            size = -(-n // chunks)
        return size

    def run(
        self,
        arrays: Sequence[Any],
        params: Mapping[str, Any],
        *,
        indicators: bool = False,
        checkpoint: Callable[[float], None] | None = None,
    ) -> tuple[Any, dict[str, Any]]:
        """Signals (and, with ``indicators``, the indicator arrays) for validated params.

        ``arrays`` are ``(open, high, low, close, volume)`` float64 arrays; the kernel runs
        in chunks of :meth:`chunk_size` bars and ``checkpoint(fraction_done)`` is called
        between them (an exception it raises stops the run and propagates).

        Returns ``(signals, {indicator name: float array})``.
        """
        import numpy as np

        n = len(arrays[3])
        if self.kernel is None:
            return self._compute(arrays, params), {}
        names = self.indicators if indicators else ()
        values = {name: np.full(n, np.nan) for name in names}
        out = np.zeros(n, dtype=np.bool_)
        size = self.chunk_size(params, n)
        for start in range(0, n, size):
            stop = min(n, start + size)
            self.kernel(*arrays, params, start, stop, out, tuple(values.values()))
            if checkpoint is not None and stop < n:
                checkpoint(stop / n)
        return out, values

    def _compute(self, arrays: Sequence[Any], params: Mapping[str, Any]):
        import numpy as np

        compute = self.compute
        if isinstance(compute, str):
            compute = import_path(compute)
        n = len(arrays[3])
        out = np.asarray(compute(*arrays, **params))
        if out.shape != (n,):
            raise ParameterError(
                f"Strategy {self.name!r} returned signals of shape {out.shape}; expected ({n},)"
            )
        return out.astype(np.bool_, copy=False)


def import_path(path: str) -> Any:
    """The object at ``"package.module:attribute"``; ParameterError saying what failed.

    >>> import_path("vzb.strategies.contract:HOLD_PARAMETER")
    'hold_period_bars'
    """
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

"""Hooks an upper layer sets for a lower one: how results are drawn.

The engine calls ``result_plotter(result, **kwargs)`` from ``BacktestResult.plot``; the
top package (``vzb/__init__.py``) sets it to the widgets layer's chart, imported only when
a result is first drawn. So no lower layer ever imports a higher one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: ``result_plotter(result, **kwargs) -> figure``
result_plotter: Callable[..., Any] | None = None

"""Exceptions raised by vzb.

Every error names the argument, row or task it is about and says how to fix it.

>>> from vzb.errors import CandleError
>>> issubclass(CandleError, ValueError)
True
"""

from __future__ import annotations

__all__ = [
    "CandleError",
    "ParameterError",
    "TaskNotFound",
    "TaskStateError",
    "UnknownSymbolError",
    "VzbError",
]


class VzbError(Exception):
    """Base class of every vzb error, so ``except VzbError`` catches them all."""


class CandleError(VzbError, ValueError):
    """Candles that cannot be used: missing columns, NaN, impossible prices, duplicates."""


class UnknownSymbolError(VzbError, LookupError):
    """A symbol/timeframe the catalog does not hold, or a date range with no candles."""


class ParameterError(VzbError, ValueError):
    """A strategy or engine parameter that is unknown or out of its allowed range."""


class TaskNotFound(VzbError, LookupError):
    """No task with this id in the store."""

    def __init__(self, task_id: str):
        super().__init__(f"Task not found: {task_id}")
        self.task_id = task_id

    def __str__(self) -> str:  # LookupError would repr the message with quotes
        return str(self.args[0])


class TaskStateError(VzbError, ValueError):
    """A task operation that its current state does not allow (cancelling a finished task)."""

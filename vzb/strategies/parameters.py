"""Typed, bounded strategy parameters: a bad value fails early with a clear message.

>>> p = Parameter("num_bins", 20, int, low=1, high=1000)
>>> p.validate(10.0)
10
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

from vzb.errors import ParameterError

__all__ = ["Parameter"]


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
            if _is_bool(value):
                return bool(value)
            raise ParameterError(f"{name}={value!r} must be True or False")
        plain = type(value) in _PLAIN_NUMBERS  # the common case, without ABC checks
        if not plain and (_is_bool(value) or not isinstance(value, numbers.Real)):
            raise ParameterError(
                f"{name}={value!r} must be a number ({self.kind.__name__}); allowed {self.allowed}"
            )
        if self.kind is int:
            whole = type(value) is int or isinstance(value, numbers.Integral)
            if not whole and not float(value).is_integer():
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


_PLAIN_NUMBERS = (int, float)


def _is_bool(value: Any) -> bool:
    """True for ``bool`` and ``numpy.bool_`` (checked without importing numpy)."""
    kind = type(value)
    return kind is bool or (kind.__module__ == "numpy" and kind.__name__ in ("bool_", "bool"))

"""Symbols are written ``BASE_QUOTE`` (``BTC_KRW``), whatever the exchange's spelling.

>>> from vzb.data.symbols import normalize_symbol
>>> [normalize_symbol(s) for s in ("BTC_KRW", "btc/krw", "KRW-BTC")]
['BTC_KRW', 'BTC_KRW', 'BTC_KRW']
"""

from __future__ import annotations

from vzb.errors import ParameterError

__all__ = ["normalize_symbol"]


def normalize_symbol(symbol: str) -> str:
    """``BASE_QUOTE`` in capitals from Bithumb's ``BTC_KRW``, ccxt's ``BTC/KRW`` or Upbit's
    ``KRW-BTC`` (quote first).

    Raises
    ------
    ParameterError
        ``symbol`` is not a non-empty string.
    """
    if not isinstance(symbol, str) or not symbol.strip():
        raise ParameterError(f"symbol={symbol!r} must be a non-empty string such as 'BTC_USD'.")
    symbol = symbol.strip().upper()
    if "-" in symbol and "_" not in symbol and "/" not in symbol:
        quote, _, base = symbol.partition("-")  # Upbit: market "KRW-BTC"
        return f"{base}_{quote}" if base else quote
    return symbol.replace("/", "_")

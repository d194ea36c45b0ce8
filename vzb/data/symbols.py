"""Symbols are written ``BASE_QUOTE`` (``BTC_KRW``), whatever the exchange's spelling.

Bithumb writes ``BTC_KRW``, ccxt ``BTC/KRW``; dashed symbols come in both orders: Upbit's
``KRW-BTC`` puts the quote first, Coinbase's ``BTC-USD`` the base. A dashed symbol is
read quote first when its first part is a fiat currency or stablecoin, else base first;
:func:`symbol_candidates` gives both readings so that the catalog can take the one it
holds.

>>> [normalize_symbol(s) for s in ("BTC_KRW", "btc/krw", "KRW-BTC", "BTC-USD")]
['BTC_KRW', 'BTC_KRW', 'BTC_KRW', 'BTC_USD']
>>> symbol_candidates("BTC-ETH")
('BTC_ETH', 'ETH_BTC')
"""

from __future__ import annotations

import re

from vzb.errors import ParameterError

__all__ = ["FIAT_QUOTES", "normalize_symbol", "symbol_base", "symbol_candidates", "symbol_key"]

#: quote currencies that never trade as a base against another of these on the exchanges
#: vzb reads: a dashed symbol starting with one of them is quote first (``KRW-BTC``)
FIAT_QUOTES = frozenset({"KRW", "USD", "USDT", "USDC", "BUSD", "EUR", "GBP", "JPY"})


def _text(symbol: object) -> str:
    if not isinstance(symbol, str) or not symbol.strip():
        raise ParameterError(f"symbol={symbol!r} must be a non-empty string such as 'BTC_USD'.")
    return symbol.strip().upper()


def symbol_candidates(symbol: str, *, quote_first: bool | None = None) -> tuple[str, ...]:
    """The ``BASE_QUOTE`` spellings ``symbol`` may mean, likeliest first.

    Parameters
    ----------
    symbol : str
        ``BTC_KRW``, ``BTC/KRW``, ``KRW-BTC`` or ``BTC-USD`` (any case).
    quote_first : bool, optional
        For a dashed symbol: ``True`` reads it as Upbit does (``KRW-BTC``), ``False`` as
        Coinbase does (``BTC-USD``); by default both readings are returned, quote first
        when the first part is in :data:`FIAT_QUOTES`.

    Returns
    -------
    tuple of str
        One spelling, or two for a dashed symbol read both ways.

    Raises
    ------
    ParameterError
        For an empty symbol, or a dashed one with an empty side.

    Examples
    --------
    >>> symbol_candidates("krw-btc"), symbol_candidates("BTC-USD")
    (('BTC_KRW', 'KRW_BTC'), ('BTC_USD', 'USD_BTC'))
    >>> symbol_candidates("BTC-ETH", quote_first=True)
    ('ETH_BTC',)
    """
    text = _text(symbol)
    if "-" not in text or "_" in text or "/" in text:
        return (text.replace("/", "_"),)
    first, _, second = text.partition("-")
    if not first or not second or "-" in second:
        raise ParameterError(
            f"symbol={symbol!r} is not BASE-QUOTE or QUOTE-BASE; write it as BASE_QUOTE "
            f"such as 'BTC_USD'."
        )
    base_first, quote_first_reading = f"{first}_{second}", f"{second}_{first}"
    if quote_first is not None:
        return (quote_first_reading if quote_first else base_first,)
    if first in FIAT_QUOTES and second not in FIAT_QUOTES:
        return quote_first_reading, base_first
    return base_first, quote_first_reading


def normalize_symbol(symbol: str, *, quote_first: bool | None = None) -> str:
    """``BASE_QUOTE`` in capitals: the likeliest reading of ``symbol``
    (see :func:`symbol_candidates`).

    >>> normalize_symbol("KRW-BTC"), normalize_symbol("BTC-ETH", quote_first=True)
    ('BTC_KRW', 'ETH_BTC')
    """
    return symbol_candidates(symbol, quote_first=quote_first)[0]


def symbol_key(symbol: str) -> str:
    """A symbol reduced for matching: upper case, separators removed (``btc/usd`` -> ``BTCUSD``).

    >>> symbol_key("btc_usd"), symbol_key("BTC/USD"), symbol_key("BTC-USD")
    ('BTCUSD', 'BTCUSD', 'BTCUSD')
    """
    return re.sub(r"[^0-9A-Za-z]", "", str(symbol)).upper()


def symbol_base(symbol: str) -> str:
    """The first part of a symbol, in capitals (``btc_usd`` -> ``BTC``).

    >>> symbol_base("btc_usd"), symbol_base("ETH:close")
    ('BTC', 'ETH')
    """
    return re.split(r"[_/\-:]", str(symbol))[0].upper()

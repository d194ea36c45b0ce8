"""Interactive Plotly charts of a backtest: price, indicators, trades, equity, drawdown.

:func:`backtest_plotly` draws the price (candles or a close line, on a log axis when it
spans more than tenfold), the strategy's indicators, each position's entry and exit with
its details on hover, the equity and the drawdown on linked time axes with a range slider
under them; axes carry thousands separators and the currency. Long series are
downsampled for display (:mod:`vzb.widgets.downsample`: each bucket's extremes kept), and
with many trades plotly draws at most ``max_markers`` markers of the visible range
(``marker.maxdisplayed``): zoomed in, every trade shows. Numbers travel as binary arrays
and times as epoch milliseconds, so the figure stays small in the notebook file.

Figures are plain ``plotly.graph_objects.Figure`` objects, shown offline by JupyterLab's
bundled plotly renderer (never a CDN).

>>> import pandas as pd
>>> index = pd.date_range("2024-01-01", periods=5, freq="D", tz="UTC")
>>> figure = backtest_plotly(pd.Series([100.0, 110, 99, 120, 118], index=index))
>>> [trace.name for trace in figure.data]
['equity', 'drawdown']
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from vzb.widgets.downsample import downsample_candles, downsample_line

__all__ = ["TEMPLATE", "axis_money", "backtest_plotly", "epoch_ms", "position_markers"]

#: a small template (plotly's default one adds ~10 kB of JSON to every figure)
TEMPLATE = go.layout.Template(
    layout={
        "font": {"size": 12},
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
        "hoverlabel": {"align": "left"},
        "xaxis": {"gridcolor": "#ececec", "linecolor": "#888", "zeroline": False},
        "yaxis": {"gridcolor": "#ececec", "linecolor": "#888", "zeroline": False},
        "colorway": ["#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"],
    }
)

_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£", "KRW": "₩", "JPY": "¥"}
_ENTRY, _EXIT, _EQUITY, _DRAWDOWN = "#2ca02c", "#d62728", "#1f77b4", "#d62728"


def epoch_ms(index: pd.Index) -> np.ndarray:
    """Timestamps as float milliseconds since the epoch (UTC), what a plotly date axis
    reads: 8 bytes a point in the figure instead of a 25-character string.

    >>> epoch_ms(pd.DatetimeIndex(["1970-01-02"], tz="UTC")).tolist()
    [86400000.0]
    """
    stamps = pd.DatetimeIndex(index)
    if stamps.tz is not None:
        stamps = stamps.tz_convert("UTC").tz_localize(None)
    return stamps.as_unit("ms").asi8.astype(np.float64)


def axis_money(currency: str | None, largest: float) -> dict[str, Any]:
    """Axis settings for amounts: thousands separators, the currency's sign before the
    tick labels, decimals only for small amounts.

    >>> axis_money("USD", 25e6)["tickprefix"], axis_money(None, 0.5)["tickformat"]
    ('$ ', ',.4~g')
    """
    code = (currency or "").upper()
    prefix = f"{_SIGNS.get(code, code)} " if code else ""
    whole = code in ("KRW", "JPY") or largest >= 100
    return {
        "tickprefix": prefix,
        "tickformat": ",.0f" if whole else ",.4~g",
        "hoverformat": ",.0f" if code in ("KRW", "JPY") else ",.2f",
        "separatethousands": True,
    }


def _money_format(currency: str | None) -> tuple[str, str]:
    """(prefix, d3 format) of amounts in hover templates."""
    code = (currency or "").upper()
    prefix = f"{_SIGNS.get(code, code)} " if code else ""
    return prefix, ",.0f" if code in ("KRW", "JPY") else ",.2f"


def position_markers(
    positions: pd.DataFrame, currency: str | None = None, max_markers: int = 150
) -> list[go.Scatter]:
    """Entry and exit markers of ``positions`` with each position's details on hover.

    The entry's hover gives its time and fill, bars held, exit reason, return, net PnL
    and fees (when any were paid); the exit's its time, fill, reason and return. The
    numbers travel as a binary ``customdata`` array (float32: a few bytes a position)
    and are written by plotly's ``hovertemplate`` with thousands separators and the
    currency. With more than ``max_markers`` positions plotly draws at most that
    many markers of the visible range (``marker.maxdisplayed``).

    >>> import pandas as pd
    >>> t = pd.to_datetime(["2024-01-02", "2024-01-03"], utc=True)
    >>> entry, exit = position_markers(pd.DataFrame({"entry_time": t[:1],
    ...     "entry_price": [100.0], "exit_time": t[1:], "exit_price": [110.0],
    ...     "return": [0.1], "net_pnl": [10.0]}), "USD")
    >>> entry.customdata.tolist(), exit.customdata.tolist()
    ([[10.0, 10.0, nan]], [[10.0]])
    """
    prefix, money = _money_format(currency)

    def column(name: str, scale: float = 1.0) -> np.ndarray:
        if name not in positions:
            return np.full(len(positions), np.nan)
        return positions[name].to_numpy(dtype=float) * scale

    fees = np.nan_to_num(column("entry_fee")) + np.nan_to_num(column("exit_fee"))
    returns, pnl = column("return", 100.0), column("net_pnl")
    reasons = positions["exit_reason"].astype(str) if "exit_reason" in positions else None
    one_reason = reasons is not None and reasons.nunique() == 1
    reason = "" if reasons is None else (f" ({reasons.iloc[0]})" if one_reason else " (%{text})")
    text = None if reasons is None or one_reason else reasons.to_numpy()
    symbol = (
        str(positions["symbol"].iloc[0])
        if "symbol" in positions and positions["symbol"].nunique() == 1
        else "position"
    )
    # d3 writes a dollar loss "-$1,234.50" (its own "$" format); other signs go before
    # the number: "₩ -1,234"
    net = "%{customdata[1]:$,.2f}" if prefix == "$ " else f"{prefix}%{{customdata[1]:{money}}}"
    outcome = f"return %{{customdata[0]:.2f}}% · net PnL {net}"
    paid = bool(np.any(fees))  # fees shown only when some were paid
    fee_text = f" · fees {prefix}%{{customdata[3]:{money}}}" if paid else ""
    entry_template = (
        f"<b>entry</b> %{{x|%Y-%m-%d %H:%M}} at {prefix}%{{y:{money}}}<br>"
        f"bars held: %{{customdata[2]:,}}, exit{reason}<br>"
        f"{outcome}{fee_text}<extra>{symbol}</extra>"
    )
    exit_template = (
        f"<b>exit</b> %{{x|%Y-%m-%d %H:%M}} at {prefix}%{{y:{money}}}{reason}<br>"
        f"return %{{customdata[0]:.2f}}%<extra>{symbol}</extra>"
    )
    details = {
        "entry": (
            np.column_stack([returns, pnl, column("bars_held"), *([fees] if paid else [])]),
            entry_template,
            "triangle-up",
            _ENTRY,
        ),
        "exit": (returns[:, None], exit_template, "triangle-down", _EXIT),
    }
    thin = {"maxdisplayed": max_markers} if len(positions) > max_markers else {}
    return [
        go.Scatter(
            x=epoch_ms(pd.DatetimeIndex(positions[f"{side}_time"])),
            y=positions[f"{side}_price"].to_numpy(dtype=np.float32),
            customdata=data.astype(np.float32),
            text=text,
            hovertemplate=template,
            mode="markers",
            name="entries" if side == "entry" else "exits",
            marker={
                "symbol": marker,
                "color": color,
                "size": 9,
                "line": {"width": 0.5, "color": "white"},
                **thin,
            },
        )
        for side, (data, template, marker, color) in details.items()
    ]


def _log_wanted(values: np.ndarray, log: bool | None) -> bool:
    if log is not None:
        return bool(log)
    finite = values[np.isfinite(values) & (values > 0)]
    return len(finite) > 1 and finite.max() / finite.min() > 10


def _scale(values: np.ndarray, log: bool, most: int) -> dict[str, Any]:
    """A linear axis, or a log one labelled in 1-2-5 steps: once a tick format is set,
    plotly labels every digit of a decade (overlapping) unless there are few enough
    ticks per decade (``nticks``, at most ``most`` for the panel's height: past that
    whole decades); zoomed within a decade it steps linearly."""
    if not log:
        return {"type": "linear"}
    finite = values[np.isfinite(values) & (values > 0)]
    decades = float(np.log10(finite.max() / finite.min())) if len(finite) > 1 else 1.0
    return {"type": "log", "nticks": min(most, max(3, int(decades / 0.32)))}


def _line(
    series: pd.Series, max_points: int | None, dtype: type = np.float32, **kwargs: Any
) -> go.Scatter:
    """A line of ``series`` downsampled for display; values in float32 (7 significant
    digits, half the bytes) unless ``dtype`` says otherwise."""
    shown = downsample_line(series.astype(float), max_points)
    return go.Scatter(
        x=epoch_ms(shown.index), y=shown.to_numpy(dtype=dtype), mode="lines", **kwargs
    )


def _price_traces(
    candles: pd.DataFrame,
    indicators: pd.DataFrame | None,
    positions: pd.DataFrame | None,
    *,
    price: str,
    currency: str | None,
    max_points: int | None,
    max_candles: int | None,
    max_markers: int,
    name: str,
) -> list[Any]:
    """The price (at most ``max_candles`` candles, or a close line), every
    numeric indicator column, and the entries and exits with their details."""
    traces: list[Any] = []
    if price == "candles" and {"open", "high", "low", "close"} <= set(candles.columns):
        shown = downsample_candles(candles, max_candles)
        traces.append(
            go.Candlestick(
                x=epoch_ms(shown.index),
                open=shown["open"].to_numpy(dtype=np.float32),
                high=shown["high"].to_numpy(dtype=np.float32),
                low=shown["low"].to_numpy(dtype=np.float32),
                close=shown["close"].to_numpy(dtype=np.float32),
                name=name,
                increasing={"line": {"color": "#26a69a", "width": 1}},
                decreasing={"line": {"color": "#ef5350", "width": 1}},
                showlegend=True,
            )
        )
    elif price in ("candles", "line"):
        close = candles["close"]
        traces.append(_line(close, max_points, name=name, line={"color": "#555", "width": 1}))
    else:
        raise ValueError(f"price must be 'candles' or 'line'; got {price!r}")
    for column in [] if indicators is None else indicators.columns:
        values = indicators[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            traces.append(
                _line(
                    values,
                    max_points,
                    name=str(column),
                    line={"width": 1.2},
                    hovertemplate=f"{column} %{{y:,.2f}}<extra></extra>",
                )
            )
    if positions is not None and len(positions):
        traces += position_markers(positions, currency, max_markers)
    return traces


def backtest_plotly(
    equity: pd.Series,
    drawdown: pd.Series | None = None,
    *,
    title: str | None = None,
    candles: pd.DataFrame | None = None,
    indicators: pd.DataFrame | None = None,
    positions: pd.DataFrame | None = None,
    currency: str | None = None,
    log: bool | None = None,
    price: str = "candles",
    max_points: int | None = 3000,
    max_candles: int | None = 2000,
    max_markers: int = 150,
    height: int | None = None,
    symbol: str = "price",
) -> go.Figure:
    """The interactive chart of a backtest: with ``candles`` a price panel (candles or
    a line, indicators, entries and exits), then equity and drawdown, all on one time
    axis with a range slider.

    Parameters
    ----------
    equity : pandas.Series
        Account value at each bar's close.
    drawdown : pandas.Series, optional
        ``equity / running peak - 1`` (a fraction, drawn in percent); from ``equity``
        when omitted.
    title : str, optional
    candles, indicators, positions : pandas.DataFrame, optional
        The candles of a single-symbol run, the strategy's indicator columns, and the
        positions (``entry_time``, ``entry_price``, ``exit_time``, ``exit_price``; the
        other columns of ``BacktestResult.positions`` show on hover).
    currency : str, optional
        Quote currency of prices and equity (``"USD"``: ``$`` on the axes).
    log : bool, optional
        Log price and equity axes; by default each is log when it spans more than
        tenfold.
    price : {"candles", "line"}
        Candles, or a line of the closes.
    max_points : int or None
        At most this many points per line, each bucket's extremes kept; None draws
        every bar.
    max_candles : int or None
        At most this many candles, consecutive bars merged (bundled daily BTC candles,
        1,865 bars, are all drawn); None draws every bar.
    max_markers : int
        With more positions, plotly draws at most this many entry (and exit) markers
        of the visible range; zoom in to see each.
    height : int, optional
        Pixels (default 720 with a price panel, 460 without).
    symbol : str
        Name of the price trace.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    with_price = candles is not None and len(candles) > 0
    heights = [0.56, 0.26, 0.18] if with_price else [0.65, 0.35]
    rows = len(heights)
    figure = make_subplots(
        rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.03, row_heights=heights
    )
    if with_price:
        for trace in _price_traces(
            candles,
            indicators,
            positions,
            price=price,
            currency=currency,
            max_points=max_points,
            max_candles=max_candles,
            max_markers=max_markers,
            name=symbol,
        ):
            figure.add_trace(trace, row=1, col=1)
        close = candles["close"].to_numpy(dtype=float)
        figure.update_yaxes(
            title_text="price",
            **_scale(close, _log_wanted(close, log), 8),
            **axis_money(currency, float(np.nanmax(close))),
            row=1,
            col=1,
        )
    values = equity.astype(float)
    figure.add_trace(
        _line(values, max_points, np.float64, name="equity", line={"color": _EQUITY, "width": 1.4}),
        row=rows - 1,
        col=1,
    )
    figure.update_yaxes(
        title_text="equity",
        **_scale(values.to_numpy(), _log_wanted(values.to_numpy(), log), 4),
        **axis_money(currency, float(np.nanmax(np.abs(values.to_numpy())))),
        row=rows - 1,
        col=1,
    )
    if drawdown is None:
        drawdown = values / np.maximum(values.cummax(), values.iloc[0]) - 1.0
    percent = -drawdown.astype(float).abs() * 100.0
    figure.add_trace(
        _line(
            percent,
            max_points,
            name="drawdown",
            fill="tozeroy",
            line={"color": _DRAWDOWN, "width": 0.8},
            fillcolor="rgba(214,39,40,0.3)",
            hovertemplate="drawdown %{y:.2f}%<extra></extra>",
        ),
        row=rows,
        col=1,
    )
    figure.update_yaxes(title_text="drawdown", ticksuffix="%", tickformat=".0f", row=rows, col=1)
    zone = getattr(pd.DatetimeIndex(equity.index), "tz", None)
    figure.update_xaxes(
        type="date",
        hoverformat="%Y-%m-%d %H:%M",
        showspikes=True,
        spikemode="across",
        spikethickness=1,
        spikecolor="#999",
    )
    figure.update_xaxes(rangeslider={"visible": False}, row=1, col=1)
    figure.update_xaxes(
        rangeslider={"visible": True, "thickness": 0.05},
        title_text=f"time ({zone})" if zone is not None else "time",
        row=rows,
        col=1,
    )
    figure.update_layout(
        template=TEMPLATE,
        title={"text": title, "x": 0.01, "font": {"size": 14}} if title else None,
        height=height or (720 if with_price else 460),
        margin={"l": 90, "r": 20, "t": 60 if title else 30, "b": 40},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1.0, "xanchor": "right"},
        hovermode="closest",
        dragmode="zoom",
    )
    return figure

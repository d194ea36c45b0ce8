"""The positions table as a reader scans it: full width, every column, dates on one line,
the return in percent, money with separators; as static HTML (the last rows) or as a
widget that pages through every position.

>>> import pandas as pd
>>> positions = pd.DataFrame({"entry_time": pd.to_datetime(["2024-01-02"], utc=True),
...     "entry_price": [42123.5], "return": [0.01234], "bars_held": [3]})
>>> readable_positions(positions).iloc[0].tolist()
['2024-01-02', '42,123.50', '1.23%', '3']
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
import pandas as pd

from vzb.widgets.display import styled_table
from vzb.widgets.formatting import (
    format_percent,
    format_price,
    format_stat,
    format_timestamp,
    format_value,
)

__all__ = ["PAGE_SIZE", "positions_html", "positions_page", "readable_positions"]

#: positions on one page of the widget, and in the static HTML
PAGE_SIZE = 20

#: short column headers (the table must fit the width)
_HEADERS = {
    "signal_time": "signal",
    "entry_time": "entry",
    "exit_time": "exit",
    "entry_price": "entry price",
    "exit_price": "exit price",
    "entry_fee": "entry fee",
    "exit_fee": "exit fee",
    "gross_pnl": "gross PnL",
    "net_pnl": "net PnL",
    "return": "return",
    "bars_held": "bars",
    "exit_reason": "exit reason",
}


def _is_time(column: pd.Series) -> bool:
    return isinstance(column.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(column)


def readable_positions(positions: pd.DataFrame, currency: str | None = None) -> pd.DataFrame:
    """Positions as text: dates without a midnight time (the zone goes in the header
    of :func:`positions_html`), prices, fees and PnL as money, the return in percent,
    bars held as counts; short headers; no symbol column when there is one symbol (the
    heading names it), so that every column fits the width.

    Parameters
    ----------
    positions : pandas.DataFrame
        ``BacktestResult.positions`` (any of its columns).
    currency : str, optional
        Quote currency: ``$`` before amounts for ``"USD"``.

    Returns
    -------
    pandas.DataFrame
    """
    shown = pd.DataFrame(index=positions.index)
    for name in positions.columns:
        column = positions[name]
        header = _HEADERS.get(name, name)
        if name == "symbol" and column.nunique() == 1:
            continue
        if _is_time(column):
            stamps = column.dropna()
            daily = bool((stamps.dt.normalize() == stamps).all())
            shown[header] = [format_timestamp(v, time=not daily, zone=False) for v in column]
        elif name == "return":
            shown[header] = [format_percent(100.0 * float(v)) for v in column]
        elif name in ("entry_price", "exit_price"):
            shown[header] = [format_price(v, currency) for v in column]
        elif name == "quantity":
            shown[header] = [format_value(float(v)) for v in column]
        elif pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            shown[header] = [format_stat(name, v, currency) for v in column]
        else:
            shown[header] = column.astype(str)
    return shown


def _zone(positions: pd.DataFrame) -> str | None:
    for name in positions.columns:
        if isinstance(positions[name].dtype, pd.DatetimeTZDtype):
            return str(positions[name].dt.tz)
    return None


def _table(positions: pd.DataFrame, currency: str | None) -> str:
    return styled_table(readable_positions(positions, currency), width="100%")


def positions_html(
    positions: pd.DataFrame, currency: str | None = None, limit: int = PAGE_SIZE
) -> str:
    """The last ``limit`` positions as a full-width HTML table (no inner scroll box),
    with how many there are in all.

    >>> import pandas as pd
    >>> "No positions" in positions_html(pd.DataFrame())
    True
    """
    if positions is None or positions.empty:
        return "<p class='vzb-positions'><i>No positions.</i></p>"
    shown = positions.tail(limit)
    zone = _zone(positions)
    times = f", times in {zone}" if zone else ""
    note = (
        f"last {len(shown):,} of {len(positions):,}{times}; every position is in "
        "result.positions, and vzb.widgets.result_view(result) pages through them"
        if len(shown) < len(positions)
        else f"{len(positions):,} in all{times}"
    )
    return (
        f"<div class='vzb-positions' style='width:100%;overflow-x:auto'>"
        f"<h4 style='margin:4px 0'>Positions <span style='font-weight:normal;color:#666'>"
        f"({html.escape(note)})</span></h4>{_table(shown, currency)}</div>"
    )


def positions_page(positions: pd.DataFrame, currency: str | None = None) -> widgets.VBox:
    """Every position, :data:`PAGE_SIZE` a page, with first/previous/next/last buttons
    (CSS class ``vzb-positions-pager``); the last page shows first.

    Returns
    -------
    ipywidgets.VBox
        Its ``page`` attribute is the page shown (0-based).
    """
    pages = max(1, -(-len(positions) // PAGE_SIZE))
    table = widgets.HTML(layout=widgets.Layout(width="100%"))
    label = widgets.Label()
    buttons = {
        name: widgets.Button(description=name, layout=widgets.Layout(width="auto"))
        for name in ("first", "previous", "next", "last")
    }
    box = widgets.VBox([widgets.HBox([*buttons.values(), label]), table])
    box.add_class("vzb-positions-pager")
    zone = _zone(positions) if len(positions) else None

    def show(page: int) -> None:
        page = min(max(page, 0), pages - 1)
        box.page = page
        rows = positions.iloc[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        body = _table(rows, currency) if len(rows) else "<i>No positions.</i>"
        table.value = f"<div class='vzb-positions'>{body}</div>"
        first, last = page * PAGE_SIZE + 1, min((page + 1) * PAGE_SIZE, len(positions))
        times = f" · times in {zone}" if zone else ""
        label.value = f"positions {first:,}–{last:,} of {len(positions):,}{times}"
        for name in ("first", "previous"):
            buttons[name].disabled = page == 0
        for name in ("next", "last"):
            buttons[name].disabled = page == pages - 1

    moves: dict[str, Any] = {
        "first": lambda: 0,
        "previous": lambda: box.page - 1,
        "next": lambda: box.page + 1,
        "last": lambda: pages - 1,
    }
    for name, button in buttons.items():
        button.on_click(lambda _b, move=moves[name]: show(move()))
    show(pages - 1)
    return box

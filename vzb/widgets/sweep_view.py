"""How a parameter sweep looks in a notebook: a heatmap of one stat and the best sets.

A sweep table has one row per parameter set (and symbol): the parameter columns, then
``symbol``, then the stats columns (see ``vzb.engine.sweep``). :func:`sweep_heatmap` draws a
chosen stat over two parameters (averaging over the other parameters and symbols),
:func:`best_sets` ranks the sets, and :func:`sweep_view` puts both behind dropdowns.

>>> import pandas as pd
>>> table = pd.DataFrame({"volume_window": [5, 5, 10, 10], "top_percentile": [0.1, 0.2] * 2,
...                       "symbol": "BTC_USD", "Return [%]": [1.0, 4.0, 3.0, 2.0]})
>>> parameter_columns(table)
['volume_window', 'top_percentile']
>>> best_sets(table, "Return [%]", n=2)[["volume_window", "top_percentile", "Return [%]"]]
   volume_window  top_percentile  Return [%]
0              5             0.2         4.0
1             10             0.1         3.0
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from vzb.errors import ParameterError
from vzb.widgets.charts import figure_png, heatmap_figure, png_data_uri

__all__ = [
    "best_sets",
    "best_sets_text",
    "heatmap_table",
    "parameter_columns",
    "render_sweep_html",
    "stat_columns",
    "sweep_heatmap",
    "sweep_view",
]

LOWER_IS_BETTER = ("Drawdown Duration", "Volatility", "Fees")
"""Stats (by substring) where a smaller value ranks higher in :func:`best_sets`."""


def parameter_columns(table: pd.DataFrame) -> list[str]:
    """The parameter columns of a sweep table: the columns before ``symbol``.

    Without a ``symbol`` column, the columns before the first one with a stat-like name
    (containing ``[`` or ``#`` or ``Ratio``).
    """
    columns = list(table.columns)
    if "symbol" in columns:
        return columns[: columns.index("symbol")]
    found = []
    for column in columns:
        name = str(column)
        if "[" in name or "#" in name or "Ratio" in name:
            break
        found.append(column)
    return found


def stat_columns(table: pd.DataFrame) -> list[str]:
    """The numeric stats columns of a sweep table (after the parameters and ``symbol``)."""
    skip = {*parameter_columns(table), "symbol"}
    return [
        c
        for c in table.columns
        if c not in skip
        and pd.api.types.is_numeric_dtype(table[c])
        and not pd.api.types.is_bool_dtype(table[c])
    ]


def _check_column(table: pd.DataFrame, name: str, argument: str, choices: list[str]) -> None:
    if name not in table.columns:
        raise ParameterError(
            f"{argument}={name!r} is not a column of the sweep table; use one of {choices}"
        )


_KEY_STATS = ("Return [%]", "Sharpe Ratio", "Max. Drawdown [%]", "# Trades", "Win Rate [%]")


def _display_columns(table: pd.DataFrame, stat: str) -> list[str]:
    """Varying parameters, the ranked stat and a few key stats: what a reader compares."""
    params = parameter_columns(table)
    varying = [c for c in params if table[c].nunique(dropna=False) > 1] or params
    columns = [*varying, stat, *(s for s in _KEY_STATS if s in table.columns and s != stat)]
    return columns


def _best_html(table: pd.DataFrame, stat: str, n: int) -> str:
    best = best_sets(table, stat, n)[_display_columns(table, stat)]
    return f"<h4 style='margin:4px 0'>Best {n} sets by {html.escape(stat)}</h4>" + best.to_html(
        classes="vzb-table", border=0, index=False, float_format=_float
    )


def _float(value: float) -> str:
    return f"{value:,.4g}"


def best_sets_text(table: pd.DataFrame, stat: str = "Return [%]", n: int = 10) -> str:
    """The best ``n`` sets by ``stat`` as plain text (varying parameters and key stats)."""
    best = best_sets(table, stat, n)[_display_columns(table, stat)]
    return f"Best {n} sets by {stat}:\n" + best.round(4).to_string(index=False)


def _lower_is_better(stat: str) -> bool:
    return any(word in stat for word in LOWER_IS_BETTER)


def best_sets(
    table: pd.DataFrame,
    stat: str = "Return [%]",
    n: int = 10,
    *,
    ascending: bool | None = None,
) -> pd.DataFrame:
    """The ``n`` best parameter sets by ``stat``, averaged over symbols.

    Parameters
    ----------
    table : pandas.DataFrame
        A sweep table.
    stat : str
        The stats column to rank by.
    n : int
        How many sets to return.
    ascending : bool, optional
        Rank smallest first; by default only for stats where lower is better
        (volatility, fees, drawdown duration).

    Returns
    -------
    pandas.DataFrame
        Parameter columns and the mean of every stat over symbols, best first, with a
        fresh 0..n-1 index.
    """
    params = parameter_columns(table)
    _check_column(table, stat, "stat", stat_columns(table))
    stats = stat_columns(table)
    if ascending is None:
        ascending = _lower_is_better(stat)
    one_row_per_set = not params or not table.duplicated(params).any()
    if one_row_per_set:  # nothing to average: keep the table's own dtypes (int counts)
        shown = table[params + stats] if params else table
        ranked = shown.sort_values(stat, ascending=ascending, na_position="last")
        return ranked.head(n).reset_index(drop=True)
    grouped = table.groupby(params, sort=False, dropna=False)[stats].mean()
    ranked = grouped.sort_values(stat, ascending=ascending, na_position="last").head(n)
    return ranked.reset_index()


def heatmap_table(
    table: pd.DataFrame, x: str, y: str, stat: str = "Return [%]", *, agg: str = "mean"
) -> pd.DataFrame:
    """``stat`` pivoted over two parameters: ``y`` values as rows, ``x`` values as columns.

    Other parameters and symbols are aggregated with ``agg`` (``'mean'``, ``'max'``,
    ``'median'``...).

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"a": [1, 1, 2, 2], "b": [0.1, 0.2, 0.1, 0.2],
    ...                       "symbol": "X", "Return [%]": [1.0, 2.0, 3.0, 4.0]})
    >>> heatmap_table(table, x="a", y="b").to_dict()
    {1: {0.1: 1.0, 0.2: 2.0}, 2: {0.1: 3.0, 0.2: 4.0}}
    """
    params = parameter_columns(table)
    for argument, name in (("x", x), ("y", y)):
        _check_column(table, name, argument, params)
    _check_column(table, stat, "stat", stat_columns(table))
    if x == y:
        raise ParameterError(f"x and y are both {x!r}; pick two different parameters")
    return table.pivot_table(index=y, columns=x, values=stat, aggfunc=agg).sort_index()


def _default_axes(table: pd.DataFrame) -> tuple[str, str]:
    varying = [c for c in parameter_columns(table) if table[c].nunique(dropna=False) > 1]
    params = varying or parameter_columns(table)
    if len(params) < 2:
        raise ParameterError(
            f"A heatmap needs two parameters that vary; this sweep varies {params}. "
            "Sweep a grid over two parameters, or pass x= and y="
        )
    return params[0], params[1]


def sweep_heatmap(
    table: pd.DataFrame,
    x: str | None = None,
    y: str | None = None,
    stat: str = "Return [%]",
    *,
    agg: str = "mean",
):
    """A heatmap figure of ``stat`` over parameters ``x`` and ``y``.

    Parameters
    ----------
    table : pandas.DataFrame
        A sweep table.
    x, y : str, optional
        Parameter columns (default: the first two parameters that vary).
    stat : str
        The stats column to colour.
    agg : str
        How to combine rows with the same ``x`` and ``y`` (other parameters, symbols).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if x is None or y is None:
        default_x, default_y = _default_axes(table)
        x, y = x or default_x, y or (default_y if default_y != x else default_x)
    grid = heatmap_table(table, x, y, stat, agg=agg)
    return heatmap_figure(grid, title=f"{stat} ({agg} over other parameters and symbols)")


def render_sweep_html(
    table: pd.DataFrame,
    x: str | None = None,
    y: str | None = None,
    stat: str = "Return [%]",
    *,
    n: int = 10,
) -> str:
    """A sweep as static HTML: the heatmap as an embedded PNG and the best ``n`` sets."""
    png = figure_png(sweep_heatmap(table, x, y, stat))
    return (
        "<div class='vzb-sweep'>"
        f"<img class='vzb-heatmap' src='{png_data_uri(png)}' alt='{html.escape(stat)} heatmap'/>"
        f"{_best_html(table, stat, n)}</div>"
    )


def sweep_view(
    table: pd.DataFrame,
    x: str | None = None,
    y: str | None = None,
    stat: str = "Return [%]",
    *,
    n: int = 10,
) -> Any:
    """An interactive sweep view: dropdowns for the stat and the two axes, the heatmap
    and the table of the best sets.

    Redrawing happens in the kernel's main thread, in the dropdowns' callbacks.

    Returns
    -------
    ipywidgets.VBox
        With CSS class ``vzb-sweep-view``; its text repr is the best sets by the chosen stat.
    """
    import ipywidgets as widgets

    from vzb.widgets.report import TextVBox

    if x is None or y is None:
        default_x, default_y = _default_axes(table)
        x, y = x or default_x, y or default_y
    params = parameter_columns(table)
    stats = stat_columns(table)
    _check_column(table, stat, "stat", stats)
    stat_box = widgets.Dropdown(options=stats, value=stat, description="stat")
    x_box = widgets.Dropdown(options=params, value=x, description="x")
    y_box = widgets.Dropdown(options=params, value=y, description="y")
    image = widgets.Image(format="png")
    best = widgets.HTML()
    message = widgets.HTML()

    def draw(_change: Any = None) -> None:
        if _change is not None:
            view._text = best_sets_text(table, stat_box.value, n)
        try:
            figure = sweep_heatmap(table, x_box.value, y_box.value, stat_box.value)
        except ParameterError as exc:
            message.value = f"<i>{html.escape(str(exc))}</i>"
            return
        message.value = ""
        image.value = figure_png(figure)
        best.value = _best_html(table, stat_box.value, n)

    for box in (stat_box, x_box, y_box):
        box.observe(draw, names="value")
    draw()
    view = TextVBox([widgets.HBox([stat_box, x_box, y_box]), message, image, best])
    view._text = best_sets_text(table, stat, n)
    view.add_class("vzb-sweep-view")
    return view

"""Display building blocks: a static report and a widget box, each with a plain-text repr.

A :class:`Report` is what a cell shows when its last line is a report: Jupyter renders
its HTML, or its parts (HTML and interactive Plotly figures, one output each), which stay
in the saved ``.ipynb``; consoles and nbval read its text. A :class:`TextVBox` is a widget
box that shows consoles and nbval a given text; :func:`figure_output` puts a Plotly
figure in a widget view.

>>> report = Report("<b>hi</b>", "hi")
>>> report
hi
>>> report._repr_html_()
'<b>hi</b>'
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from typing import Any

import ipywidgets as widgets

from vzb.widgets.formatting import format_count, format_ratio, format_share

__all__ = [
    "Report",
    "TextVBox",
    "chart_image",
    "figure_bundle",
    "figure_output",
    "key_value_html",
    "overfitting_rows",
    "rows_text",
    "styled_table",
    "table_html",
    "verdict_html",
]


def chart_image(png: bytes = b"", css: str | None = None) -> widgets.Image:
    """An ``ipywidgets.Image`` of a PNG chart shown at its own size (a box would otherwise
    stretch it to the full width, blurred), never wider than the output.

    >>> chart_image(b"", "vzb-chart").layout.align_self
    'flex-start'
    """
    image = widgets.Image(
        value=png, format="png", layout=widgets.Layout(align_self="flex-start", max_width="100%")
    )
    if css:
        image.add_class(css)
    return image


def figure_bundle(figure: Any, text: str | None = None) -> dict[str, Any]:
    """The display data of a Plotly figure: the ``application/vnd.plotly.v1+json``
    mimetype that JupyterLab's bundled plotly renderer draws offline (never a CDN), and a
    ``text/plain`` line (nbval compares it; default: the figure's trace names).

    >>> import plotly.graph_objects as go
    >>> bundle = figure_bundle(go.Figure(go.Scatter(x=[1, 2], y=[3, 4], name="equity")))
    >>> sorted(bundle), bundle["text/plain"]
    (['application/vnd.plotly.v1+json', 'text/plain'], 'Interactive chart: equity')
    """
    import plotly.io as pio

    bundle = dict(pio.renderers["plotly_mimetype"].to_mimebundle(figure.to_dict()))
    names = [trace.name for trace in figure.data if trace.name]
    bundle["text/plain"] = text or "Interactive chart: " + ", ".join(names)
    return bundle


def figure_output(figure: Any, css: str | None = None) -> widgets.Output:
    """An ``ipywidgets.Output`` holding a Plotly figure (filled without a ``with``
    block, so it works from callbacks and without a kernel).

    >>> import plotly.graph_objects as go
    >>> out = figure_output(go.Figure(go.Scatter(x=[1], y=[2], name="x")), "vzb-chart")
    >>> out.outputs[0]["output_type"], "vzb-chart" in out._dom_classes
    ('display_data', True)
    """
    out = widgets.Output(layout=widgets.Layout(width="100%"))
    out.outputs = ({"output_type": "display_data", "data": figure_bundle(figure), "metadata": {}},)
    if css:
        out.add_class(css)
    return out


def key_value_html(rows: Iterable[tuple[str, str]], title: str, css: str) -> str:
    """A titled two-column table of ``(label, text)`` rows, the text right-aligned.

    >>> key_value_html([("PBO", "35%")], "Overfitting", "vzb-overfitting")[:40]
    "<div class='vzb-overfitting' style='disp"
    """
    body = "".join(
        f"<tr><th style='text-align:left;padding-right:12px'>{html.escape(str(label))}</th>"
        f"<td style='text-align:right'>{html.escape(str(text))}</td></tr>"
        for label, text in rows
    )
    return (
        f"<div class='{css}' style='display:inline-block;vertical-align:top;margin-right:24px'>"
        f"<h4 style='margin:4px 0'>{html.escape(title)}</h4>"
        f"<table class='vzb-table'>{body}</table></div>"
    )


_CELL = "padding:2px 5px;white-space:nowrap;text-align:{align};border:none"


def styled_table(frame: Any, *, index: bool = False, width: str = "auto") -> str:
    """A frame of text cells as an HTML table styled inline (JupyterLab's own table
    styles, e.g. its fixed layout, lose to inline ones): cells on one line with room
    between them, numbers right-aligned, the first column left, zebra rows.

    >>> import pandas as pd
    >>> styled_table(pd.DataFrame({"a": ["x"], "n": ["1"]})).count("<td")
    2
    """
    shown = frame.rename_axis(frame.index.name or "").reset_index() if index else frame
    columns = [str(name) for name in shown.columns]

    def cell(tag: str, text: Any, column: int, extra: str = "") -> str:
        align = "left" if column == 0 else "right"
        style = _CELL.format(align=align) + extra
        return f"<{tag} style='{style}'>{html.escape(str(text))}</{tag}>"

    head = "".join(
        cell("th", name, i, ";border-bottom:1px solid #999") for i, name in enumerate(columns)
    )
    rows = []
    for number, values in enumerate(shown.itertuples(index=False)):
        shade = "background:rgba(127,127,127,0.07)" if number % 2 else ""
        cells = "".join(cell("td", value, i) for i, value in enumerate(values))
        rows.append(f"<tr style='{shade}'>{cells}</tr>")
    return (
        "<table class='vzb-table' style='border-collapse:collapse;table-layout:auto;"
        f"font-size:12px;width:{width}'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def table_html(frame: Any, css: str, *, title: str = "", index: bool = False) -> str:
    """A frame of text cells as a :func:`styled_table` in a ``<div class='vzb-styled
    {css}'>``, under an optional ``<h4>`` title.

    >>> import pandas as pd
    >>> table_html(pd.DataFrame({"a": ["1"]}), "vzb-best", title="Best").split(" style")[0]
    "<div class='vzb-styled vzb-best'"
    """
    heading = f"<h4 style='margin:4px 0'>{html.escape(title)}</h4>" if title else ""
    body = styled_table(frame, index=index)
    return f"<div class='vzb-styled {css}' style='overflow-x:auto'>{heading}{body}</div>"


def rows_text(rows: Iterable[tuple[str, str]], indent: str = "  ") -> list[str]:
    """``(label, text)`` rows as aligned lines of plain text.

    >>> rows_text([("PBO", "35%"), ("Trials", "27")])
    ['  PBO     35%', '  Trials  27']
    """
    rows = list(rows)
    width = max((len(str(label)) for label, _ in rows), default=0)
    return [f"{indent}{label!s:<{width}}  {text}" for label, text in rows]


def verdict_html(text: str) -> str:
    """A plain-words verdict as a highlighted paragraph (CSS class ``vzb-verdict``)."""
    return (
        "<p class='vzb-verdict' style='max-width:60em;padding:6px 10px;"
        "border-left:4px solid #888;background:rgba(127,127,127,0.08)'>"
        f"{html.escape(text)}</p>"
    )


def overfitting_rows(
    summary: dict[str, Any], out_of_sample: float | None = None
) -> list[tuple[str, str]]:
    """The overfitting statistics of :func:`vzb.analysis.overfitting_summary` as
    ``(label, text)`` rows in plain words (Sharpe ratios annualised).

    >>> rows = overfitting_rows({"n_trials": 384, "n_sets": 27, "best_sharpe": 1.7,
    ...     "expected_max_sharpe": 2.1, "deflated_sharpe": 0.31, "pbo": 0.62})
    >>> dict(rows)["PBO (probability of backtest overfitting)"]
    '62%'
    """
    pbo = summary.get("pbo")
    defined = pbo is not None and pbo == pbo and math.isfinite(float(pbo))
    rows = [
        ("Trials counted on this study", format_count(summary["n_trials"])),
        ("Sets in this grid", format_count(summary["n_sets"])),
        ("Best set's Sharpe (in sample)", format_ratio(summary["best_sharpe"])),
        ("Expected best Sharpe by chance", format_ratio(summary["expected_max_sharpe"])),
        ("Deflated Sharpe: P(true Sharpe > 0)", format_share(summary["deflated_sharpe"])),
        (
            "PBO (probability of backtest overfitting)",
            format_share(pbo) if defined else "undefined",
        ),
    ]
    if out_of_sample is not None:
        rows.append(("Walk-forward Sharpe (out of sample)", format_ratio(out_of_sample)))
    return rows


def _first_line(page: str) -> str:
    """A short plain-text stand-in for an HTML part: its text up to 80 characters."""
    import re

    page = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    return words[:80]


class Report:
    """HTML and its plain-text fallback, displayed by Jupyter as the HTML.

    Parameters
    ----------
    html : str
        The whole report as static HTML (``_repr_html_``, exports).
    text : str
        What consoles (and ``repr``) show.
    parts : list, optional
        What a notebook shows instead, one output each: HTML strings and Plotly
        figures (the first HTML part carries ``text`` for nbval, the others a line).
    """

    def __init__(self, html: str, text: str, *, parts: list[Any] | None = None) -> None:
        self.html = html
        self.text = text
        self.parts = list(parts or [])

    def _repr_html_(self) -> str:
        return self.html

    def _ipython_display_(self) -> None:
        from IPython.display import display

        if not self.parts:
            display({"text/html": self.html, "text/plain": self.text}, raw=True)
            return
        text = self.text
        for part in self.parts:
            if isinstance(part, str):
                plain = text or _first_line(part)
                display({"text/html": part, "text/plain": plain}, raw=True)
                text = ""
            else:
                display(figure_bundle(part), raw=True)

    def __repr__(self) -> str:
        return self.text

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.text)


class TextVBox(widgets.VBox):
    """A ``VBox`` whose text repr (consoles, nbval) is the given plain text.

    >>> box = TextVBox([], text="3 trades")
    >>> box
    3 trades
    >>> box._repr_mimebundle_()["text/plain"]
    '3 trades'
    """

    def __init__(self, children: Any = (), *, text: str = "", **kwargs: Any) -> None:
        super().__init__(children, **kwargs)
        self._text = text

    def __repr__(self) -> str:
        return self._text or super().__repr__()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is not None and self._text:
            bundle["text/plain"] = self._text
        return bundle

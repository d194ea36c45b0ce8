"""Static reports: HTML for notebooks with a plain-text fallback, saved with the notebook.

A :class:`Report` is what a cell shows when its last line is a report: Jupyter renders
its HTML (which stays in the saved ``.ipynb``), consoles and nbval read its text.

>>> report = Report("<b>hi</b>", "hi")
>>> report
hi
>>> report._repr_html_()
'<b>hi</b>'
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

__all__ = ["Report", "TextVBox", "result_report", "sweep_report"]


class Report:
    """HTML and its plain-text fallback, displayed by Jupyter as the HTML.

    Parameters
    ----------
    html : str
        What notebooks show.
    text : str
        What consoles (and ``repr``) show.
    """

    def __init__(self, html: str, text: str) -> None:
        self.html = html
        self.text = text

    def _repr_html_(self) -> str:
        return self.html

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


def result_report(result: Any, *, chart: bool = True) -> Report:
    """A backtest result as a report: stats, position statistics, chart, positions.

    Parameters
    ----------
    result : BacktestResult
    chart : bool
        Include the equity and drawdown chart (an embedded PNG).

    Returns
    -------
    Report
        HTML from :func:`~vzb.widgets.result_view.render_result_html`, text from
        :func:`~vzb.widgets.result_view.render_result_text`.
    """
    from vzb.widgets.result_view import render_result_html, render_result_text

    return Report(render_result_html(result, chart=chart), render_result_text(result))


def sweep_report(
    table: Any,
    x: str | None = None,
    y: str | None = None,
    stat: str = "Return [%]",
    *,
    n: int = 10,
) -> Report:
    """A sweep as a report: the heatmap of ``stat`` over ``x`` and ``y`` and the best sets.

    Returns
    -------
    Report
        HTML from :func:`~vzb.widgets.sweep_view.render_sweep_html`; the text is
        :func:`~vzb.widgets.sweep_view.best_sets_text`.
    """
    from vzb.widgets.sweep_view import best_sets_text, render_sweep_html

    return Report(render_sweep_html(table, x, y, stat, n=n), best_sets_text(table, stat, n))

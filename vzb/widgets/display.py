"""Display building blocks: a static report and a widget box, each with a plain-text repr.

A :class:`Report` is what a cell shows when its last line is a report: Jupyter renders
its HTML (which stays in the saved ``.ipynb``), consoles and nbval read its text. A
:class:`TextVBox` is a widget box that shows consoles and nbval a given text.

>>> report = Report("<b>hi</b>", "hi")
>>> report
hi
>>> report._repr_html_()
'<b>hi</b>'
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

__all__ = ["Report", "TextVBox"]


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

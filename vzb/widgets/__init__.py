"""Notebook views: the job panel, the backtest result view, the sweep heatmap, the
walk-forward view, the runs and compare views, and the one number format they share.

``JobPanel(runner)`` shows every task of a runner's store with progress bars and cancel
buttons. The result, sweep and walk-forward views are plain functions returning HTML,
reports or ipywidgets; each has a plain-text fallback. The numbers they show come from
:mod:`vzb.analysis` and read as :mod:`vzb.widgets.formatting` writes them. Charts are
Plotly figures (:mod:`vzb.widgets.figures`, series thinned by
:mod:`vzb.widgets.downsample`), with static matplotlib ones in :mod:`vzb.widgets.charts`.

Modules: :mod:`~vzb.widgets.panel` (with its plain-data state in
:mod:`~vzb.widgets.panel_state` and its rows in :mod:`~vzb.widgets.task_row`),
:mod:`~vzb.widgets.result_view`, :mod:`~vzb.widgets.sweep_view` and
:mod:`~vzb.widgets.walk_forward_view`, one per view, each built on the figures, charts,
:mod:`~vzb.widgets.display` and :mod:`~vzb.widgets.formatting` and never on another view.

Names load on first use: ``vzb.widgets.formatting`` (what the CLI uses) imports neither
ipywidgets nor plotting libraries.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from vzb._lazy import lazy_names

# public name -> module of vzb.widgets that defines it
_API = {
    "Report": "display",
    "TextVBox": "display",
    "JobPanel": "panel",
    "PanelState": "panel_state",
    "TaskRow": "panel_state",
    "TaskRowWidget": "task_row",
    "format_stats": "formatting",
    "stats_table": "formatting",
    "render_result_html": "result_view",
    "render_result_text": "result_view",
    "result_figure": "result_view",
    "result_report": "result_view",
    "result_view": "result_view",
    "best_sets_text": "sweep_view",
    "render_sweep_html": "sweep_view",
    "sweep_heatmap": "sweep_view",
    "sweep_report": "sweep_view",
    "sweep_view": "sweep_view",
    "render_walk_forward_html": "walk_forward_view",
    "render_walk_forward_text": "walk_forward_view",
    "walk_forward_figure": "walk_forward_view",
    "walk_forward_report": "walk_forward_view",
    "walk_forward_view": "walk_forward_view",
    "RunsView": "runs_view",
    "runs_view": "runs_view",
    "compare_view": "compare_view",
    "render_comparison_html": "compare_view",
}

__all__ = [
    "JobPanel",
    "PanelState",
    "Report",
    "RunsView",
    "TaskRow",
    "TaskRowWidget",
    "TextVBox",
    "best_sets_text",
    "compare_view",
    "format_stats",
    "render_comparison_html",
    "render_result_html",
    "render_result_text",
    "render_sweep_html",
    "render_walk_forward_html",
    "render_walk_forward_text",
    "result_figure",
    "result_report",
    "result_view",
    "runs_view",
    "stats_table",
    "sweep_heatmap",
    "sweep_report",
    "sweep_view",
    "walk_forward_figure",
    "walk_forward_report",
    "walk_forward_view",
]

__getattr__ = lazy_names(__name__, _API, globals())


def __dir__() -> list[str]:
    return sorted(__all__)


class _Widgets(types.ModuleType):
    """Five views share their module's name (``result_view``, ``sweep_view``,
    ``walk_forward_view``, ``runs_view``, ``compare_view``): when the import system binds
    such a submodule on the package, the package keeps the function, as an eager
    ``from ... import`` would."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _API.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Widgets

if TYPE_CHECKING:  # pragma: no cover - for editors and type checkers
    from vzb.widgets.compare_view import compare_view, render_comparison_html
    from vzb.widgets.display import Report, TextVBox
    from vzb.widgets.formatting import format_stats, stats_table
    from vzb.widgets.panel import JobPanel
    from vzb.widgets.panel_state import PanelState, TaskRow
    from vzb.widgets.result_view import (
        render_result_html,
        render_result_text,
        result_figure,
        result_report,
        result_view,
    )
    from vzb.widgets.runs_view import RunsView, runs_view
    from vzb.widgets.sweep_view import (
        best_sets_text,
        render_sweep_html,
        sweep_heatmap,
        sweep_report,
        sweep_view,
    )
    from vzb.widgets.task_row import TaskRowWidget
    from vzb.widgets.walk_forward_view import (
        render_walk_forward_html,
        render_walk_forward_text,
        walk_forward_figure,
        walk_forward_report,
        walk_forward_view,
    )

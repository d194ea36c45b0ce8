"""Notebook views: the job panel, the backtest result view, the sweep heatmap and the
walk-forward view.

``JobPanel(runner)`` shows every task of a runner's store with progress bars and cancel
buttons. The result, sweep and walk-forward views are plain functions returning HTML,
reports or ipywidgets; each has a plain-text fallback. The numbers they show come from
:mod:`vzb.analysis`.

Modules: :mod:`~vzb.widgets.panel` (with its plain-data state in
:mod:`~vzb.widgets.panel_state` and its rows in :mod:`~vzb.widgets.task_row`),
:mod:`~vzb.widgets.result_view`, :mod:`~vzb.widgets.sweep_view` and
:mod:`~vzb.widgets.walk_forward_view`, one per view, each built on :mod:`~vzb.widgets.charts`,
:mod:`~vzb.widgets.display` and :mod:`~vzb.widgets.formatting` and never on another view.
"""

from __future__ import annotations

from vzb.widgets.display import Report, TextVBox
from vzb.widgets.panel import JobPanel
from vzb.widgets.panel_state import PanelState, TaskRow
from vzb.widgets.result_view import (
    render_result_html,
    render_result_text,
    result_figure,
    result_report,
    result_view,
)
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

__all__ = [
    "JobPanel",
    "PanelState",
    "Report",
    "TaskRow",
    "TaskRowWidget",
    "TextVBox",
    "best_sets_text",
    "render_result_html",
    "render_result_text",
    "render_sweep_html",
    "render_walk_forward_html",
    "render_walk_forward_text",
    "result_figure",
    "result_report",
    "result_view",
    "sweep_heatmap",
    "sweep_report",
    "sweep_view",
    "walk_forward_figure",
    "walk_forward_report",
    "walk_forward_view",
]

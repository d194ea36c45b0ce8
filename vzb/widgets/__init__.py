"""Notebook views: the job panel, the backtest result view and the sweep heatmap.

``JobPanel(runner)`` shows every task of a runner's store with progress bars and cancel
buttons. The result and sweep views are plain functions returning HTML or ipywidgets;
each has a plain-text or table fallback.
"""

from __future__ import annotations

from vzb.widgets.panel import JobPanel, TaskRowWidget
from vzb.widgets.panel_state import PanelState, TaskRow
from vzb.widgets.report import Report, result_report, sweep_report
from vzb.widgets.result_view import (
    position_stats,
    render_result_html,
    render_result_text,
    result_figure,
    result_view,
)
from vzb.widgets.sweep_view import (
    best_sets,
    heatmap_table,
    render_sweep_html,
    sweep_heatmap,
    sweep_view,
)

__all__ = [
    "JobPanel",
    "PanelState",
    "Report",
    "TaskRow",
    "TaskRowWidget",
    "best_sets",
    "heatmap_table",
    "position_stats",
    "render_result_html",
    "render_result_text",
    "render_sweep_html",
    "result_figure",
    "result_report",
    "result_view",
    "sweep_heatmap",
    "sweep_report",
    "sweep_view",
]

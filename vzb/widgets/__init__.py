"""Notebook views: the job panel, the backtest result view and the sweep heatmap.

``JobPanel(runner)`` shows every task of a runner's store with progress bars and cancel
buttons. The views are plain functions; each also has a plain-text fallback.
"""

from __future__ import annotations

from vzb.widgets.panel import JobPanel, TaskRowWidget
from vzb.widgets.panel_state import PanelState, TaskRow

__all__ = ["JobPanel", "PanelState", "TaskRow", "TaskRowWidget"]

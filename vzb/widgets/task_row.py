"""One task's row of the job panel: stock ipywidgets showing a :class:`TaskRow`.

>>> from vzb.widgets.panel_state import TaskRow
>>> row = TaskRowWidget("t1", on_cancel=print)
>>> row.apply(TaskRow.from_record({"task_id": "t1", "status": "running", "progress": 0.5}))
>>> row.bar.value, row.bar.bar_style, row.cancel_button.disabled
(0.5, 'info', False)
>>> row.cancel_button.click()
t1
"""

from __future__ import annotations

import html
import re
from contextlib import ExitStack
from typing import Any

import ipywidgets as widgets

from vzb.widgets.panel_state import TaskRow

__all__ = ["TaskRowWidget"]

_SAFE_CLASS = re.compile(r"[^A-Za-z0-9_-]")


def _css_id(task_id: str) -> str:
    return "vzb-task-id-" + _SAFE_CLASS.sub("-", task_id)


class TaskRowWidget:
    """The widgets of one task row; :meth:`apply` copies a :class:`TaskRow` onto them.

    Attributes
    ----------
    container : ipywidgets.VBox
        The whole row (CSS classes ``vzb-task-row``, ``vzb-task-id-<id>`` and
        ``vzb-state-<state>``).
    description, info, state : ipywidgets.HTML
        Description; percent, units and times; state text (``vzb-task-state``).
    bar : ipywidgets.FloatProgress
        Progress 0..1, ``bar_style`` by state (``vzb-task-progress``).
    cancel_button : ipywidgets.Button
        Asks the runner to cancel (``vzb-cancel-button``); disabled once finished.
    error : ipywidgets.Accordion
        Error summary as title, traceback inside (``vzb-task-error``); hidden without error.
    note : ipywidgets.HTML
        The reason a task was cancelled (``vzb-task-note``).
    """

    def __init__(self, task_id: str, on_cancel: Any) -> None:
        self.task_id = task_id
        self.shown: TaskRow | None = None
        self.description = widgets.HTML(layout=widgets.Layout(flex="1 1 0%", min_width="200px"))
        self.description.add_class("vzb-task-description")
        self.bar = widgets.FloatProgress(
            value=0.0, min=0.0, max=1.0, layout=widgets.Layout(flex="0 0 160px")
        )
        self.bar.add_class("vzb-task-progress")
        self.info = widgets.HTML(layout=widgets.Layout(flex="0 0 240px"))
        self.info.add_class("vzb-task-info")
        self.state = widgets.HTML(layout=widgets.Layout(flex="0 0 90px"))
        self.state.add_class("vzb-task-state")
        self.cancel_button = widgets.Button(
            description="Cancel",
            icon="stop",
            tooltip=f"Cancel task {task_id}",
            layout=widgets.Layout(flex="0 0 90px"),
        )
        self.cancel_button.add_class("vzb-cancel-button")
        self.cancel_button.on_click(lambda _button: on_cancel(task_id))
        self._traceback = widgets.HTML()
        self.error = widgets.Accordion(
            children=[self._traceback],
            selected_index=None,
            layout=widgets.Layout(display="none"),
        )
        self.error.add_class("vzb-task-error")
        self.note = widgets.HTML(layout=widgets.Layout(margin="0 0 0 8px"))
        self.note.add_class("vzb-task-note")
        line = widgets.HBox(
            [self.description, self.bar, self.info, self.state, self.cancel_button],
            layout=widgets.Layout(align_items="center"),
        )
        line.add_class("vzb-task-line")
        self.container = widgets.VBox([line, self.note, self.error])
        self.container.add_class("vzb-task-row")
        self.container.add_class(_css_id(task_id))
        self._parts = [self.description, self.bar, self.info, self.state, self.cancel_button]

    def apply(self, row: TaskRow) -> None:
        """Show ``row``, sending only the fields that changed since the last call."""
        old = self.shown
        if old == row:
            return
        with ExitStack() as stack:
            for part in (*self._parts, self.container, self.note, self.error, self._traceback):
                stack.enter_context(part.hold_sync())
            if old is None or old.description != row.description:
                title, text = html.escape(row.task_id), html.escape(row.description)
                self.description.value = f'<span title="{title}">{text}</span>'
            if old is None or old.progress != row.progress:
                self.bar.value = row.progress
            if old is None or old.bar_style != row.bar_style:
                self.bar.bar_style = row.bar_style
            info = (
                row.percent_text,
                row.units_text,
                row.elapsed_text,
                row.remaining_text,
            )
            if old is None or info != (
                old.percent_text,
                old.units_text,
                old.elapsed_text,
                old.remaining_text,
            ):
                self.info.value = html.escape("  ".join(t for t in info if t)).replace(
                    "  ", " &middot; "
                )
            if old is None or old.state_text != row.state_text:
                self.state.value = f"<b>{html.escape(row.state_text)}</b>"
            if old is None or old.status != row.status:
                if old is not None:
                    self.container.remove_class(f"vzb-state-{old.status}")
                self.container.add_class(f"vzb-state-{row.status}")
            if old is None or old.cancellable != row.cancellable:
                self.cancel_button.disabled = not row.cancellable
            if old is None or (old.error_summary, old.traceback) != (
                row.error_summary,
                row.traceback,
            ):
                note = row.error_summary if not row.traceback else ""
                self.note.value = html.escape(note)
                if row.traceback:
                    self.error.set_title(0, row.error_summary)
                    self._traceback.value = (
                        "<pre style='white-space: pre-wrap; font-size: 11px'>"
                        f"{html.escape(row.traceback or row.error_summary)}</pre>"
                    )
                    self.error.layout.display = ""
                else:
                    self.error.layout.display = "none"
        self.shown = row

    def close(self) -> None:
        """Close every widget of the row."""
        for part in (*self._parts, self.note, self._traceback, self.error, self.container):
            part.close()

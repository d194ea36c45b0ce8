"""One task's row of the job panel: stock ipywidgets showing a :class:`TaskRow`.

One line per task, in aligned columns: the description (cut with an ellipsis, the full
text on hover), a bar in the state's colour, percent · units · times, the state word in
the same colour, and a Cancel button while the task can still be cancelled. Under the
line, only when there is something to say: a short note, or a failed task's error that
expands to its trimmed traceback (the full one a click further).

>>> from vzb.widgets.panel_state import TaskRow
>>> row = TaskRowWidget("t1", on_cancel=print)
>>> row.apply(TaskRow.from_record({"task_id": "t1", "status": "running", "progress": 0.5}))
>>> row.bar.value, row.bar.bar_style, row.bar.style.bar_color, row.cancel_button.disabled
(0.5, 'info', '#1565c0', False)
>>> row.cancel_button.click()
t1
"""

from __future__ import annotations

import html
import re
import threading
from contextlib import ExitStack
from typing import Any

import ipywidgets as widgets

from vzb.widgets.panel_state import TaskRow

__all__ = ["NOTE_SECONDS", "TaskRowWidget"]

NOTE_SECONDS = 5.0
"""How long a passing note (a cancel that came too late) stays on its row."""

_SAFE_CLASS = re.compile(r"[^A-Za-z0-9_-]")
_ONE_LINE = "white-space: nowrap; overflow: hidden; text-overflow: ellipsis"
#: widths of the info columns: percent, units, elapsed, time left
_INFO_WIDTHS = ("3.2em", "6em", "7em", "6.5em")


def _css_id(task_id: str) -> str:
    return "vzb-task-id-" + _SAFE_CLASS.sub("-", task_id)


def _info_html(row: TaskRow) -> str:
    texts = (row.percent_text, row.units_text, row.elapsed_text, row.remaining_text)
    cells = []
    for text, width in zip(texts, _INFO_WIDTHS, strict=True):
        align = "right" if width == _INFO_WIDTHS[0] else "left"
        cells.append(
            f'<span style="display: inline-block; vertical-align: top; width: {width}; '
            f'text-align: {align}; padding-right: 0.6em; {_ONE_LINE}">{html.escape(text)}</span>'
        )
    return f'<div style="{_ONE_LINE}; font-variant-numeric: tabular-nums">{"".join(cells)}</div>'


class TaskRowWidget:
    """The widgets of one task row; :meth:`apply` copies a :class:`TaskRow` onto them.

    Attributes
    ----------
    container : ipywidgets.VBox
        The whole row (CSS classes ``vzb-task-row``, ``vzb-task-id-<id>`` and
        ``vzb-state-<state>``, where the state is the word shown, e.g. ``finishing``).
    description, info, state : ipywidgets.HTML
        Description (``vzb-task-description``, full text in its ``tooltip``); percent,
        units and times (``vzb-task-info``); the state word in its colour
        (``vzb-task-state``).
    bar : ipywidgets.FloatProgress
        Progress 0..1 in the state's colour, full once finished (``vzb-task-progress``).
    cancel_button : ipywidgets.Button
        Asks the runner to cancel (``vzb-cancel-button``); disabled while cancelling or
        finishing, hidden once finished.
    note : ipywidgets.HTML
        A passing note, e.g. a cancel that came after the task finished (``vzb-task-note``).
    error : ipywidgets.Accordion
        A failed task's error as title, its trimmed traceback inside (``vzb-task-error``).
    full_traceback_button : ipywidgets.ToggleButton
        Shows the whole traceback instead of the trimmed one (``vzb-full-traceback``);
        there once :attr:`error` is.
    """

    def __init__(self, task_id: str, on_cancel: Any) -> None:
        self.task_id = task_id
        self.shown: TaskRow | None = None
        self._note = ""
        self._note_timer: threading.Timer | None = None
        self._closed = False
        self.description = widgets.HTML(layout=widgets.Layout(flex="1 1 0%", min_width="0"))
        self.description.add_class("vzb-task-description")
        self.bar = widgets.FloatProgress(
            value=0.0, min=0.0, max=1.0, layout=widgets.Layout(flex="0 0 140px", width="140px")
        )
        self.bar.add_class("vzb-task-progress")
        self.info = widgets.HTML(layout=widgets.Layout(flex="0 0 auto"))
        self.info.add_class("vzb-task-info")
        self.state = widgets.HTML(layout=widgets.Layout(flex="0 0 6.5em", width="6.5em"))
        self.state.add_class("vzb-task-state")
        self.cancel_button = widgets.Button(
            description="Cancel",
            icon="stop",
            tooltip=f"Cancel task {task_id}",
            layout=widgets.Layout(flex="0 0 88px", width="88px"),
        )
        self.cancel_button.add_class("vzb-cancel-button")
        self.cancel_button.on_click(lambda _button: on_cancel(task_id))
        self._error: widgets.Accordion | None = None  # built for the first failed state
        self.note = widgets.HTML(layout=widgets.Layout(display="none", margin="0 0 2px 8px"))
        self.note.add_class("vzb-task-note")
        self._line = widgets.HBox(
            [self.description, self.bar, self.info, self.state, self.cancel_button],
            layout=widgets.Layout(align_items="center", width="100%"),
        )
        self._line.add_class("vzb-task-line")
        self.container = widgets.VBox([self._line, self.note])
        self.container.add_class("vzb-task-row")
        self.container.add_class(_css_id(task_id))
        self._parts = [self.description, self.bar, self.info, self.state, self.cancel_button]

    def apply(self, row: TaskRow) -> None:
        """Show ``row``, sending only the fields that changed since the last call."""
        old = self.shown
        if old == row:
            return
        with ExitStack() as stack:
            for part in (*self._parts, self.bar.style, self.container):
                stack.enter_context(part.hold_sync())
            if old is None or (old.description, old.task_id) != (row.description, row.task_id):
                title = f"{row.description}\ntask {row.task_id}"
                self.description.value = (
                    f'<div style="{_ONE_LINE}" title="{html.escape(title)}">'
                    f"{html.escape(row.description)}</div>"
                )
                self.description.tooltip = title
            if old is None or old.bar_value != row.bar_value:
                self.bar.value = row.bar_value
            if old is None or old.bar_style != row.bar_style:
                self.bar.bar_style = row.bar_style
            if old is None or old.colour != row.colour:
                self.bar.style.bar_color = row.colour
            info = _info_html(row)
            if self.info.value != info:
                self.info.value = info
            if old is None or (old.state_text, old.colour) != (row.state_text, row.colour):
                self.state.value = (
                    f'<b style="color: {row.colour}">{html.escape(row.state_text)}</b>'
                )
            if old is None or old.state_title != row.state_title:
                self.state.tooltip = row.state_title or None
            if old is None or old.state_text != row.state_text:
                if old is not None:
                    self.container.remove_class(f"vzb-state-{old.state_text}")
                self.container.add_class(f"vzb-state-{row.state_text}")
            if old is None or (old.cancellable, old.finished) != (row.cancellable, row.finished):
                self.cancel_button.disabled = not row.cancellable
                # hidden, not removed: the columns of every row stay aligned
                self.cancel_button.layout.visibility = "hidden" if row.finished else "visible"
            if (row.traceback or self._error is not None) and (
                old is None
                or (old.error_summary, old.traceback) != (row.error_summary, row.traceback)
            ):
                if row.traceback:
                    self.error.set_title(0, row.error_summary)
                    self.error.layout.display = ""
                else:
                    self.error.layout.display = "none"
        self.shown = row
        if row.traceback and (old is None or old.traceback != row.traceback):
            self._show_traceback()

    @property
    def error(self) -> widgets.Accordion:
        """A failed task's error: its summary as title, the trimmed traceback inside and a
        button for the full one (``vzb-task-error``); built when first needed, so the
        rows of tasks that did not fail stay light."""
        if self._error is None:
            self._traceback = widgets.HTML()
            self.full_traceback_button = widgets.ToggleButton(
                description="Show full traceback",
                tooltip="With the frames of the process pool and other libraries",
                layout=widgets.Layout(width="auto", align_self="flex-start"),
            )
            self.full_traceback_button.add_class("vzb-full-traceback")
            self.full_traceback_button.observe(lambda _change: self._show_traceback(), "value")
            self._error_box = widgets.VBox([self._traceback, self.full_traceback_button])
            self._error = widgets.Accordion(
                children=[self._error_box],
                selected_index=None,
                layout=widgets.Layout(display="none"),
            )
            self._error.add_class("vzb-task-error")
            self.container.children = (*self.container.children, self._error)
        return self._error

    def _show_traceback(self) -> None:
        row = self.shown
        if row is None:
            return
        full = self.full_traceback_button.value
        text = row.full_traceback if full else row.traceback
        self._traceback.value = (
            "<pre style='white-space: pre-wrap; font-size: 11px; margin: 0'>"
            f"{html.escape(text)}</pre>"
        )
        self.full_traceback_button.description = (
            "Show trimmed traceback" if full else "Show full traceback"
        )

    # ------------------------------------------------------------------ notes
    @property
    def note_text(self) -> str:
        """The note shown under the row now ('' when none)."""
        return self._note

    def show_note(self, text: str, seconds: float = NOTE_SECONDS) -> None:
        """Show a short note under the row that clears itself after ``seconds``."""
        if self._note_timer is not None:
            self._note_timer.cancel()
        self._set_note(text)
        self._note_timer = threading.Timer(seconds, self._set_note, args=("",))
        self._note_timer.daemon = True
        self._note_timer.start()

    def _set_note(self, text: str) -> None:
        self._note = text
        if self._closed:
            return
        with self.note.hold_sync():
            self.note.value = (
                f'<i style="color: var(--jp-ui-font-color2, #616161)">{html.escape(text)}</i>'
                if text
                else ""
            )
            self.note.layout.display = "" if text else "none"

    def close(self) -> None:
        """Close every widget of the row (and stop a pending note's timer)."""
        self._closed = True
        if self._note_timer is not None:
            self._note_timer.cancel()
        parts = [*self._parts, self.note, self._line, self.container]
        if self._error is not None:
            parts += [self._traceback, self.full_traceback_button, self._error_box, self._error]
        for part in parts:
            part.close()

"""The job panel: every task in the store as a row with a progress bar and a cancel button.

The panel reads the task store (the single source of truth) and never runs anything itself:
a cancel button only asks the runner to cancel, which sets the task's flag. All texts come
from :mod:`vzb.widgets.panel_state`; this module maps them onto stock ipywidgets, reusing
one :class:`~vzb.widgets.task_row.TaskRowWidget` per task and sending only what changed.

A background thread polls ``store.version`` about twice a second, batches each widget's
updates with ``hold_sync()``, stops when the panel is closed or nothing has been queued or
running for ``idle_timeout`` seconds, and is woken again by the runner on every submit.

>>> import tempfile
>>> from vzb.jobs import TaskStore
>>> with tempfile.TemporaryDirectory() as tmp:
...     panel = JobPanel(TaskStore(tmp))
...     print(repr(panel))
...     panel.close()
JobPanel: no tasks
"""

from __future__ import annotations

import html
import threading
import time
import weakref
from typing import Any

import ipywidgets as widgets

from vzb.errors import TaskNotFound, TaskStateError
from vzb.jobs.store import STATES, TERMINAL_STATES
from vzb.widgets.panel_state import RACE_NOTE, STATE_COLOURS, PanelState
from vzb.widgets.task_row import TaskRowWidget
from vzb.widgets.time_left import TimeLeft

__all__ = ["JobPanel"]

#: the panel's own CSS, scoped to it: queued bars striped grey, one line per description
PANEL_CSS = """<style>
.vzb-job-panel .vzb-state-queued .progress {
  background-image: repeating-linear-gradient(-45deg, #e4e4e4 0 6px, #f6f6f6 6px 12px);
}
.vzb-job-panel .vzb-task-description .widget-html-content { min-width: 0; overflow: hidden; }
.vzb-job-panel .vzb-task-line { border-bottom: 1px solid var(--jp-border-color2, #e0e0e0); }
.vzb-job-panel .vzb-task-line:hover { background: var(--jp-layout-color2, #f5f5f5); }
.vzb-job-panel .vzb-task-error .lm-AccordionPanel-title,
.vzb-job-panel .vzb-task-error .p-Collapse-header { color: #c62828; font-size: 12px; }
</style>"""


class JobPanel:
    """A live view of the task store: counts, one row per task, cancel buttons.

    Parameters
    ----------
    runner : JobRunner or TaskStore
        The runner whose tasks to show (its ``.store`` is read; cancel goes through
        ``runner.cancel``; a submit wakes the panel through ``runner.add_listener``, and
        :meth:`close` removes that listener). A bare :class:`~vzb.jobs.TaskStore` works
        too, e.g. to look at a store after a kernel restart.
    max_rows : int
        Show at most this many rows, newest first; the rest are summarised as "N more".
    hide_finished : bool
        Start with completed, failed and cancelled tasks hidden (they stay in the store).
    refresh_interval : float
        Seconds between polls of the store by the refresh thread.
    idle_timeout : float
        The refresh thread stops after this many seconds with nothing queued or running;
        a new submit through the runner (or :meth:`refresh`) wakes it.
    autostart : bool
        Start the refresh thread now if any task is queued or running.

    Attributes
    ----------
    widget : ipywidgets.VBox
        The panel's root widget (CSS class ``vzb-job-panel``); the panel displays as it.
    state : PanelState
        What the panel shows right now, as plain data.

    Examples
    --------
    >>> import tempfile
    >>> from vzb.jobs import TaskStore
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     panel = JobPanel(TaskStore(tmp), max_rows=5)
    ...     print(panel.state.header_text)
    ...     panel.close()
    0 queued, 0 running, 0 completed, 0 failed, 0 cancelled
    """

    def __init__(
        self,
        runner: Any,
        *,
        max_rows: int = 20,
        hide_finished: bool = False,
        refresh_interval: float = 0.5,
        idle_timeout: float = 30.0,
        autostart: bool = True,
    ) -> None:
        self.runner = runner
        self.store = getattr(runner, "store", runner)
        self.max_rows = int(max_rows)
        self.refresh_interval = float(refresh_interval)
        self.idle_timeout = float(idle_timeout)
        self.time_left = TimeLeft()
        self.state = PanelState([], hide_finished=hide_finished, max_rows=self.max_rows)
        self._records: list[dict] = []
        self._version: Any = object()
        self._rows: dict[str, TaskRowWidget] = {}
        self._order: list[str] = []
        self._lock = threading.RLock()
        self._thread_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._closed = False

        self._header = widgets.HTML(layout=widgets.Layout(flex="1 1 auto"))
        self._header.add_class("vzb-panel-header")
        self._css = widgets.HTML(PANEL_CSS, layout=widgets.Layout(display="none"))
        self.cancel_all_button = widgets.Button(
            description="Cancel all", icon="stop", tooltip="Cancel every queued or running task"
        )
        self.cancel_all_button.add_class("vzb-cancel-all")
        self.cancel_all_button.on_click(lambda _button: self.cancel_all())
        self.hide_finished_toggle = widgets.ToggleButton(
            value=hide_finished,
            description="Hide finished",
            icon="eye-slash",
            tooltip="Hide completed, failed and cancelled tasks (they stay in the store)",
        )
        self.hide_finished_toggle.add_class("vzb-hide-finished")
        self.hide_finished_toggle.observe(self._on_hide_finished, names="value")
        self._message = widgets.HTML()
        self._message.add_class("vzb-panel-message")
        self._rows_box = widgets.VBox()
        self._rows_box.add_class("vzb-task-rows")
        self._more = widgets.HTML()
        self._more.add_class("vzb-more-tasks")
        buttons = widgets.HBox(
            [self.cancel_all_button, self.hide_finished_toggle],
            layout=widgets.Layout(flex="0 0 auto", margin="0 0 0 auto"),
        )
        header = widgets.HBox(
            [self._header, buttons], layout=widgets.Layout(align_items="center", width="100%")
        )
        header.add_class("vzb-panel-top")
        self.widget = widgets.VBox(
            [self._css, header, self._message, self._rows_box, self._more],
            layout=widgets.Layout(width="100%"),
        )
        self.widget.add_class("vzb-job-panel")
        self._parts = [
            self._css,
            buttons,
            self._header,
            self.cancel_all_button,
            self.hide_finished_toggle,
            self._message,
            self._rows_box,
            self._more,
            header,
            self.widget,
        ]

        self._listener = None
        if hasattr(runner, "add_listener"):  # a runner, not a bare store
            ref = weakref.ref(self)

            def _on_submit(task_id: str, _ref: Any = ref) -> None:
                panel = _ref()
                if panel is not None:
                    panel._wake_up()

            self._listener = _on_submit
            runner.add_listener(_on_submit)

        self.refresh(force=True)
        if autostart and self.state.active:
            self._wake_up()

    # ------------------------------------------------------------------ reading
    def refresh(self, *, force: bool = False) -> PanelState:
        """Read the store if it changed, update the widgets, and return the new state.

        Times (elapsed, remaining) are re-formatted on every call. Safe to call from any
        thread; also wakes the refresh thread if tasks are active.

        Parameters
        ----------
        force : bool
            Re-read the store even if its version did not change.

        Returns
        -------
        PanelState
        """
        with self._lock:
            version = self.store.version
            if force or version != self._version:
                self._records = self.store.tasks()
                self._version = version
            self.state = PanelState(
                self._records,
                hide_finished=self.hide_finished_toggle.value,
                max_rows=self.max_rows,
                time_left=self.time_left,
            )
            if not self._closed:
                self._apply(self.state)
        if self.state.active and threading.current_thread() is not self._thread:
            self._wake_up()
        return self.state

    def _apply(self, state: PanelState) -> None:
        counts = ", ".join(
            f'<span style="color: {STATE_COLOURS[s]}">{state.counts[s]} {s}</span>'
            if state.counts[s]
            else f"{state.counts[s]} {s}"
            for s in STATES
        )
        header = f"<b>Tasks</b>: {counts}"
        if self._header.value != header:
            self._header.value = header
        more = html.escape(state.more_text)
        if self._more.value != more:
            self._more.value = more
        order = [row.task_id for row in state.rows]
        for row in state.rows:
            view = self._rows.get(row.task_id)
            if view is None:
                view = self._rows[row.task_id] = TaskRowWidget(row.task_id, self.cancel)
            view.apply(row)
        self.cancel_all_button.disabled = not state.active
        if order != self._order:
            self._rows_box.children = [self._rows[task_id].container for task_id in order]
            for task_id in set(self._rows) - set(order):
                self._rows.pop(task_id).close()
            self._order = order

    @property
    def hide_finished(self) -> bool:
        """Whether finished tasks are hidden (set it, or click the toggle)."""
        return bool(self.hide_finished_toggle.value)

    @hide_finished.setter
    def hide_finished(self, value: bool) -> None:
        self.hide_finished_toggle.value = bool(value)

    def _on_hide_finished(self, _change: Any) -> None:
        self.refresh()

    @property
    def rows(self) -> dict[str, TaskRowWidget]:
        """The row widgets shown now, by task id, newest first."""
        return {task_id: self._rows[task_id] for task_id in self._order}

    # ------------------------------------------------------------------ acting
    def _request_cancel(self, task_id: str) -> None:
        """Through the runner (it wakes its dispatcher), or the bare store's flag."""
        if hasattr(self.runner, "cancel"):
            self.runner.cancel(task_id)
        else:
            self.store.request_cancel(task_id)

    def cancel(self, task_id: str) -> None:
        """Ask the runner to cancel one task (a running task only gets its cancel flag).

        A task that finished in the meantime is not an error here: its row says "finished
        before the cancel arrived" for a few seconds.
        """
        try:
            self._request_cancel(task_id)
        except TaskStateError:
            self._note(task_id, RACE_NOTE)
        except TaskNotFound:
            self._note(task_id, "no longer in the store")
        self.refresh(force=True)

    def _note(self, task_id: str, text: str) -> None:
        view = self._rows.get(task_id)
        if view is not None:
            view.show_note(text)

    def cancel_all(self) -> list[str]:
        """Cancel every queued or running task; returns the ids that were asked to cancel."""
        asked = []
        for record in self.store.tasks():
            if record.get("status") in TERMINAL_STATES or record.get("cancel_requested"):
                continue
            try:
                self._request_cancel(record["task_id"])
            except (TaskStateError, TaskNotFound):
                continue
            asked.append(record["task_id"])
        self.refresh(force=True)
        return asked

    # ------------------------------------------------------------------ thread
    @property
    def refreshing(self) -> bool:
        """True while the background refresh thread runs."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def _wake_up(self) -> None:
        with self._thread_lock:
            if self._closed:
                return
            self._wake.set()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="vzb-job-panel-refresh", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        idle_since: float | None = None
        while not self._stop.is_set():
            woken = self._wake.wait(self.refresh_interval)
            self._wake.clear()
            if self._stop.is_set() or self.widget.comm is None:
                break
            try:
                state = self.refresh()
            except Exception as exc:  # the store went away: say so and stop polling
                self._message.value = html.escape(
                    f"Refresh stopped: {type(exc).__name__}: {exc}. Call panel.refresh()."
                )
                break
            if state.active or woken:
                idle_since = None
                continue
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since >= self.idle_timeout:
                with self._thread_lock:
                    if not self._wake.is_set():
                        self._thread = None
                        return
        with self._thread_lock:
            self._thread = None

    def stop(self) -> None:
        """Stop the refresh thread (the widgets stay; :meth:`refresh` starts it again)."""
        thread = self._thread
        self._stop.set()
        self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        self._stop.clear()
        self._wake.clear()

    def close(self) -> None:
        """Stop refreshing, detach from the runner and close every widget."""
        self.stop()
        with self._thread_lock:
            self._closed = True
        if self._listener is not None:
            self.runner.remove_listener(self._listener)
            self._listener = None
        with self._lock:
            for view in self._rows.values():
                view.close()
            self._rows.clear()
            self._order = []
            for part in self._parts:
                part.close()

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        return self.state.to_text()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        self.refresh()
        bundle: dict[str, Any] = {}
        if self.widget.comm is not None:
            bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["text/plain"] = repr(self)
        return bundle

"""What the job panel shows, as plain data: no widgets here.

Like ``tqdm.notebook``, all state and formatting live in plain objects; the widget
layer (:mod:`vzb.widgets.panel`) only copies these fields onto stock ipywidgets.
A :class:`TaskRow` is one task record formatted for display; a :class:`PanelState`
is the whole panel (counts per state, the visible rows, how many more are hidden).

>>> record = {"task_id": "a1", "kind": "backtest", "status": "running", "progress": 0.25,
...           "units_done": 1, "units_total": 4, "created_at": 0.0, "started_at": 10.0,
...           "finished_at": None, "spec": {"strategy": "my_strategy",
...           "symbols": ["BTC_USD"], "params": {"window": 20}}}
>>> row = TaskRow.from_record(record, now=20.0)
>>> row.bar_style, row.colour, row.percent_text, row.units_text, row.elapsed_text
('info', '#1565c0', '25%', '1/4 units', '10s')
>>> row.remaining_text  # one estimate is not a steady one: no time left yet
''
>>> row.description
'backtest my_strategy BTC_USD window=20'
>>> state = PanelState([record], now=20.0)
>>> state.counts["running"]
1
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from vzb.jobs.record import finishing
from vzb.jobs.store import STATES, TERMINAL_STATES
from vzb.widgets.formatting import format_count
from vzb.widgets.task_description import describe_task
from vzb.widgets.time_left import TimeLeft
from vzb.widgets.tracebacks import trim_traceback

__all__ = ["BAR_STYLES", "STATE_COLOURS", "PanelState", "TaskRow", "format_duration"]


BAR_STYLES = {
    "queued": "",
    "running": "info",
    "completed": "success",
    "failed": "danger",
    "cancelled": "warning",
}
"""ipywidgets ``bar_style`` for each task state (the CSS class; the colour is below)."""

STATE_COLOURS = {
    "queued": "#757575",
    "running": "#1565c0",
    "finishing": "#1565c0",
    "cancelling": "#ef6c00",
    "completed": "#2e7d32",
    "failed": "#c62828",
    "cancelled": "#ef6c00",
}
"""The colour of each state's word and bar: grey queued, blue running (and finishing),
green completed, red failed, orange cancelled (and cancelling)."""

RACE_NOTE = "finished before the cancel arrived"
"""The note a row shows for a while when its Cancel click came after the task finished."""


def format_duration(seconds: float | None) -> str:
    """Format a duration in seconds as a short text: ``'45s'``, ``'3m 05s'``, ``'2h 10m'``.

    Parameters
    ----------
    seconds : float or None
        The duration; ``None`` or a negative value gives ``''``.

    Returns
    -------
    str

    Examples
    --------
    >>> format_duration(4.2), format_duration(185), format_duration(7830), format_duration(None)
    ('4s', '3m 05s', '2h 10m', '')
    >>> format_duration(0.3), format_duration(2 * 86400 + 3 * 3600)
    ('0.3s', '2d 03h')
    """
    if seconds is None or seconds != seconds or seconds < 0:
        return ""
    if seconds < 1:
        return f"{seconds:.1f}s"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"


def _error_summary(error: Mapping[str, Any] | None) -> tuple[str, str]:
    if not error:
        return "", ""
    kind = str(error.get("type") or "Error")
    message = str(error.get("message") or "").strip()
    first_line = message.splitlines()[0] if message else ""
    if len(first_line) > 160:
        first_line = first_line[:157] + "..."
    summary = f"{kind}: {first_line}" if first_line else kind
    return summary, str(error.get("traceback") or message)


def _shown_state(status: str, record: Mapping[str, Any]) -> str:
    """The word the panel shows: the store's state, or what a running task is doing."""
    if status != "running":
        return status
    if record.get("cancel_requested"):
        return "cancelling"
    return "finishing" if finishing(record) else "running"


@dataclass(frozen=True)
class TaskRow:
    """One task record formatted for the panel.

    Build it with :meth:`from_record`; every field is plain text or a number, so two
    rows compare equal exactly when the panel would show the same thing.

    Attributes
    ----------
    task_id, status : str
        The record's id and state in the store.
    state_text : str
        The word shown: the state, or for a running task ``cancelling`` (cancel asked) or
        ``finishing`` (every unit done, the results being combined).
    description : str
        Kind, strategy, symbols and key parameters.
    progress : float
        Fraction done, 0..1 (1 once completed).
    bar_value : float
        How full the bar is drawn: the progress, or full once finished (in its colour).
    bar_style, colour : str
        ipywidgets ``bar_style`` and the CSS colour of the state (:data:`STATE_COLOURS`).
    percent_text, units_text, elapsed_text, remaining_text : str
        Texts shown beside the bar; the time left only once its estimate is steady.
    state_title : str
        More about the state, for the hover text (a cancelled task's reason).
    error_summary, traceback, full_traceback : str
        ``"Type: first line of the message"``, the traceback trimmed to vzb's and the
        user's frames, and the whole traceback of a failed task.
    cancellable : bool
        True while the task is queued or running, no cancel was requested yet and it is
        not finishing.
    finished : bool
        True in a terminal state.
    """

    task_id: str
    status: str
    state_text: str
    description: str
    progress: float
    bar_value: float
    bar_style: str
    colour: str
    percent_text: str
    units_text: str
    elapsed_text: str
    remaining_text: str
    state_title: str
    error_summary: str
    traceback: str
    full_traceback: str
    cancellable: bool
    finished: bool

    @classmethod
    def from_record(
        cls,
        record: Mapping[str, Any],
        now: float | None = None,
        time_left: TimeLeft | None = None,
    ) -> TaskRow:
        """Format a task record (a plain dict from the store) at time ``now``.

        Parameters
        ----------
        record : Mapping
            A task record with the contract's fields; missing fields are tolerated.
        now : float, optional
            Epoch seconds used for elapsed and remaining time (default: ``time.time()``).
        time_left : TimeLeft, optional
            The estimates kept across refreshes; the time left is shown once steady.

        Returns
        -------
        TaskRow

        Examples
        --------
        >>> row = TaskRow.from_record({"task_id": "t", "status": "failed", "progress": 0.4,
        ...     "error": {"type": "ValueError", "message": "bad\\nmore", "traceback": "Tb"}})
        >>> row.bar_style, row.bar_value, row.percent_text, row.error_summary, row.cancellable
        ('danger', 1.0, '40%', 'ValueError: bad', False)
        >>> TaskRow.from_record({"task_id": "t", "status": "running", "units_done": 2,
        ...     "units_total": 2, "progress": 1.0}).state_text
        'finishing'
        """
        now = time.time() if now is None else now
        status = str(record.get("status") or "queued")
        shown = _shown_state(status, record)
        finished = status in TERMINAL_STATES
        progress = float(record.get("progress") or 0.0)
        if status == "completed":
            progress = 1.0
        progress = min(max(progress, 0.0), 1.0)

        done, total = record.get("units_done"), record.get("units_total")
        units_text = f"{int(done or 0)}/{int(total)} units" if total else ""

        created = record.get("created_at")
        started = record.get("started_at")
        ended = record.get("finished_at")
        elapsed = remaining = None
        if started is not None:
            elapsed = (ended if ended is not None else now) - started
            if shown == "running" and time_left is not None:
                remaining = time_left.seconds_left(
                    str(record.get("task_id")), started, progress, now
                )
        elapsed_text = format_duration(elapsed)
        if status == "queued" and created is not None:
            elapsed_text = f"waiting {format_duration(now - created)}"
        remaining_text = f"{format_duration(remaining)} left" if remaining else ""

        summary, full = _error_summary(record.get("error"))
        state_title = summary
        if status == "cancelled":  # a reason, not an error: no traceback to expand
            error = record.get("error") or {}
            reason = str(error.get("message") or record.get("message") or "").strip()
            summary, full = (reason.splitlines()[0] if reason else ""), ""
            state_title = summary
        elif shown == "finishing":
            state_title = "every unit is done; their results are being combined"

        return cls(
            task_id=str(record.get("task_id", "")),
            status=status,
            state_text=shown,
            description=describe_task(record),
            progress=progress,
            bar_value=1.0 if finished else progress,
            bar_style=BAR_STYLES.get(status, ""),
            colour=STATE_COLOURS.get(shown, STATE_COLOURS["queued"]),
            percent_text=f"{progress * 100:.0f}%",
            units_text=units_text,
            elapsed_text=elapsed_text,
            remaining_text=remaining_text,
            state_title=state_title,
            error_summary=summary,
            traceback=trim_traceback(full) if full else "",
            full_traceback=full,
            cancellable=shown in ("queued", "running"),
            finished=finished,
        )

    def to_text(self, width: int = 20) -> str:
        """One line of plain text: a ``#`` bar, percent, units, state, times and description.

        Examples
        --------
        >>> TaskRow.from_record({"task_id": "t1", "status": "completed", "kind": "backtest",
        ...     "started_at": 0.0, "finished_at": 3.0}).to_text(width=10)
        '[##########] 100%  completed  3s  backtest  (t1)'
        """
        filled = round(self.progress * width)
        bar = "#" * filled + "." * (width - filled)
        groups = [
            f"[{bar}] {self.percent_text:>4}",
            " ".join(t for t in (self.units_text, self.state_text) if t),
            " ".join(t for t in (self.elapsed_text, self.remaining_text) if t),
            self.description,
            f"({self.task_id})",
        ]
        line = "  ".join(g for g in groups if g)
        if self.error_summary:
            line += f"\n    {self.error_summary}"
        return line


class PanelState:
    """The whole panel as plain data: counts per state and the rows to show.

    Parameters
    ----------
    records : iterable of Mapping
        Task records, newest first (as ``TaskStore.tasks()`` returns them).
    now : float, optional
        Epoch seconds for elapsed and remaining times.
    hide_finished : bool
        Leave completed, failed and cancelled tasks out of the rows (they stay counted).
    max_rows : int
        Show at most this many rows; the rest are summarised as ``"N more"``.
    time_left : TimeLeft, optional
        Time-left estimates kept across refreshes (a panel keeps one); without it no
        time left is shown.

    Examples
    --------
    >>> records = [{"task_id": str(i), "status": s} for i, s in
    ...            enumerate(["running", "queued", "completed", "failed"])]
    >>> state = PanelState(records, max_rows=2, hide_finished=False)
    >>> [row.task_id for row in state.rows], state.more
    (['0', '1'], 2)
    >>> state.header_text
    '1 queued, 1 running, 1 completed, 1 failed, 0 cancelled'
    >>> [row.task_id for row in PanelState(records, hide_finished=True).rows]
    ['0', '1']
    """

    def __init__(
        self,
        records: Iterable[Mapping[str, Any]] = (),
        *,
        now: float | None = None,
        hide_finished: bool = False,
        max_rows: int = 20,
        time_left: TimeLeft | None = None,
    ) -> None:
        self.records: list[Mapping[str, Any]] = list(records)
        self.now = time.time() if now is None else now
        self.hide_finished = hide_finished
        self.max_rows = max_rows
        self.counts: dict[str, int] = dict.fromkeys(STATES, 0)
        shown: list[Mapping[str, Any]] = []
        for record in self.records:
            status = str(record.get("status") or "queued")
            self.counts[status] = self.counts.get(status, 0) + 1
            if hide_finished and status in TERMINAL_STATES:
                continue
            shown.append(record)
        self.rows: list[TaskRow] = [
            TaskRow.from_record(record, self.now, time_left) for record in shown[:max_rows]
        ]
        if time_left is not None:
            time_left.forget({row.task_id for row in self.rows if not row.finished})
        self.more: int = max(len(shown) - max_rows, 0)
        self.hidden: int = len(self.records) - len(shown)

    @property
    def active(self) -> bool:
        """True while any task is queued or running."""
        return bool(self.counts["queued"] or self.counts["running"])

    @property
    def header_text(self) -> str:
        """Counts per state, e.g. ``'1 queued, 2 running, 5 completed, 0 failed, 1 cancelled'``."""
        return ", ".join(f"{self.counts[s]} {s}" for s in STATES)

    @property
    def more_text(self) -> str:
        """The line under the rows: ``'N more tasks'`` and how many finished ones are hidden."""
        parts = []
        if self.more:
            parts.append(format_count(self.more, "more task"))
        if self.hidden:
            parts.append(f"{self.hidden} finished hidden")
        return ", ".join(parts)

    def to_text(self) -> str:
        """The panel as plain text, for consoles and nbval.

        Examples
        --------
        >>> print(PanelState([]).to_text())
        JobPanel: no tasks
        """
        if not self.records:
            return "JobPanel: no tasks"
        lines = [f"JobPanel: {self.header_text}"]
        lines += ["  " + row.to_text().replace("\n", "\n  ") for row in self.rows]
        if self.more_text:
            lines.append(f"  ... {self.more_text}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.to_text()

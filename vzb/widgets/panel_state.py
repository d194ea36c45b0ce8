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
>>> row.bar_style, row.percent_text, row.units_text, row.elapsed_text, row.remaining_text
('info', '25%', '1/4 units', '10s', '30s left')
>>> row.description
'backtest my_strategy BTC_USD window=20'
>>> state = PanelState([record], now=20.0)
>>> state.counts["running"]
1
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from vzb.data.times import describe_range
from vzb.jobs.store import STATES, TERMINAL_STATES

__all__ = ["BAR_STYLES", "PanelState", "TaskRow", "format_duration"]


BAR_STYLES = {
    "queued": "",
    "running": "info",
    "completed": "success",
    "failed": "danger",
    "cancelled": "warning",
}
"""Progress-bar colour (ipywidgets ``bar_style``) for each task state."""

_MAX_PARAMS_SHOWN = 4
_COST_OPTIONS = ("fees", "slippage", "stop_loss", "take_profit")
_MAX_SYMBOLS_SHOWN = 3


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
    >>> format_duration(0.3)
    '0.3s'
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
    return f"{hours}h {minutes:02d}m"


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        if len(value) > 3:
            return f"[{_format_value(value[0])}..{_format_value(value[-1])}]x{len(value)}"
        return "[" + ",".join(_format_value(v) for v in value) + "]"
    return str(value)


@functools.lru_cache(maxsize=64)
def _defaults(strategy: str) -> tuple[tuple[str, Any], ...]:
    try:
        from vzb.strategies import get_strategy

        parameters = get_strategy(strategy).parameters
    except Exception:  # an unknown or unimportable strategy: show every parameter
        return ()
    return tuple((name, p.default) for name, p in parameters.items())


def _non_default(strategy: str | None, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """The parameters that differ from the strategy's defaults (the ones worth reading)."""
    defaults = dict(_defaults(strategy)) if strategy else {}
    if not defaults:
        return params
    return {k: v for k, v in params.items() if k not in defaults or defaults[k] != v}


def _describe(record: Mapping[str, Any]) -> str:
    """Kind, strategy, symbols, timeframe and key parameters of a task, on one line."""
    spec = record.get("spec") or {}
    parts = [str(record.get("kind") or "task")]
    if spec.get("function"):  # your own units: say what they do
        units = spec.get("units") or []
        plural = "" if len(units) == 1 else "s"
        return f"{spec.get('description') or spec['function']} ({len(units)} unit{plural})"
    if spec.get("strategy"):
        parts.append(str(spec["strategy"]))
    symbols = spec.get("symbols") or []
    if isinstance(symbols, str):
        symbols = [symbols]
    if symbols:
        shown = ",".join(str(s) for s in symbols[:_MAX_SYMBOLS_SHOWN])
        if len(symbols) > _MAX_SYMBOLS_SHOWN:
            shown += f"+{len(symbols) - _MAX_SYMBOLS_SHOWN}"
        parts.append(shown)
    if spec.get("timeframe") and spec.get("timeframe") != "1d":
        parts.append(str(spec["timeframe"]))
    if record.get("kind") == "sweep":
        params = spec.get("grid") or {}
    else:
        params = _non_default(spec.get("strategy"), spec.get("params") or {})
    if isinstance(params, Mapping):
        items = list(params.items())
        shown = [f"{k}={_format_value(v)}" for k, v in items[:_MAX_PARAMS_SHOWN]]
        if len(items) > _MAX_PARAMS_SHOWN:
            shown.append(f"+{len(items) - _MAX_PARAMS_SHOWN} more")
        parts.append(" ".join(shown))
    options = spec.get("options") or {}
    costs = [f"{k}={_format_value(options[k])}" for k in _COST_OPTIONS if options.get(k)]
    if spec.get("start") or spec.get("end"):
        costs.append(describe_range(spec.get("start") or None, spec.get("end") or None))
    if costs:
        parts.append(" ".join(costs))
    if record.get("kind") == "sweep" and spec.get("n_iter"):
        parts.append(f"n_iter={spec['n_iter']}")
    return " ".join(p for p in parts if p)


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


@dataclass(frozen=True)
class TaskRow:
    """One task record formatted for the panel.

    Build it with :meth:`from_record`; every field is plain text or a number, so two
    rows compare equal exactly when the panel would show the same thing.

    Attributes
    ----------
    task_id, status : str
        The record's id and state.
    description : str
        Kind, strategy, symbols and key parameters.
    progress : float
        Fraction done, 0..1 (1 once completed).
    bar_style : str
        ipywidgets ``bar_style`` for the state (see :data:`BAR_STYLES`).
    percent_text, units_text, elapsed_text, remaining_text, state_text : str
        Texts shown beside the bar.
    error_summary, traceback : str
        ``"Type: first line of the message"`` and the full traceback text of a failed
        task; for a cancelled task, the reason and no traceback.
    cancellable : bool
        True while the task is queued or running and no cancel was requested yet.
    finished : bool
        True in a terminal state.
    """

    task_id: str
    status: str
    description: str
    progress: float
    bar_style: str
    percent_text: str
    units_text: str
    elapsed_text: str
    remaining_text: str
    state_text: str
    error_summary: str
    traceback: str
    cancellable: bool
    finished: bool

    @classmethod
    def from_record(cls, record: Mapping[str, Any], now: float | None = None) -> TaskRow:
        """Format a task record (a plain dict from the store) at time ``now``.

        Parameters
        ----------
        record : Mapping
            A task record with the contract's fields; missing fields are tolerated.
        now : float, optional
            Epoch seconds used for elapsed and remaining time (default: ``time.time()``).

        Returns
        -------
        TaskRow

        Examples
        --------
        >>> row = TaskRow.from_record({"task_id": "t", "status": "failed",
        ...     "error": {"type": "ValueError", "message": "bad\\nmore", "traceback": "Tb"}})
        >>> row.bar_style, row.error_summary, row.cancellable
        ('danger', 'ValueError: bad', False)
        """
        now = time.time() if now is None else now
        status = str(record.get("status") or "queued")
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
            if status == "running" and 0.0 < progress < 1.0:
                remaining = elapsed * (1.0 - progress) / progress
        elapsed_text = format_duration(elapsed)
        if status == "queued" and created is not None:
            elapsed_text = f"waiting {format_duration(now - created)}"
        remaining_text = f"{format_duration(remaining)} left" if remaining is not None else ""

        cancel_requested = bool(record.get("cancel_requested"))
        state_text = status
        if status == "running" and cancel_requested:
            state_text = "cancelling"
        summary, traceback = _error_summary(record.get("error"))
        if status == "cancelled":  # a reason, not an error: no traceback to expand
            error = record.get("error") or {}
            reason = str(error.get("message") or record.get("message") or "").strip()
            summary, traceback = (reason.splitlines()[0] if reason else ""), ""

        return cls(
            task_id=str(record.get("task_id", "")),
            status=status,
            description=_describe(record),
            progress=progress,
            bar_style=BAR_STYLES.get(status, ""),
            percent_text=f"{progress * 100:.0f}%",
            units_text=units_text,
            elapsed_text=elapsed_text,
            remaining_text=remaining_text,
            state_text=state_text,
            error_summary=summary,
            traceback=traceback,
            cancellable=not finished and not cancel_requested,
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
            TaskRow.from_record(record, self.now) for record in shown[:max_rows]
        ]
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
            parts.append(f"{self.more} more task{'s' if self.more != 1 else ''}")
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

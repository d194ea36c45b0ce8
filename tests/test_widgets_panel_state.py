"""The panel's plain formatting: task records (plain dicts) in, texts and styles out."""

from __future__ import annotations

import pytest

from vzb.widgets.panel_state import BAR_STYLES, PanelState, TaskRow, format_duration


def record(task_id: str = "t1", status: str = "queued", **fields) -> dict:
    base = {
        "task_id": task_id,
        "kind": "backtest",
        "status": status,
        "progress": 0.0,
        "units_done": 0,
        "units_total": 4,
        "created_at": 100.0,
        "started_at": None,
        "finished_at": None,
        "cancel_requested": False,
        "error": None,
        "spec": {
            "strategy": "volume_zone_breakout",
            "symbols": ["BTC_USD", "ETH_USD"],
            "params": {"volume_window": 20, "top_percentile": 0.25},
        },
    }
    base.update(fields)
    return base


@pytest.mark.parametrize(
    ("status", "style"),
    [
        ("queued", ""),
        ("running", "info"),
        ("completed", "success"),
        ("failed", "danger"),
        ("cancelled", "warning"),
    ],
)
def test_each_state_has_its_bar_style(status, style):
    assert TaskRow.from_record(record(status=status), now=200.0).bar_style == style
    assert BAR_STYLES[status] == style


def test_running_row_shows_percent_units_elapsed_and_remaining():
    row = TaskRow.from_record(
        record(status="running", progress=0.5, units_done=2, started_at=100.0), now=160.0
    )
    assert row.percent_text == "50%"
    assert row.units_text == "2/4 units"
    assert row.elapsed_text == "1m 00s"
    assert row.remaining_text == "1m 00s left"
    assert row.description == (
        "backtest volume_zone_breakout BTC_USD,ETH_USD volume_window=20 top_percentile=0.25"
    )
    assert row.cancellable and not row.finished


def test_cancel_requested_reads_cancelling_and_is_no_longer_cancellable():
    row = TaskRow.from_record(record(status="running", cancel_requested=True, started_at=100.0))
    assert row.state_text == "cancelling"
    assert not row.cancellable


def test_failed_row_summarises_the_error_and_keeps_the_traceback():
    error = {
        "type": "ParameterError",
        "message": "volume_window=0 is below 2\nmore",
        "traceback": "TB",
    }
    row = TaskRow.from_record(record(status="failed", error=error))
    assert row.error_summary == "ParameterError: volume_window=0 is below 2"
    assert row.traceback == "TB"
    assert not row.cancellable and row.finished


def test_cancelled_row_shows_the_reason_without_traceback():
    error = {"type": "Cancelled", "message": "Task cancelled by user", "traceback": ""}
    row = TaskRow.from_record(record(status="cancelled", error=error))
    assert (row.error_summary, row.traceback) == ("Task cancelled by user", "")


def test_completed_row_is_full_whatever_the_last_progress_write():
    row = TaskRow.from_record(record(status="completed", progress=0.93))
    assert row.progress == 1.0 and row.percent_text == "100%"


def test_sweep_description_names_the_grid():
    spec = {
        "strategy": "volume_zone_breakout",
        "symbols": ["BTC_USD"],
        "grid": {"volume_window": [5, 10, 20, 40, 80]},
    }
    row = TaskRow.from_record(record(kind="sweep", spec=spec))
    assert row.description == "sweep volume_zone_breakout BTC_USD volume_window=[5..80]x5"


def test_panel_counts_every_state_caps_rows_and_hides_finished():
    statuses = ["running", "queued", "completed", "failed", "cancelled", "queued", "completed"]
    records = [record(str(i), s) for i, s in enumerate(statuses)]
    state = PanelState(records, max_rows=3)
    assert state.counts == {"queued": 2, "running": 1, "completed": 2, "failed": 1, "cancelled": 1}
    assert [r.task_id for r in state.rows] == ["0", "1", "2"]
    assert state.more == 4 and state.more_text == "4 more tasks"
    hidden = PanelState(records, max_rows=3, hide_finished=True)
    assert [r.task_id for r in hidden.rows] == ["0", "1", "5"]
    assert hidden.more_text == "4 finished hidden"
    assert hidden.counts == state.counts  # hiding never drops a task from the counts


def test_text_repr_has_header_and_one_line_per_row():
    records = [record("a", "running", progress=0.5, started_at=100.0), record("b", "completed")]
    text = PanelState(records, now=110.0).to_text()
    lines = text.splitlines()
    assert lines[0] == "JobPanel: 0 queued, 1 running, 1 completed, 0 failed, 0 cancelled"
    assert lines[1].startswith(
        "  [##########..........]  50%  0/4 units running  10s 10s left  backtest"
    )
    assert lines[2].startswith("  [####################] 100%")


@pytest.mark.parametrize(
    ("seconds", "text"), [(None, ""), (-1, ""), (0.25, "0.2s"), (59.4, "59s"), (3600, "1h 00m")]
)
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


def test_own_units_are_described_by_their_description():
    spec = {"function": "vzb.jobs.units:sleep", "units": [{}, {}], "description": "a long task"}
    row = TaskRow.from_record(record(kind="units", spec=spec))
    assert row.description == "a long task (2 units)"


def test_description_shows_only_parameters_that_differ_from_the_defaults():
    params = {"volume_window": 10, "top_percentile": 0.3, "num_bins": 20}  # 10, 20: defaults
    spec = {"strategy": "volume_zone_breakout", "symbols": ["BTC_USD"], "params": params}
    row = TaskRow.from_record(record(spec=spec))
    assert row.description == "backtest volume_zone_breakout BTC_USD top_percentile=0.3"


def test_description_shows_fees_stops_and_dates_when_set():
    spec = {
        "strategy": "volume_zone_breakout",
        "symbols": ["BTC_USD"],
        "params": {},
        "end": "2018-12-31",
        "options": {"fees": 0.0025, "slippage": 0.0, "stop_loss": 0.05, "take_profit": None},
    }
    row = TaskRow.from_record(record(spec=spec))
    assert row.description == (
        "backtest volume_zone_breakout BTC_USD fees=0.0025 stop_loss=0.05 until 2018-12-31"
    )

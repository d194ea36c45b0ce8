"""The panel's plain formatting: task records (plain dicts) in, texts and styles out."""

from __future__ import annotations

import pytest

from vzb.widgets.panel_state import BAR_STYLES, PanelState, TaskRow, format_duration
from vzb.widgets.time_left import TimeLeft
from vzb.widgets.tracebacks import trim_traceback


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
    assert row.remaining_text == ""  # one estimate alone is never steady
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
    assert lines[1].startswith("  [##########..........]  50%  0/4 units running  10s  backtest")
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


def test_time_left_is_shown_once_successive_estimates_agree():
    time_left = TimeLeft()
    # a task that needs 100 s: 10% every 10 s after it started at t=100
    shown = []
    for step in range(1, 6):
        rec = record(status="running", progress=step / 10, started_at=100.0)
        row = TaskRow.from_record(rec, now=100.0 + 10 * step, time_left=time_left)
        shown.append(row.remaining_text)
    # steps 1-2: too few estimates; step 3 on: every estimate says the end is at t=200
    assert shown == ["", "", "1m 10s left", "1m 00s left", "50s left"]
    # between progress writes it counts down from the latest estimate of the end
    rec = record(status="running", progress=0.5, started_at=100.0)
    assert TaskRow.from_record(rec, now=155.0, time_left=time_left).remaining_text == "45s left"


def test_time_left_hides_an_estimate_that_jumps():
    time_left = TimeLeft()
    # slow start (worker processes spawning), then fast: the end moves 200 s -> 120 s
    steps = [(0.1, 20.0), (0.2, 28.0), (0.3, 36.0), (0.4, 44.0)]
    texts = [
        TaskRow.from_record(
            record(status="running", progress=p, started_at=100.0), now=100.0 + t,
            time_left=time_left,
        ).remaining_text
        for p, t in steps
    ]  # fmt: skip
    # ends estimated: 300, 240, 220, 210 (relative to the start): spread too wide each time
    assert texts == ["", "", "", ""]
    # independent check of the rule on the last three: max-min against 20% of time left
    ends = [t / p for p, t in steps][-3:]
    assert max(ends) - min(ends) > 0.2 * (ends[-1] - steps[-1][1])


def test_a_running_task_with_every_unit_done_is_finishing():
    row = TaskRow.from_record(
        record(status="running", progress=1.0, units_done=4, started_at=100.0), now=110.0
    )
    assert row.state_text == "finishing" and row.status == "running"
    assert not row.cancellable and not row.finished
    assert row.colour == "#1565c0"


def test_finished_bars_are_full_in_their_colour_but_say_the_progress_made():
    row = TaskRow.from_record(record(status="cancelled", progress=0.4), now=200.0)
    assert (row.bar_value, row.percent_text, row.colour) == (1.0, "40%", "#ef6c00")
    row = TaskRow.from_record(record(status="failed", progress=0.25), now=200.0)
    assert (row.bar_value, row.percent_text, row.colour) == (1.0, "25%", "#c62828")
    queued = TaskRow.from_record(record(status="queued"), now=200.0)
    assert (queued.bar_value, queued.colour, queued.elapsed_text) == (
        0.0,
        "#757575",
        "waiting 1m 40s",
    )


LOKY_TRACEBACK = """joblib.externals.loky.process_executor._RemoteTraceback:
\"\"\"
Traceback (most recent call last):
  File "/env/lib/python3.11/site-packages/joblib/externals/loky/process_executor.py", line 490, in f
    r = call_item()
        ^^^^^^^^^^^
  File "/env/lib/python3.11/concurrent/futures/process.py", line 291, in __call__
    return self.fn(*self.args, **self.kwargs)
  File "/src/vzb/jobs/worker.py", line 173, in execute
    output = function(context, **unit.get("kwargs", {}))
  File "/home/me/my_strategy.py", line 45, in signals
    raise ValueError(fail)
ValueError: no data
\"\"\"

The above exception was the direct cause of the following exception:

ValueError: no data
"""


def test_traceback_is_trimmed_to_vzb_and_user_frames():
    import sysconfig

    stdlib = sysconfig.get_paths()["stdlib"]
    text = LOKY_TRACEBACK.replace("/env/lib/python3.11", stdlib)
    assert trim_traceback(text).splitlines() == [
        "Traceback (most recent call last):",
        '  File "/src/vzb/jobs/worker.py", line 173, in execute',
        '    output = function(context, **unit.get("kwargs", {}))',
        '  File "/home/me/my_strategy.py", line 45, in signals',
        "    raise ValueError(fail)",
        "ValueError: no data",
        "(2 frames of concurrent, joblib left out)",
    ]
    row = TaskRow.from_record(
        record(status="failed", error={"type": "ValueError", "message": "no data",
                                       "traceback": text}),
    )  # fmt: skip
    assert row.full_traceback == text and row.traceback == trim_traceback(text)

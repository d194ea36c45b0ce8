"""JobPanel without a kernel: ipywidgets 8 uses a dummy comm, so widgets are built, clicked
and read for real, against a real TaskStore on disk."""

from __future__ import annotations

import time

import pytest

from vzb.jobs.store import TaskStore
from vzb.widgets import JobPanel

SPEC = {"strategy": "volume_zone_breakout", "symbols": ["BTC_USD"], "params": {"volume_window": 10}}


@pytest.fixture
def store(tmp_path):
    store = TaskStore(tmp_path / "store")
    yield store
    store.close()


@pytest.fixture
def make_panel():
    panels = []

    def make(runner, **options):
        options.setdefault("autostart", False)
        panel = JobPanel(runner, **options)
        panels.append(panel)
        return panel

    yield make
    for panel in panels:
        panel.close()


def new_task(store, **spec) -> str:
    return store.create("backtest", {**SPEC, **spec}, units_total=2)["task_id"]


def running_task(store) -> str:
    task_id = new_task(store)
    assert store.claim(task_id, owner=None) is not None
    return task_id


def tasks_in_every_state(store) -> dict[str, str]:
    ids = {"queued": new_task(store)}
    ids["running"] = running_task(store)
    store.report(ids["running"], attempt=1, unit=0, fraction=0.5)
    ids["completed"] = running_task(store)
    store.finish(ids["completed"], "completed", attempt=1, result={"path": None})
    ids["failed"] = running_task(store)
    error = {"type": "ValueError", "message": "boom", "traceback": "Traceback...\nValueError: boom"}
    store.finish(ids["failed"], "failed", attempt=1, error=error)
    ids["cancelled"] = new_task(store)
    store.request_cancel(ids["cancelled"])
    return ids


def wait_until(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_each_state_maps_to_its_bar_style(store, make_panel):
    ids = tasks_in_every_state(store)
    panel = make_panel(store)
    expected = {
        "queued": "",
        "running": "info",
        "completed": "success",
        "failed": "danger",
        "cancelled": "warning",
    }
    for status, style in expected.items():
        row = panel.rows[ids[status]]
        assert row.bar.get_state()["bar_style"] == style
        assert f"vzb-state-{status}" in row.container._dom_classes
        assert status in row.state.value
    assert panel.rows[ids["running"]].bar.value == pytest.approx(0.25)
    assert panel.state.counts == dict.fromkeys(expected, 1)


def test_state_words_and_bars_share_the_colours_the_notebook_names(store, make_panel):
    ids = tasks_in_every_state(store)
    panel = make_panel(store)
    colours = {  # the words of notebook 02: blue running, green, red, orange; queued grey
        "queued": "#757575",
        "running": "#1565c0",
        "completed": "#2e7d32",
        "failed": "#c62828",
        "cancelled": "#ef6c00",
    }
    for status, colour in colours.items():
        row = panel.rows[ids[status]]
        assert row.bar.style.bar_color == colour
        assert f'color: {colour}">{status}</b>' in row.state.value
    # a finished task's bar is full in its colour, whatever progress it made
    for status in ("completed", "failed", "cancelled"):
        assert panel.rows[ids[status]].bar.value == 1.0
    assert panel.rows[ids["queued"]].bar.value == 0.0  # queued: the striped empty track
    assert "vzb-state-queued" in panel.rows[ids["queued"]].container._dom_classes
    assert ".vzb-state-queued .progress" in panel._css.value
    header = panel._header.value
    assert '<span style="color: #1565c0">1 running</span>' in header


def test_one_line_per_task_with_the_full_text_on_hover(store, make_panel):
    task_id = new_task(store, symbols=["BTC_USD", "ETH_USD", "LTC_USD", "XRP_USD"])
    panel = make_panel(store)
    row = panel.rows[task_id]
    assert "white-space: nowrap" in row.description.value
    assert "text-overflow: ellipsis" in row.description.value
    assert row.description.tooltip == (
        f"backtest volume_zone_breakout BTC_USD,ETH_USD,LTC_USD+1\ntask {task_id}"
    )
    assert row.description.layout.min_width == "0"  # lets the flex item shrink
    assert row.note.layout.display == "none" and row.error.layout.display == "none"


def test_cancel_click_on_a_running_task_sets_the_flag_in_the_store(store, make_panel):
    task_id = running_task(store)
    panel = make_panel(store)
    row = panel.rows[task_id]
    assert not row.cancel_button.disabled
    row.cancel_button.click()
    record = store.get(task_id)
    assert record["cancel_requested"] is True
    assert record["status"] == "running"  # only the flag: the worker stops at a checkpoint
    assert row.cancel_button.disabled
    assert "cancelling" in row.state.value


def test_cancel_click_on_a_queued_task_cancels_it_at_once(store, make_panel):
    task_id = new_task(store)
    panel = make_panel(store)
    panel.rows[task_id].cancel_button.click()
    assert store.get(task_id)["status"] == "cancelled"
    row = panel.rows[task_id]
    assert row.bar.bar_style == "warning"
    assert row.cancel_button.disabled
    assert row.state.tooltip == "Task cancelled by user"  # the reason on hover


def test_finished_rows_have_no_cancel_button(store, make_panel):
    ids = tasks_in_every_state(store)
    panel = make_panel(store)
    shown = {
        s: (panel.rows[i].cancel_button.disabled, panel.rows[i].cancel_button.layout.visibility)
        for s, i in ids.items()
    }
    assert shown == {
        "queued": (False, "visible"),
        "running": (False, "visible"),
        "completed": (True, "hidden"),  # hidden, keeping its place: columns stay aligned
        "failed": (True, "hidden"),
        "cancelled": (True, "hidden"),
    }


def test_a_task_whose_units_are_all_done_is_finishing_and_cannot_be_cancelled(store, make_panel):
    task_id = running_task(store)
    store.finish_unit(task_id, attempt=1, unit=0, output={})
    store.finish_unit(task_id, attempt=1, unit=1, output={})
    record = store.get(task_id)
    assert (record["status"], record["units_done"], record["units_total"]) == ("running", 2, 2)
    row = make_panel(store).rows[task_id]
    assert "finishing" in row.state.value
    assert "vzb-state-finishing" in row.container._dom_classes
    assert row.cancel_button.disabled and row.cancel_button.layout.visibility == "visible"
    assert "combined" in row.state.tooltip


def test_a_cancel_that_loses_the_race_is_a_passing_note_on_its_row(store, make_panel):
    from vzb.widgets import task_row

    task_id = running_task(store)
    panel = make_panel(store)
    store.finish(task_id, "completed", attempt=1)
    panel.cancel(task_id)  # the click raced the finish: no exception
    row = panel.rows[task_id]
    assert row.note_text == "finished before the cancel arrived"
    assert "finished before the cancel arrived" in row.note.value
    assert row.note.layout.display == ""
    assert panel._message.value == ""  # nothing at the top of the panel
    assert store.get(task_id)["status"] == "completed"
    assert "completed" in row.state.value and row.cancel_button.layout.visibility == "hidden"
    row.show_note("finished before the cancel arrived", seconds=0.2)
    assert wait_until(lambda: row.note_text == "", timeout=5)
    assert row.note.value == "" and row.note.layout.display == "none"
    assert task_row.NOTE_SECONDS <= 10


def test_cancel_all_cancels_every_active_task(store, make_panel):
    ids = tasks_in_every_state(store)
    panel = make_panel(store)
    panel.cancel_all_button.click()
    assert store.get(ids["queued"])["status"] == "cancelled"
    assert store.get(ids["running"])["cancel_requested"] is True
    assert store.get(ids["completed"])["status"] == "completed"


def test_failed_row_expands_to_the_traceback(store, make_panel):
    ids = tasks_in_every_state(store)
    row = make_panel(store).rows[ids["failed"]]
    assert row.error.layout.display == ""
    assert row.error.get_title(0) == "ValueError: boom"
    assert "Traceback...\nValueError: boom" in row._traceback.value
    assert row.error.selected_index is None  # collapsed until clicked
    assert make_panel(store).rows[ids["completed"]].error.layout.display == "none"


def test_rows_are_capped_newest_first_with_a_more_line(store, make_panel):
    ids = [new_task(store, params={"volume_window": i}) for i in range(7)]
    panel = make_panel(store, max_rows=3)
    assert list(panel.rows) == ids[::-1][:3]
    assert len(panel._rows_box.children) == 3
    assert panel._more.value == "4 more tasks"
    assert "volume_window=6" in panel.rows[ids[6]].description.value


def test_hide_finished_hides_rows_but_keeps_the_tasks(store, make_panel):
    ids = tasks_in_every_state(store)
    panel = make_panel(store)
    panel.hide_finished_toggle.value = True
    assert set(panel.rows) == {ids["queued"], ids["running"]}
    assert "3 finished hidden" in panel._more.value
    assert len(store.tasks()) == 5
    panel.hide_finished = False
    assert set(panel.rows) == set(ids.values())


def test_panel_rebuilt_on_an_existing_store_shows_the_same_tasks(store, make_panel, tmp_path):
    tasks_in_every_state(store)
    first = make_panel(store)
    shown = {
        i: (r.description.value, r.state.value, r.bar.bar_style) for i, r in first.rows.items()
    }
    first.close()
    store.close()
    reopened = TaskStore(tmp_path / "store")  # as after a kernel restart
    second = make_panel(reopened)
    again = {
        i: (r.description.value, r.state.value, r.bar.bar_style) for i, r in second.rows.items()
    }
    assert again == shown
    assert list(second.rows) == list(shown)
    reopened.close()


def test_refresh_thread_follows_store_changes_and_stops_when_closed(store, make_panel):
    task_id = running_task(store)
    panel = make_panel(store, refresh_interval=0.05, autostart=True)
    assert panel.refreshing
    row = panel.rows[task_id]
    store.report(task_id, attempt=1, unit=0, fraction=1.0)
    assert wait_until(lambda: row.bar.value == pytest.approx(0.5))
    store.finish(task_id, "completed", attempt=1)
    assert wait_until(lambda: row.bar.bar_style == "success")
    panel.close()
    assert not panel.refreshing


def test_refresh_thread_stops_when_idle_and_wakes_on_refresh(store, make_panel):
    task_id = running_task(store)
    panel = make_panel(store, refresh_interval=0.05, idle_timeout=0.2, autostart=True)
    store.finish(task_id, "completed", attempt=1)
    assert wait_until(lambda: not panel.refreshing)
    running_task(store)
    panel.refresh()
    assert panel.refreshing


def test_text_repr_for_consoles_and_nbval(store, make_panel):
    ids = tasks_in_every_state(store)
    panel = make_panel(store)
    text = repr(panel)
    assert text.splitlines()[0] == (
        "JobPanel: 1 queued, 1 running, 1 completed, 1 failed, 1 cancelled"
    )
    assert all(task_id in text for task_id in ids.values())
    bundle = panel._repr_mimebundle_()
    assert bundle["text/plain"].splitlines()[0] == text.splitlines()[0]  # times move on
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_stable_css_classes_for_the_browser(store, make_panel):
    task_id = running_task(store)
    panel = make_panel(store)
    row = panel.rows[task_id]
    assert "vzb-job-panel" in panel.widget._dom_classes
    assert "vzb-cancel-all" in panel.cancel_all_button._dom_classes
    assert "vzb-hide-finished" in panel.hide_finished_toggle._dom_classes
    assert {"vzb-task-row", f"vzb-task-id-{task_id}"} <= set(row.container._dom_classes)
    assert "vzb-task-progress" in row.bar._dom_classes
    assert "vzb-task-state" in row.state._dom_classes
    assert "vzb-cancel-button" in row.cancel_button._dom_classes


def test_with_a_real_runner_a_submit_wakes_the_panel_and_cancel_stops_the_task(tmp_path):
    from vzb.jobs import JobRunner

    runner = JobRunner(tmp_path / "jobs", max_workers=1)
    panel = JobPanel(runner, refresh_interval=0.05, idle_timeout=0.2)
    try:
        assert wait_until(lambda: not panel.refreshing)  # nothing to watch: the thread stops
        task = runner.submit_units("vzb.jobs.units:sleep", [{"seconds": 30}], description="nap")
        assert panel.refreshing  # woken by the runner's submit listener
        assert wait_until(lambda: task.task_id in panel.rows)
        row = panel.rows[task.task_id]
        assert "nap (1 unit)" in row.description.value
        assert wait_until(lambda: row.bar.bar_style == "info", timeout=30)  # running
        row.cancel_button.click()
        assert runner.store.get(task.task_id)["cancel_requested"] is True
        assert runner.wait(task.task_id, timeout=30)["status"] == "cancelled"
        assert wait_until(lambda: row.bar.bar_style == "warning")
        assert row.cancel_button.disabled
        rebuilt = JobPanel(runner)
        assert repr(rebuilt).startswith("JobPanel: 0 queued, 0 running")
        rebuilt.close()
    finally:
        panel.close()
        runner.close()


def test_a_failed_task_shows_its_error_and_traceback_from_the_worker(tmp_path):
    from vzb.jobs import JobRunner

    runner = JobRunner(tmp_path / "jobs", max_workers=1)
    panel = JobPanel(runner, autostart=False)
    try:
        task = runner.submit_units("vzb.jobs.units:sleep", [{"seconds": 0.1, "fail": "no data"}])
        assert runner.wait(task.task_id, timeout=60)["status"] == "failed"
        panel.refresh()
        row = panel.rows[task.task_id]
        assert row.bar.bar_style == "danger"
        assert row.error.layout.display == ""
        assert "ValueError" in row.error.get_title(0) and "no data" in row.error.get_title(0)
        assert "ValueError: no data" in repr(panel)
        # trimmed: the worker's own frames, not the process pool's
        trimmed = row._traceback.value
        assert "Traceback" in trimmed and "vzb/jobs/units.py" in trimmed
        assert "ValueError: no data" in trimmed
        assert "process_executor.py" not in trimmed and "_RemoteTraceback" not in trimmed
        assert "frames of joblib left out" in trimmed or "frame of joblib left out" in trimmed
        # the full one a click away
        row.full_traceback_button.value = True
        assert "joblib/externals/loky/process_executor.py" in row._traceback.value
        assert row.full_traceback_button.description == "Show trimmed traceback"
        row.full_traceback_button.value = False
        assert row._traceback.value == trimmed
    finally:
        panel.close()
        runner.close()


def test_closed_panels_leave_no_listener_on_the_runner(tmp_path):
    from vzb.jobs import JobRunner

    runner = JobRunner(tmp_path / "jobs", max_workers=1)
    try:
        before = len(runner._listeners)  # the runner has no public count of its listeners
        panels = [JobPanel(runner, autostart=False) for _ in range(5)]
        assert len(runner._listeners) == before + 5
        for panel in panels:
            panel.close()
            panel.close()  # closing twice is harmless
        assert len(runner._listeners) == before
        task = runner.submit_units("vzb.jobs.units:sleep", [{"seconds": 0}])
        assert runner.wait(task.task_id, timeout=60)["status"] == "completed"
        assert not any(panel.refreshing for panel in panels)
    finally:
        runner.close()

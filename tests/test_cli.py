"""The ``vzb`` command: demo from a fresh directory, and jobs list/status/cancel/wait."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time

from vzb.cli import main, progress_line
from vzb.jobs import JobRunner, TaskStore

SLEEP = "vzb.jobs.units:sleep"


def run(*argv):
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_vzb_demo_runs_from_a_fresh_directory_with_no_arguments(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("VZB_HOME", "VZB_DATA_DIR")}
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "vzb"), "demo"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Sharpe Ratio" in proc.stdout and "positions:" in proc.stdout
    assert "100%  2/2 units  completed" in proc.stdout
    assert "best 5 by Sharpe Ratio" in proc.stdout
    assert "walk-forward of the same grid" in proc.stdout and "folds; out of sample" in proc.stdout
    assert "expected from 9 tries by chance" in proc.stdout
    assert "notebooks/06_walk_forward.ipynb" in proc.stdout
    assert (tmp_path / ".vzb").is_dir()
    records = TaskStore(tmp_path / ".vzb").tasks()
    assert [r["status"] for r in records] == ["completed", "completed"]
    assert all(os.path.exists(r["result"]["path"]) for r in records)

    # One number format: no raw floats, no scientific notation, counts without decimals.
    # (task ids such as "001a22b57b72e-8abc12" are hex: "2e-8" in one is no number)
    text = re.sub(r"\b[0-9a-f]{13}-[0-9a-f]{6}\b", "TASK", proc.stdout)
    assert not re.search(r"\d\.\d{5,}", text), re.findall(r".*\d\.\d{5,}.*", text)
    assert not re.search(r"\d[eE][+-]\d", text)  # 1.2e+07, 5e-05 (not a hex id's "6e0")
    assert "dtype" not in text and "days 00:00:00" not in text
    backtest = records[1]["result"]["stats"]  # the store's record, formatted here by hand
    lines = {ln.strip().split("  ")[0]: ln for ln in text.splitlines() if "  " in ln.strip()}
    assert lines["Equity Final [$]"].split()[-2:] == ["$", f"{backtest['Equity Final [$]']:,.0f}"]
    assert lines["# Trades"].split()[-1] == f"{backtest['# Trades']:,}"
    assert lines["Return [%]"].split()[-1] == f"{backtest['Return [%]']:,.2f}%"
    assert lines["Duration"].split()[-2:] == [f"{int(backtest['Duration'].split()[0]):,}", "days"]
    assert f"positions: {backtest['# Trades']:,}" in text


def test_jobs_list_status_cancel_wait(tmp_path):
    store = str(tmp_path / "s")
    TaskStore(store)
    assert run("jobs", "list", "--store", store) == (0, "no tasks\n")
    with JobRunner(store, max_workers=2) as runner:
        done = runner.submit_units(SLEEP, [{"seconds": 0, "value": 1}])
        done.wait(timeout=60)
        slow = runner.submit_units(SLEEP, [{"seconds": 30}])
        code, text = run("jobs", "list", "--store", store)
        assert code == 0 and done.task_id in text and slow.task_id in text
        code, text = run("jobs", "status", done.task_id, "--store", store)
        assert code == 0 and "completed" in text
        code, text = run("jobs", "cancel", slow.task_id, "--store", store)
        assert code == 0 and slow.task_id in text
        assert run("jobs", "wait", slow.task_id, "--store", store, "--timeout", "30")[0] == 1
        assert runner.status(slow.task_id)["status"] == "cancelled"
        assert run("jobs", "wait", done.task_id, "--store", store)[0] == 0
        # cancelling a finished task or an unknown one: an error, exit code 1
        assert run("jobs", "cancel", done.task_id, "--store", store)[0] == 1
        assert run("jobs", "status", "nope", "--store", store)[0] == 1
        code, text = run("jobs", "list", "--status", "cancelled", "--store", store)
        assert slow.task_id in text and done.task_id not in text


def test_jobs_commands_on_a_missing_store_fail_naming_it_and_create_nothing(tmp_path, capsys):
    missing = tmp_path / "missing" / "dir"
    for argv in (["list"], ["status", "abc"], ["cancel", "abc"], ["wait", "abc"], ["resume"]):
        code, text = run("jobs", *argv, "--store", str(missing))
        assert code == 1 and text == ""
        assert f"No task store at '{missing}': the directory does not exist" in (
            capsys.readouterr().err
        )
    assert not (tmp_path / "missing").exists()


def test_the_demo_grid_comes_from_the_default_strategy():
    from vzb.cli import demo_grid
    from vzb.strategies import get_strategy
    from vzb.strategies.registry import DEFAULT_STRATEGY

    strategy = get_strategy(DEFAULT_STRATEGY)
    grid = demo_grid(strategy)
    assert len(grid) == 2 and all(len(values) > 1 for values in grid.values())
    for name, values in grid.items():
        assert strategy.parameters[name].default in values
        assert [strategy.parameters[name].validate(v) for v in values] == values


def test_progress_line_shows_bar_units_and_stage():
    line = progress_line(
        {"progress": 0.3, "units_done": 3, "units_total": 10, "status": "running",
         "message": "running BTC_USD 4/10"},
        width=10,
    )  # fmt: skip
    assert line == "[###.......]  30%  3/10 units  running  running BTC_USD 4/10"


def test_jobs_status_json_is_the_record_as_json(tmp_path):
    import json

    with JobRunner(tmp_path, max_workers=1) as runner:
        task = runner.submit_units(SLEEP, [{"seconds": 0, "value": 3}])
        task.wait(timeout=60)
    code, text = run("jobs", "status", task.task_id, "--json", "--store", str(tmp_path))
    assert code == 0
    record = json.loads(text)
    assert record["task_id"] == task.task_id and record["status"] == "completed"
    assert record["progress"] == 1.0 and record["kind"] == "units"


def test_jobs_list_has_a_header_the_state_once_percent_and_zoned_times(tmp_path):
    store = str(tmp_path / "s")
    with JobRunner(store, max_workers=1) as runner:
        done = runner.submit_units(SLEEP, [{"seconds": 0, "value": 1}], description="quick nap")
        done.wait(timeout=60)
    code, text = run("jobs", "list", "--store", store)
    assert code == 0
    header, line = text.splitlines()
    assert header.split() == ["TASK", "CREATED", "KIND", "STATE", "PROGRESS", "UNITS", "WHAT"]
    record = TaskStore(store).get(done.task_id)
    created = time.localtime(record["created_at"])
    stamp = time.strftime("%Y-%m-%d %H:%M ", created) + time.strftime("%Z", created)
    assert line.split() == [done.task_id, *stamp.split(), "units", "completed", "100%", "1/1",
                            "quick", "nap"]  # fmt: skip
    assert line.count("completed") == 1  # the state once


def test_jobs_status_is_readable_fields(tmp_path):
    store = str(tmp_path / "s")
    with JobRunner(store, max_workers=1) as runner:
        task = runner.submit("volume_zone_breakout", {"volume_window": 20}, symbols=["BTC_USD"],
                             fees=0.0005, start="2019-01-01")  # fmt: skip
        task.wait(timeout=120)
        failed = runner.submit_units(SLEEP, [{"seconds": 0, "fail": "no data"}])
        failed.wait(timeout=60)
    record = TaskStore(store).get(task.task_id)
    code, text = run("jobs", "status", task.task_id, "--store", store)
    assert code == 0
    fields = dict(line.strip().split("  ", 1) for line in text.splitlines())
    fields = {name: value.strip() for name, value in fields.items()}
    assert fields["task"] == task.task_id and fields["state"] == "completed"
    assert fields["progress"] == "100% · 1/1 units"
    created = time.localtime(record["created_at"])
    assert fields["created"] == time.strftime("%Y-%m-%d %H:%M %Z", created)
    assert fields["symbols"] == "BTC_USD" and fields["dates"] == "2019-01-01 to last"
    assert "volume_window=20 top_percentile=0.2" in fields["params"]
    assert "fees=0.0005" in fields["options"] and "cash=1000000" in fields["options"]
    stats = record["result"]["stats"]
    assert fields["Sharpe Ratio"] == f"{stats['Sharpe Ratio']:.2f}"
    assert fields["# Trades"] == f"{stats['# Trades']:,}"
    assert fields["Total Fees [$]"] == f"$ {stats['Total Fees [$]']:,.0f}"
    assert "{" not in text and "1.0\n" not in text  # no dicts, no raw progress

    code, text = run("jobs", "status", failed.task_id, "--store", store)
    assert code == 1
    assert "error  ValueError: no data" in text
    traceback = text.split("traceback:\n", 1)[1]
    assert "vzb/jobs/units.py" in traceback and "ValueError: no data" in traceback
    assert "process_executor.py" not in traceback and "left out" in traceback


def _arguments(parser, path=()):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _arguments(sub, (*path, name))
        elif not isinstance(action, argparse._HelpAction):
            yield " ".join(path), action


def test_every_argument_of_the_demo_and_jobs_commands_has_help():
    from vzb.cli import _parser

    arguments = [(p, a) for p, a in _arguments(_parser()) if p.split()[0] in ("demo", "jobs")]
    assert len(arguments) >= 15
    missing = [f"{p} {a.dest}" for p, a in arguments if not (a.help or "").strip()]
    assert missing == []

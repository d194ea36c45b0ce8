"""The notebooks in a real JupyterLab, driven by a real chromium (pytest-playwright).

A JupyterLab server starts in a temporary root (every ``JUPYTER_*`` directory in tmp too)
holding clean copies of ``notebooks/02_background_jobs.ipynb`` and
``notebooks/06_walk_forward.ipynb``; each is run with "Run All", and the tests check what a
researcher sees. In 02: the panel renders, a progress bar moves while no cell runs, and a
click on one task's Cancel button cancels that task, in the page and in the store on disk.
In 06: every cell runs without an error, the sweep view's widgets render (no "Loading
widget"), and the walk-forward result shows its verdict, tables and charts. Screenshots go
to ``test-results/``.

Needs chromium at ``/usr/bin/chromium`` (or ``$VZB_CHROMIUM``); never ``playwright install``.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from vzb.jobs import TaskStore

CHROMIUM = os.environ.get("VZB_CHROMIUM", "/usr/bin/chromium")
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK = NOTEBOOKS / "02_background_jobs.ipynb"
WALK_FORWARD = NOTEBOOKS / "06_walk_forward.ipynb"
DEMO = "long demo task"  # the description of the notebook's last, long-running task

pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no chromium at {CHROMIUM}"),
    pytest.mark.timeout(280),
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--disable-dev-shm-usage", "--no-sandbox", "--disable-gpu"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1600, "height": 1000}}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_settings(settings_dir: Path, plugin: str, values: dict) -> None:
    package, name = plugin.rsplit(":", 1)
    path = settings_dir / package / f"{name}.jupyterlab-settings"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values))


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """A JupyterLab server on a free port with fresh copies of notebooks 02 and 06."""
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "root"
    root.mkdir()
    for notebook in (NOTEBOOK, WALK_FORWARD):
        book = nbformat.read(notebook, as_version=4)
        for cell in book.cells:  # start from a clean page: nothing rendered from stored outputs
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        book.metadata.pop("widgets", None)
        nbformat.write(book, root / notebook.name)

    env = dict(os.environ)
    for name in (
        "JUPYTER_CONFIG_DIR",
        "JUPYTER_DATA_DIR",
        "JUPYTER_RUNTIME_DIR",
        "IPYTHONDIR",
        "JUPYTERLAB_SETTINGS_DIR",
        "JUPYTERLAB_WORKSPACES_DIR",
    ):
        path = base / name.lower()
        path.mkdir()
        env[name] = str(path)
    settings = Path(env["JUPYTERLAB_SETTINGS_DIR"])
    _write_settings(
        settings,
        "@jupyterlab/apputils-extension:notification",
        {"fetchNews": "false", "checkForUpdates": False},
    )
    # Keep every cell in the DOM (no virtual scrolling), so outputs stay queryable.
    _write_settings(settings, "@jupyterlab/notebook-extension:tracker", {"windowingMode": "none"})

    port = _free_port()
    log = open(base / "jupyterlab.log", "wb")  # closed in the finally below
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            f"--port={port}",
            "--ip=127.0.0.1",
            "--ServerApp.token=",
            "--ServerApp.password=",
            "--allow-root",
            f"--ServerApp.root_dir={root}",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=2).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    text = (base / "jupyterlab.log").read_text(errors="replace")[-3000:]
                    pytest.fail(f"JupyterLab did not start on {url}:\n{text}")
                time.sleep(0.3)
        yield {"url": url, "root": root, "log": base / "jupyterlab.log"}
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


def _running_cells(page) -> int:
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.jp-InputArea-prompt'))
                 .filter(e => e.textContent.includes('*')).length"""
    )


def _width(bar) -> float:
    text = bar.evaluate("e => e.style.width") or "0%"
    match = re.match(r"([\d.]+)%", text)
    return float(match.group(1)) if match else 0.0


def _wait(condition, timeout: float, what: str, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def _demo_record(store_dir: Path) -> dict | None:
    if not store_dir.exists():
        return None
    store = TaskStore(store_dir)
    try:
        for record in store.tasks():
            if record["spec"].get("description") == DEMO:
                return record
    finally:
        store.close()
    return None


def _diagnostics(page, jupyterlab) -> str:
    try:
        errors = page.locator(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
        ).all_inner_texts()
        panel = page.locator(".vzb-job-panel").all_inner_texts()
        running = _running_cells(page)
    except Exception as exc:  # the page itself is gone
        errors, panel, running = [f"page unreadable: {exc}"], [], -1
    log = Path(jupyterlab["log"]).read_text(errors="replace")[-2000:]
    return (
        f"cells running: {running}\nerror outputs: {errors[:3]}\n"
        f"panel: {[text[:1500] for text in panel[:1]]}\nserver log tail:\n{log}"
    )


def test_panel_runs_and_cancels_in_jupyterlab(jupyterlab, page, pytestconfig):
    page.set_default_timeout(60_000)
    screenshot = pytestconfig.rootpath / "test-results" / "jupyterlab-02_background_jobs.png"
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    store_dir = jupyterlab["root"] / ".vzb" / "02_background_jobs"
    try:
        page.goto(f"{jupyterlab['url']}/lab/tree/{NOTEBOOK.name}")
        kernel_name = page.locator(".jp-NotebookPanel-toolbar .jp-KernelName")
        kernel_name.wait_for(timeout=90_000)
        _wait(lambda: "Python" in kernel_name.inner_text(), 90, "the kernel to start")

        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()

        # The panel renders as widgets, not as a "Loading widget..." placeholder.
        panel = page.locator(".jp-OutputArea-output .vzb-job-panel").first
        panel.wait_for(state="visible", timeout=120_000)
        row = panel.locator(".vzb-task-row", has_text=DEMO)
        row.wait_for(state="visible", timeout=120_000)
        _wait(lambda: _running_cells(page) == 0, 120, "Run All to finish")
        outputs = page.locator(".jp-OutputArea-output")
        assert outputs.filter(has_text="Loading widget").count() == 0
        assert outputs.filter(has_text="Error displaying widget").count() == 0
        assert panel.locator(".vzb-task-row").count() >= 5

        # While no cell runs, the refresh thread moves the demo task's bar.
        _wait(
            lambda: "vzb-state-running" in (row.get_attribute("class") or ""),
            60,
            "the demo task to run",
        )
        bar = row.locator(".vzb-task-progress .progress-bar")
        first = _width(bar)
        _wait(lambda: _width(bar) > first, 30, f"the progress bar to move past {first}%")
        assert _running_cells(page) == 0
        row.scroll_into_view_if_needed()
        assert row.locator(".vzb-task-state").inner_text().strip() == "running"

        # Cancel that one task from its own button (scoped to the output, not a Lab dialog).
        button = row.locator(".vzb-cancel-button")
        assert button.is_enabled()
        button.click()
        _wait(
            lambda: "vzb-state-cancelled" in (row.get_attribute("class") or ""),
            60,
            "the row to show cancelled",
        )
        assert row.locator(".vzb-task-state").inner_text().strip() == "cancelled"
        assert button.is_disabled()
        record = _wait(
            lambda: (r := _demo_record(store_dir)) and r["status"] == "cancelled" and r,
            30,
            "the store to say cancelled",
        )
        assert record["cancel_requested"] is True
        assert record["units_done"] < record["units_total"]
        # The other tasks were not touched by that click.
        store = TaskStore(store_dir)
        others = [r["status"] for r in store.tasks() if r["task_id"] != record["task_id"]]
        store.close()
        assert sorted(others) == ["cancelled", "completed", "completed", "completed", "completed"]
    except Exception as error:  # say what the page showed: a failing cell, the panel
        raise AssertionError(f"{error}\n{_diagnostics(page, jupyterlab)}") from error
    finally:
        page.screenshot(path=str(screenshot))


def _run_all(page, url: str, notebook: Path) -> None:
    """Open ``notebook`` alone in Lab (``?reset``: not beside the tabs a test before left
    in the workspace), wait for its kernel, and start Run All."""
    page.goto(f"{url}/lab/tree/{notebook.name}?reset")
    kernel_name = page.locator(".jp-NotebookPanel-toolbar .jp-KernelName")
    kernel_name.wait_for(timeout=90_000)
    _wait(lambda: "Python" in kernel_name.inner_text(), 90, "the kernel to start")
    _wait(lambda: "Idle" in page.locator(".jp-StatusBar-Widget").all_inner_texts().__str__(),
          60, "the kernel to be idle")  # fmt: skip
    prompts = page.locator(".jp-CodeCell .jp-InputArea-prompt")
    for _attempt in range(3):  # a click before Lab is wired up does nothing: try again
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
        try:
            _wait(lambda: any(re.search(r"\[[\d*]+\]", t) for t in prompts.all_inner_texts()),
                  10, "Run All to start")  # fmt: skip
            return
        except AssertionError:
            page.keyboard.press("Escape")
    raise AssertionError(f"Run All did not start {notebook.name}")


def _shoot(page, locator, path: Path) -> None:
    """A screenshot of the page with ``locator``'s top at the top of the notebook."""
    locator.evaluate("e => e.scrollIntoView({block: 'start'})")
    time.sleep(0.3)  # let Lab's lazy rendering catch up
    page.screenshot(path=str(path))


def _images_drawn(locator) -> bool:
    """Every ``<img>`` under ``locator`` has loaded and has a width."""
    return locator.evaluate_all(
        "els => els.length > 0 && els.every(e => e.complete && e.naturalWidth > 0)"
    )


def test_walk_forward_notebook_runs_in_jupyterlab(jupyterlab, page, pytestconfig):
    page.set_default_timeout(60_000)
    shots = pytestconfig.rootpath / "test-results"
    shots.mkdir(parents=True, exist_ok=True)
    try:
        _run_all(page, jupyterlab["url"], WALK_FORWARD)
        result = page.locator(".jp-OutputArea-output .vzb-walk-forward").first
        result.wait_for(state="visible", timeout=120_000)
        _wait(lambda: _running_cells(page) == 0, 120, "Run All to finish")
        last = page.locator(".jp-CodeCell").last
        _wait(lambda: "[" in last.locator(".jp-InputArea-prompt").inner_text(), 30, "the last cell")
        prompts = page.locator(".jp-CodeCell .jp-InputArea-prompt").all_inner_texts()
        assert all(re.search(r"\[\d+\]", p) for p in prompts), prompts  # every cell ran

        outputs = page.locator(".jp-OutputArea-output")
        errors = page.locator(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
        )
        assert errors.count() == 0, errors.all_inner_texts()[:3]
        assert outputs.filter(has_text="Loading widget").count() == 0
        assert outputs.filter(has_text="Error displaying widget").count() == 0

        # The sweep view is live widgets: dropdowns, the verdict, heatmap and PBO histogram.
        sweep = page.locator(".jp-OutputArea-output .vzb-sweep-view").first
        sweep.wait_for(state="visible")
        assert sweep.locator("select").count() == 3
        assert "tries by chance" in sweep.locator(".vzb-verdict").inner_text()
        _wait(lambda: _images_drawn(sweep.locator("img")), 30, "the sweep's charts")
        assert sweep.locator("img.vzb-pbo-histogram").count() == 1
        _shoot(page, sweep, shots / "jupyterlab-06_walk_forward-sweep.png")

        # The walk-forward result: the verdict, the comparison, the statistics, the chart.
        verdict = result.locator(".vzb-verdict").inner_text()
        assert "Out of sample (walk-forward) its Sharpe was" in verdict
        assert "PBO" in verdict and "deflated Sharpe" in verdict
        for css in (".vzb-compare", ".vzb-overfitting", ".vzb-folds", ".vzb-stability"):
            assert result.locator(css).count() == 1, css
        assert result.locator(".vzb-folds tbody tr").count() == 10
        _wait(lambda: _images_drawn(result.locator("img")), 30, "the walk-forward chart")
        _shoot(page, result, shots / "jupyterlab-06_walk_forward.png")
        _shoot(page, result.locator("img"), shots / "jupyterlab-06_walk_forward-chart.png")
        _shoot(page, result.locator(".vzb-folds"), shots / "jupyterlab-06_walk_forward-folds.png")
    except Exception as error:
        raise AssertionError(f"{error}\n{_diagnostics(page, jupyterlab)}") from error
    finally:
        page.screenshot(path=str(shots / "jupyterlab-06_walk_forward-page.png"))

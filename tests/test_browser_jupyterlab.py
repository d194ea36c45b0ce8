"""Every example notebook in a real JupyterLab, driven by a real chromium (pytest-playwright).

One JupyterLab server per session serves clean copies of ``notebooks/*.ipynb`` (no stored
outputs, no widget state). Each notebook is opened on a reset workspace and run with "Run
All", and the test checks what a researcher sees: every cell ran, no error output, no
"Loading widget" or "Error displaying widget", no widget error in the browser console, and
every interactive (Plotly) chart answers a hover with its hover label. A notebook whose
committed outputs hold a Plotly figure must show one. A full-page screenshot of each goes to
``test-results/jupyterlab-<notebook>.png``.

Some notebooks get a closer look: in 02 the job panel (one line per task, state colours,
Cancel buttons only on active rows, a bar moving while no cell runs, one task's Cancel
button cancelling that task in the page and in the store); in 06 the sweep view and the
walk-forward result (verdict, tables, charts).

Needs chromium at ``/usr/bin/chromium`` (or ``$VZB_CHROMIUM``); never ``playwright install``.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import nbformat
import pytest
from jupyterlab_session import (
    full_page_screenshot,
    run_all,
    running_cells,
    shut_down_kernels,
    start_jupyterlab,
    wait,
    wait_until_every_cell_ran,
)

from vzb.jobs import TaskStore

CHROMIUM = os.environ.get("VZB_CHROMIUM", "/usr/bin/chromium")
NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
PLOTLY_MIME = "application/vnd.plotly.v1+json"
#: a Plotly chart in an output (Lab's plotly renderer puts the class on the output itself)
PLOTS = ".jp-OutputArea-output.js-plotly-plot, .jp-OutputArea-output .js-plotly-plot"
DEMO = "long demo task"  # the description of notebook 02's last, long-running task
COLOURS = {  # the words of notebook 02: blue running, green completed, red failed, orange
    "running": "rgb(21, 101, 192)",
    "completed": "rgb(46, 125, 50)",
    "failed": "rgb(198, 40, 40)",
    "cancelled": "rgb(239, 108, 0)",
}

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
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}}


@pytest.fixture(scope="session")
def jupyterlab(tmp_path_factory):
    """One JupyterLab server for the session, serving clean copies of every notebook."""
    with start_jupyterlab(tmp_path_factory.mktemp("jupyterlab"), NOTEBOOKS) as server:
        yield server


def _shows_plotly(notebook: Path) -> bool:
    """Whether the committed notebook shows a Plotly figure (a stored plotly output)."""
    book = nbformat.read(notebook, as_version=4)
    return any(
        PLOTLY_MIME in output.get("data", {})
        for cell in book.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


def _diagnostics(page, jupyterlab, console: list[str]) -> str:
    try:
        errors = page.locator(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
        ).all_inner_texts()
        panel = page.locator(".vzb-job-panel").all_inner_texts()
        running = running_cells(page)
    except Exception as exc:  # the page itself is gone
        errors, panel, running = [f"page unreadable: {exc}"], [], -1
    log = Path(jupyterlab["log"]).read_text(errors="replace")[-2000:]
    return (
        f"cells running: {running}\nerror outputs: {errors[:3]}\n"
        f"panel: {[text[:1500] for text in panel[:1]]}\nconsole: {console[-10:]}\n"
        f"server log tail:\n{log}"
    )


def _hover_answers(page, plot) -> bool:
    """Move the mouse over ``plot``'s drawing area until a hover label appears."""
    plot.scroll_into_view_if_needed()
    drag = plot.locator(".nsewdrag").first
    box = drag.bounding_box()
    assert box and box["width"] > 50 and box["height"] > 30, f"no drawing area: {box}"
    for fy in (0.5, 0.3, 0.7, 0.15, 0.85):
        for fx in (0.5, 0.3, 0.7, 0.15, 0.85, 0.05, 0.95):
            page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
            try:
                wait(lambda: plot.locator(".hoverlayer .hovertext").count() > 0, 0.6, "hover")
                return True
            except AssertionError:
                continue
    return False


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_notebook_runs_in_jupyterlab(notebook, jupyterlab, page, pytestconfig):
    page.set_default_timeout(60_000)
    shots = pytestconfig.rootpath / "test-results"
    shots.mkdir(parents=True, exist_ok=True)
    console: list[str] = []
    page.on("console", lambda m: m.type == "error" and console.append(m.text))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    try:
        run_all(page, jupyterlab["url"], notebook.name)
        wait_until_every_cell_ran(page, timeout=200)

        outputs = page.locator(".jp-OutputArea-output")
        errors = page.locator(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
        )
        assert errors.count() == 0, errors.all_inner_texts()[:3]
        wait(lambda: outputs.filter(has_text="Loading widget").count() == 0, 30,
             "every widget to render")  # fmt: skip
        assert outputs.filter(has_text="Error displaying widget").count() == 0
        widget_errors = [m for m in console if re.search(r"widget|model|comm", m, re.I)]
        assert widget_errors == [], widget_errors

        plots = page.locator(PLOTS)
        if _shows_plotly(notebook):
            wait(lambda: plots.count() > 0, 30, "the notebook's Plotly chart")
        for index in range(plots.count()):
            assert _hover_answers(page, plots.nth(index)), f"chart {index} shows no hover label"
        page.mouse.move(0, 0)

        check = NOTEBOOK_CHECKS.get(notebook.stem)
        if check is not None:
            check(page, jupyterlab, shots)
    except Exception as error:  # say what the page showed: a failing cell, the panel
        raise AssertionError(f"{error}\n{_diagnostics(page, jupyterlab, console)}") from error
    finally:
        try:
            full_page_screenshot(page, shots / f"jupyterlab-{notebook.stem}.png")
        finally:
            shut_down_kernels(page, jupyterlab["url"])


# ---------------------------------------------------------------------------- 02: the panel
def _width(bar) -> float:
    text = bar.evaluate("e => e.style.width") or "0%"
    match = re.match(r"([\d.]+)%", text)
    return float(match.group(1)) if match else 0.0


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


def _css(locator, prop: str) -> str:
    return locator.evaluate(f"e => getComputedStyle(e)[{prop!r}]")


def check_job_panel(page, jupyterlab, shots: Path) -> None:
    store_dir = jupyterlab["root"] / ".vzb" / "02_background_jobs"
    panel = page.locator(".jp-OutputArea-output .vzb-job-panel").first
    panel.wait_for(state="visible")
    row = panel.locator(".vzb-task-row", has_text=DEMO)
    row.wait_for(state="visible")
    rows = panel.locator(".vzb-task-row")
    assert rows.count() >= 6

    # One line per task: every row's line is one text line high, descriptions cut short.
    for line in panel.locator(".vzb-task-line").all():
        assert line.bounding_box()["height"] < 45, line.inner_text()
    description = row.locator(".vzb-task-description")
    text = description.locator(".widget-html-content > div")
    assert DEMO in (text.get_attribute("title") or "")  # the full text on hover
    assert _css(text, "textOverflow") == "ellipsis"
    # "Cancel all" and "Hide finished" at the right edge of the panel
    right = panel.bounding_box()["x"] + panel.bounding_box()["width"]
    toggle = panel.locator(".vzb-hide-finished").bounding_box()
    assert right - (toggle["x"] + toggle["width"]) < 24
    assert panel.locator(".vzb-cancel-all").bounding_box()["x"] < toggle["x"]

    # Finished rows: a full bar in the state's colour, the word in that colour, no Cancel.
    for status in ("completed", "failed"):
        done = panel.locator(f".vzb-task-row.vzb-state-{status}").first
        assert _width(done.locator(".progress-bar")) == 100
        assert _css(done.locator(".progress-bar"), "backgroundColor") == COLOURS[status]
        assert _css(done.locator(".vzb-task-state b"), "color") == COLOURS[status]
        assert not done.locator(".vzb-cancel-button").is_visible()

    # The failed task's error opens to a trimmed traceback; the full one is a click further.
    failed = panel.locator(".vzb-task-row.vzb-state-failed").first
    error = failed.locator(".vzb-task-error")
    assert "ValueError: no candles for XRP_USD" in error.inner_text()
    error.locator(
        ".lm-AccordionPanel-title, .p-Collapse-header, .jupyter-widget-Collapse-header"
    ).first.click()
    trimmed = failed.locator(".vzb-task-error pre")
    trimmed.wait_for(state="visible")
    assert "vzb/jobs/units.py" in trimmed.inner_text()
    assert "process_executor.py" not in trimmed.inner_text()
    failed.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "jupyterlab-02_background_jobs-failed.png"))
    failed.locator(".vzb-full-traceback").click()
    wait(lambda: "process_executor.py" in trimmed.inner_text(), 10, "the full traceback")

    # While no cell runs, the refresh thread moves the demo task's bar.
    wait(lambda: "vzb-state-running" in (row.get_attribute("class") or ""), 60,
         "the demo task to run")  # fmt: skip
    bar = row.locator(".vzb-task-progress .progress-bar")
    first = _width(bar)
    wait(lambda: _width(bar) > first, 30, f"the progress bar to move past {first}%")
    assert running_cells(page) == 0
    row.scroll_into_view_if_needed()
    state = row.locator(".vzb-task-state")
    assert state.inner_text().strip() == "running"
    assert _css(state.locator("b"), "color") == COLOURS["running"]
    assert _css(bar, "backgroundColor") == COLOURS["running"]
    page.screenshot(path=str(shots / "jupyterlab-02_background_jobs-panel.png"))

    # Cancel that one task from its own button (scoped to the output, not a Lab dialog).
    button = row.locator(".vzb-cancel-button")
    assert button.is_enabled()
    button.click()
    wait(lambda: "vzb-state-cancelled" in (row.get_attribute("class") or ""), 60,
         "the row to show cancelled")  # fmt: skip
    assert state.inner_text().strip() == "cancelled"
    assert _css(state.locator("b"), "color") == COLOURS["cancelled"]
    wait(lambda: _width(bar) == 100, 10, "the cancelled bar to fill")
    assert _css(bar, "backgroundColor") == COLOURS["cancelled"]
    assert not button.is_visible()
    record = wait(
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
    assert sorted(others) == ["cancelled", *["completed"] * 4, "failed"]
    panel.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "jupyterlab-02_background_jobs-cancelled.png"))


# ---------------------------------------------------------------------- 06: walk-forward
def _charts_drawn(locator) -> bool:
    """Every chart under ``locator`` is drawn: a Plotly chart with its SVG, or a loaded
    ``<img>`` outside Plotly charts."""
    return locator.evaluate(
        """root => {
            const plots = Array.from(root.querySelectorAll('.js-plotly-plot'));
            const images = Array.from(root.querySelectorAll('img'))
                .filter(e => !e.closest('.js-plotly-plot'));
            return plots.length + images.length > 0
                && plots.every(e => e.querySelector('svg.main-svg'))
                && images.every(e => e.complete && e.naturalWidth > 0);
        }"""
    )


def check_walk_forward(page, jupyterlab, shots: Path) -> None:
    # The sweep view is live widgets: dropdowns, the verdict, its charts.
    sweep = page.locator(".jp-OutputArea-output .vzb-sweep-view").first
    sweep.wait_for(state="visible")
    assert sweep.locator("select").count() >= 2
    assert "tries by chance" in sweep.locator(".vzb-verdict").inner_text()
    wait(lambda: _charts_drawn(sweep), 30, "the sweep's charts")
    sweep.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(shots / "jupyterlab-06_walk_forward-sweep.png"))

    # The walk-forward report (one cell, a few outputs): the verdict, the comparison, the
    # statistics, the interactive chart, the folds and the parameter stability.
    cell = page.locator(".jp-CodeCell", has_text="vzb.walk_forward(candles")
    verdict = cell.locator(".vzb-verdict").first.inner_text()
    assert "Out of sample (walk-forward) its Sharpe was" in verdict
    assert "PBO" in verdict and "deflated Sharpe" in verdict
    for css in (".vzb-compare", ".vzb-overfitting", ".vzb-folds", ".vzb-stability"):
        assert cell.locator(css).count() == 1, css
    assert cell.locator(".vzb-folds tbody tr").count() == 10
    wait(lambda: _charts_drawn(cell), 30, "the walk-forward chart")
    cell.locator(".vzb-verdict").first.evaluate("e => e.scrollIntoView({block: 'start'})")
    time.sleep(0.3)
    page.screenshot(path=str(shots / "jupyterlab-06_walk_forward-result.png"))


NOTEBOOK_CHECKS = {
    "02_background_jobs": check_job_panel,
    "06_walk_forward": check_walk_forward,
}

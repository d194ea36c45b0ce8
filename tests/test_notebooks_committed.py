"""The committed example notebooks: no frozen widget state, outputs stored, files small.

A reader who opens a notebook must not see a stale job panel ("3 queued, 1 running") before
running anything; nbval still needs the stored outputs it compares.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
MAX_BYTES = 1_000_000  # a notebook with a few downsampled Plotly charts stays well under


def _strip_module():
    spec = importlib.util.spec_from_file_location(
        "strip_widget_state", NOTEBOOK_DIR / "strip_widget_state.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_notebook_has_no_widget_state_and_stays_small(path):
    notebook = nbformat.read(path, as_version=4)
    assert "widgets" not in notebook.metadata, f"{path.name}: strip_widget_state.py it"
    views = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        for output in cell.outputs
        if WIDGET_VIEW in output.get("data", {})
    ]
    assert views == [], f"{path.name}: widget views stored in cells {views}"
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code), f"{path.name}: not executed whole"
    assert path.stat().st_size < MAX_BYTES


def test_strip_widget_state_removes_views_and_keeps_what_nbval_compares(tmp_path):
    book = nbformat.v4.new_notebook()
    view = {"model_id": "abc", "version_major": 2, "version_minor": 0}
    panel = nbformat.v4.new_code_cell("# NBVAL_IGNORE_OUTPUT\npanel")
    panel.outputs = [
        nbformat.v4.new_output(
            "execute_result",
            {WIDGET_VIEW: view, "text/plain": "JobPanel: 3 queued"},
            execution_count=1,
        )
    ]
    sweep = nbformat.v4.new_code_cell("sweep_view(table)")
    sweep.outputs = [
        nbformat.v4.new_output("stream", text="42 sets\n"),
        nbformat.v4.new_output(
            "execute_result", {WIDGET_VIEW: view, "text/plain": "Sweep"}, execution_count=2
        ),
    ]
    book.cells = [panel, sweep]
    book.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    path = tmp_path / "book.ipynb"
    nbformat.write(book, path)

    assert _strip_module().main([str(path)]) == 0
    stripped = nbformat.read(path, as_version=4)
    assert "widgets" not in stripped.metadata
    assert stripped.cells[0].outputs == []  # ignored by nbval: nothing stale stored
    outputs = stripped.cells[1].outputs
    assert outputs[0]["text"] == "42 sets\n"
    assert dict(outputs[1]["data"]) == {"text/plain": "Sweep"}  # nbval compares this
    assert stripped.cells[0].source == panel.source

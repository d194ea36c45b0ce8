"""Strip frozen widget state from example notebooks before they are committed.

A stored ipywidgets view is a snapshot: a reader opening the notebook would see a job
panel saying "3 queued, 1 running" before running anything. This script removes, in place:

- ``metadata.widgets`` (the saved widget models);
- every output of a cell marked ``# NBVAL_IGNORE_OUTPUT`` that holds a widget view (its
  output is not compared by nbval, so storing it only shows a stale state);
- the widget-view part (``application/vnd.jupyter.widget-view+json``) of any other output,
  keeping its plain-text repr, which nbval still compares.

Run after executing a notebook::

    .venv/bin/jupyter nbconvert --to notebook --execute --inplace notebooks/02_background_jobs.ipynb
    .venv/bin/python notebooks/strip_widget_state.py notebooks/*.ipynb
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
IGNORE_TAG = "NBVAL_IGNORE_OUTPUT"


def strip_widget_state(notebook: nbformat.NotebookNode) -> int:
    """Remove widget state from ``notebook`` in place; return how many outputs changed."""
    changed = 0
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        ignored = IGNORE_TAG in cell.source
        kept = []
        for output in cell.outputs:
            data = output.get("data", {})
            if WIDGET_VIEW not in data:
                kept.append(output)
                continue
            changed += 1
            if ignored:
                continue
            del data[WIDGET_VIEW]
            if data:
                kept.append(output)
        cell.outputs = kept
    return changed


def main(paths: list[str]) -> int:
    for path in map(Path, paths):
        notebook = nbformat.read(path, as_version=4)
        had_state = "widgets" in notebook.metadata
        changed = strip_widget_state(notebook)
        nbformat.write(notebook, path)
        state = ", widget state" if had_state else ""
        print(f"{path}: {changed} widget output(s){state} removed, {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

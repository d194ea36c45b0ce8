"""The package as a newcomer meets it: a fast import, a small public API, a true README."""

import re
import subprocess
import sys
from pathlib import Path

import vzb

ROOT = Path(__file__).resolve().parents[1]


def test_every_public_name_resolves():
    for name in vzb.__all__:
        assert getattr(vzb, name) is not None, name
    assert sorted(dir(vzb)) == sorted(vzb.__all__)
    assert set(vzb.__all__) == {"__version__", *vzb._API}


def test_import_loads_no_numba_nor_widgets():
    # import time itself is measured in benchmarks/bench_import.py
    code = "import sys, vzb; print(sorted({'numba', 'ipywidgets', 'joblib'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_readme_quick_start_has_exactly_two_commands():
    text = (ROOT / "README.md").read_text()
    section = re.search(r"^## Quick start\n(.*?)(?=^## )", text, re.S | re.M).group(1)
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", section, re.S | re.M)
    assert len(blocks) == 2
    assert "vzb demo" in blocks[0] and "pip install -e '.[dev]'" in blocks[0]
    assert "pytest" in blocks[1]


def test_ci_runs_the_readme_commands():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "README.md" in ci and 'bash -c "${commands[1]}"' in ci

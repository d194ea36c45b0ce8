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


#: the layers, lowest first: a module may import its own layer and those below it
LAYERS = ("data", "strategies", "engine", "analysis", "results", "jobs", "widgets", "cli")


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if (
        parts[0] != "vzb"
        or len(parts) < 2
        or parts[1] in ("errors", "_version", "_hooks", "_lazy", "_home", "__init__")
    ):
        return None  # outside vzb, the top package, or the base every layer may use
    return LAYERS.index(parts[1])


def _imports(path: Path) -> list[tuple[int, str]]:
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            found += [(node.lineno, node.module if node.module != "vzb" else n) for n in names]
    return found


def test_no_layer_imports_a_higher_one_not_even_lazily():
    wrong = []
    for path in sorted((ROOT / "vzb").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        own = _layer(module)
        if own is None:
            continue
        for line, imported in _imports(path):
            other = _layer(imported)
            if other is not None and other > own:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    assert not wrong, "lower layers import higher ones:\n" + "\n".join(wrong)


def test_only_the_strategies_name_the_builtins():
    """Outside a built-in's own package, only the registry's list of built-ins names it."""
    wrong = []
    for path in sorted((ROOT / "vzb").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        for name in ("volume_zone_breakout", "volume_long_candle"):
            if relative.startswith(f"vzb/strategies/{name}/"):
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if name not in line:
                    continue
                if relative == "vzb/strategies/registry.py" and line.startswith(
                    (f'    "{name}": ', f'DEFAULT_STRATEGY = "{name}"')
                ):
                    continue
                wrong.append(f"{relative}:{number}: {line.strip()}")
    assert not wrong, "built-in strategies named outside their modules:\n" + "\n".join(wrong)


def test_checking_parameters_grids_and_options_loads_neither_numba_nor_pandas():
    code = (
        "import sys; from vzb.strategies import get_strategy, list_strategies\n"
        "from vzb.engine import parameter_sets, validate_options\n"
        "for name in list_strategies(): get_strategy(name).validate({})\n"
        "parameter_sets(list_strategies()[0], {'volume_window': [10, 20]})\n"
        "validate_options(fees=0.001, stop_loss=0.05)\n"
        "print(sorted({'numba', 'pandas', 'numpy'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_no_module_is_over_400_lines():
    long = [
        f"{p.relative_to(ROOT)}: {n}"
        for p in sorted((ROOT / "vzb").rglob("*.py"))
        if (n := len(p.read_text().splitlines())) > 400
    ]
    assert not long, long

"""A real JupyterLab server and the page actions the browser tests share.

:func:`start_jupyterlab` starts ``python -m jupyterlab`` on a free port in a temporary root
(every ``JUPYTER_*`` directory in tmp too, news and update checks off, no virtual
scrolling) with clean copies of the example notebooks (no stored outputs, no widget state:
what a reader sees after Run All is what this session computed). The helpers drive it from
a pytest-playwright ``page``.
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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat

JUPYTER_DIRS = (
    "JUPYTER_CONFIG_DIR",
    "JUPYTER_DATA_DIR",
    "JUPYTER_RUNTIME_DIR",
    "IPYTHONDIR",
    "JUPYTERLAB_SETTINGS_DIR",
    "JUPYTERLAB_WORKSPACES_DIR",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_settings(settings_dir: Path, plugin: str, values: dict) -> None:
    package, name = plugin.rsplit(":", 1)
    path = settings_dir / package / f"{name}.jupyterlab-settings"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values))


def clean_copy(notebook: Path, root: Path) -> None:
    """Copy ``notebook`` into ``root`` without outputs, execution counts or widget state."""
    book = nbformat.read(notebook, as_version=4)
    for cell in book.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    book.metadata.pop("widgets", None)
    nbformat.write(book, root / notebook.name)


@contextmanager
def start_jupyterlab(base: Path, notebooks: list[Path]) -> Iterator[dict]:
    """Run a JupyterLab server in ``base`` serving clean copies of ``notebooks``.

    Yields ``{"url", "root", "log"}``; the server is terminated on exit.
    """
    root = base / "root"
    root.mkdir()
    for notebook in notebooks:
        clean_copy(notebook, root)
    env = dict(os.environ)
    for name in JUPYTER_DIRS:
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
    log_path = base / "jupyterlab.log"
    log = open(log_path, "wb")  # closed in the finally below
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
                    text = log_path.read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"JupyterLab did not start on {url}:\n{text}") from None
                time.sleep(0.3)
        yield {"url": url, "root": root, "log": log_path}
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


def wait(condition, timeout: float, what: str, interval: float = 0.25):
    """Poll ``condition`` until it returns something true; AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def running_cells(page) -> int:
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.jp-InputArea-prompt'))
                 .filter(e => e.textContent.includes('*')).length"""
    )


def run_all(page, url: str, name: str) -> None:
    """Open notebook ``name`` alone in Lab (``?reset``: not beside the tabs a test before
    left in the workspace), wait for its kernel, and start Run All."""
    page.goto(f"{url}/lab/tree/{name}?reset")
    kernel_name = page.locator(".jp-NotebookPanel-toolbar .jp-KernelName")
    kernel_name.wait_for(timeout=90_000)
    wait(lambda: "Python" in kernel_name.inner_text(), 90, "the kernel to start")
    wait(lambda: "Idle" in str(page.locator(".jp-StatusBar-Widget").all_inner_texts()),
         60, "the kernel to be idle")  # fmt: skip
    prompts = page.locator(".jp-CodeCell .jp-InputArea-prompt")
    for _attempt in range(3):  # a click before Lab is wired up does nothing: try again
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
        try:
            wait(lambda: any(re.search(r"\[[\d*]+\]", t) for t in prompts.all_inner_texts()),
                 10, "Run All to start")  # fmt: skip
            return
        except AssertionError:
            page.keyboard.press("Escape")
    raise AssertionError(f"Run All did not start {name}")


def wait_until_every_cell_ran(page, timeout: float) -> list[str]:
    """Wait until no cell is running and every code cell has an execution count."""
    prompts = page.locator(".jp-CodeCell .jp-InputArea-prompt")

    def done():
        texts = prompts.all_inner_texts()
        return texts if texts and all(re.search(r"\[\d+\]", t) for t in texts) else None

    return wait(done, timeout, "every cell to run")


def full_page_screenshot(page, path: Path, max_height: int = 16_000) -> None:
    """A screenshot of the whole notebook: the viewport is made as tall as the notebook
    (Lab scrolls inside its own panel, so Playwright's ``full_page`` alone shows one
    screen), then set back."""
    size = page.viewport_size
    height = page.evaluate(
        """() => {
            const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) '
                                                 + '.jp-WindowedPanel-outer')
                       || document.querySelector('.jp-Notebook');
            if (!panel) return 0;
            panel.scrollTop = 0;
            const inner = panel.querySelector('.jp-WindowedPanel-viewport') || panel;
            return Math.min(panel.scrollHeight, inner.scrollHeight + 100);
        }"""
    )
    tall = min(max(size["height"], int(height) + 200), max_height)
    page.set_viewport_size({"width": size["width"], "height": tall})
    try:
        time.sleep(0.5)  # let Lab lay the taller page out
        page.evaluate(
            """() => document.querySelectorAll('.jp-WindowedPanel-outer')
                     .forEach(e => { e.scrollTop = 0; })"""
        )
        time.sleep(0.2)
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(size)


def shut_down_kernels(page, url: str) -> None:
    """Delete every session (and so its kernel) through the REST API: a finished
    notebook's kernel and worker processes must not slow down the next one."""
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    headers = {"X-XSRFToken": cookies.get("_xsrf", "")}
    sessions = page.request.get(f"{url}/api/sessions", headers=headers).json()
    for session in sessions:
        page.request.delete(f"{url}/api/sessions/{session['id']}", headers=headers)

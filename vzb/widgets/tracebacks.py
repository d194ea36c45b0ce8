"""A failed task's traceback trimmed to the frames a researcher can act on: vzb's and
their own. Frames of the process pool (loky, joblib, ``concurrent.futures``), of other
installed packages and of the standard library are left out, with a line that says so;
loky's re-raise in the parent process is dropped (the worker's traceback is the one).

>>> text = '''Traceback (most recent call last):
...   File "/env/site-packages/joblib/externals/loky/process_executor.py", line 490, in run
...     r = call_item()
...         ^^^^^^^^^^^
...   File "/home/me/vzb/jobs/worker.py", line 173, in execute
...     output = function(context)
...   File "/home/me/research/my_strategy.py", line 12, in signals
...     raise ValueError("no data")
... ValueError: no data'''
>>> print(trim_traceback(text))
Traceback (most recent call last):
  File "/home/me/vzb/jobs/worker.py", line 173, in execute
    output = function(context)
  File "/home/me/research/my_strategy.py", line 12, in signals
    raise ValueError("no data")
ValueError: no data
(1 frame of joblib left out)
"""

from __future__ import annotations

import re
import sysconfig

from vzb.widgets.formatting import format_count

__all__ = ["trim_traceback"]

_FRAME = re.compile(r'^(\s*)File "(?P<path>[^"]+)", line \d+')
_CARETS = re.compile(r"^\s*[\^~]+\s*$")
_REMOTE = re.compile(r'_RemoteTraceback:\s*\n"""\n(?P<inner>.*?)\n"""', re.S)
_STDLIB = tuple(
    p.replace("\\", "/").rstrip("/") + "/"
    for p in {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]}
)
_PACKAGES = re.compile(r"/(?:site|dist)-packages/(?P<package>[^/]+)")


def _library(path: str) -> str | None:
    """The library a frame's file belongs to, or None for vzb and the user's own code."""
    path = path.replace("\\", "/")
    if re.search(r"(^|/)vzb/", path):
        return None
    match = _PACKAGES.search(path)
    if match:
        return match.group("package").split(".")[0]
    for prefix in _STDLIB:
        if path.startswith(prefix):
            rest = path[len(prefix) :].split("/")[0]
            return rest.removesuffix(".py") or "python"
    return None


def trim_traceback(text: str) -> str:
    """Leave only vzb's and the user's frames in a traceback text.

    Parameters
    ----------
    text : str
        A traceback as ``traceback.format_exception`` writes it (as a task's
        ``error["traceback"]`` holds it).

    Returns
    -------
    str
        The traceback without library frames and caret lines, ending with
        ``"(N frames of joblib, loky left out)"`` when any were dropped; a text with no
        frame comes back unchanged.

    Examples
    --------
    >>> trim_traceback("ValueError: bad window")
    'ValueError: bad window'
    """
    remote = _REMOTE.search(text)
    if remote:  # loky re-raises the worker's error in the parent: keep the worker's
        text = remote.group("inner")
    kept: list[str] = []
    dropped: dict[str, int] = {}
    skipping_indent: int | None = None
    for line in text.splitlines():
        frame = _FRAME.match(line)
        if frame:
            library = _library(frame.group("path"))
            if library is not None:
                dropped[library] = dropped.get(library, 0) + 1
                skipping_indent = len(frame.group(1))
                continue
            skipping_indent = None
        elif skipping_indent is not None:
            indent = len(line) - len(line.lstrip())
            if indent > skipping_indent and line.strip():
                continue  # the source lines of a dropped frame
            skipping_indent = None
        if _CARETS.match(line):
            continue
        kept.append(line)
    if dropped:
        count = sum(dropped.values())
        names = ", ".join(sorted(dropped))
        kept.append(f"({format_count(count, 'frame')} of {names} left out)")
    return "\n".join(kept)

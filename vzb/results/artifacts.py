"""Artifacts: a run's files (Parquet, ``meta.json``) with their size and SHA-256, on the
local disk (the default: they stay where the run saved them) or on any fsspec URL
(``s3://bucket/vzb``, ``memory://vzb``), copied there under the run id.

>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> with open(os.path.join(folder, "table.parquet"), "wb") as f:
...     _ = f.write(b"abc")
>>> store = ArtifactStore("memory://doctest-artifacts")
>>> [artifact] = store.put("run1", {"table.parquet": os.path.join(folder, "table.parquet")})
>>> artifact["uri"], artifact["size"], store.verify(artifact)
('memory://doctest-artifacts/run1/table.parquet', 3, None)
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from typing import Any

__all__ = ["ArtifactStore", "checksum", "files_under"]

_CHUNK = 1 << 20


def checksum(stream) -> tuple[int, str]:
    """``(size, "sha256:<hex>")`` of a binary stream read to its end."""
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return size, "sha256:" + digest.hexdigest()


def files_under(path: str, name: str) -> dict[str, str]:
    """``{artifact name: local file}`` for a file, or every file under a folder (names
    ``name/relative/path``), sorted."""
    found: dict[str, str] = {}
    folders = [(path, name)]
    while folders:
        folder, prefix = folders.pop()
        try:
            entries = list(os.scandir(folder))
        except NotADirectoryError:
            return {name: path}
        for entry in entries:
            if entry.is_dir():
                folders.append((entry.path, prefix + "/" + entry.name))
            else:
                found[prefix + "/" + entry.name] = entry.path
    return dict(sorted(found.items()))


class ArtifactStore:
    """Where artifacts live: ``url`` None for the local disk, else an fsspec URL.

    Parameters
    ----------
    url : str, optional
        ``"s3://bucket/prefix"``, ``"memory://prefix"``, a local folder... None: the files
        stay where the run saved them (in the store's ``results/``).
    storage_options : dict, optional
        fsspec options (credentials come from the usual environment otherwise).
    """

    def __init__(self, url: str | None = None, storage_options: Mapping[str, Any] | None = None):
        self.url = None if url is None else str(url).rstrip("/")
        self.storage_options = dict(storage_options or {})
        self._fs = None

    def __repr__(self) -> str:
        return f"ArtifactStore({self.url or 'local disk'!r})"

    def fs_of(self, uri: str):
        """The fsspec filesystem and path of ``uri`` (local paths too)."""
        import fsspec

        if self.url and uri.startswith(self.url):  # one filesystem object for our URL
            if self._fs is None:
                self._fs = fsspec.core.url_to_fs(self.url, **self.storage_options)[0]
            return self._fs, self._fs._strip_protocol(uri)
        return fsspec.core.url_to_fs(uri)

    def put(self, run_id: str, files: Mapping[str, str]) -> list[dict[str, Any]]:
        """Describe (and, with a URL, copy) ``{name: local file or folder}``; returns the
        artifacts (a folder's files named ``name/...``):
        ``{"name", "uri", "size", "checksum"}``. A copy is read back to check its size.

        Raises
        ------
        OSError
            The artifact store is unreachable (nothing is recorded then).
        """
        artifacts = []
        fs = root = None
        files = {n: f for name, path in files.items() for n, f in files_under(path, name).items()}
        if self.url is not None:
            fs, root = self.fs_of(self.url)
        for name, local in files.items():
            with open(local, "rb") as f:
                size, digest = checksum(f)
            uri = os.path.abspath(local)
            if fs is not None:
                target = f"{root}/{run_id}/{name}"
                fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
                fs.put_file(local, target)
                if fs.size(target) != size:
                    raise OSError(f"Copy of {local} to {target} has the wrong size; try again")
                uri = f"{self.url}/{run_id}/{name}"
            artifacts.append({"name": name, "uri": uri, "size": size, "checksum": digest})
        return artifacts

    def verify(self, artifact: Mapping[str, Any], *, full: bool = True) -> str | None:
        """What is wrong with a recorded artifact (missing, size, checksum), or None.

        ``full=False`` compares sizes only (no download)."""
        uri = artifact["uri"]
        try:
            fs, path = self.fs_of(uri)
            if not fs.exists(path):
                return f"missing: {uri}"
            size = fs.size(path)
            if size != artifact["size"]:
                return f"size {size} != recorded {artifact['size']}: {uri}"
            if full:
                with fs.open(path, "rb") as f:
                    _, digest = checksum(f)
                if digest != artifact["checksum"]:
                    return f"checksum differs from the recorded one: {uri}"
        except OSError as exc:
            return f"unreadable ({type(exc).__name__}: {exc}): {uri}"
        return None

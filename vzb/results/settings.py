"""Where runs are recorded and when: the catalog URL, the artifact URL, the record mode.

Each setting comes from :func:`configure` (this process), else the environment, else the
default: the catalog is an SQLite file in the store (``$VZB_HOME`` or ``./.vzb``), the
artifacts stay in the store's ``results/`` folder, and direct runs are recorded only when
asked (``vzb.record(result)``); job runs are always recorded.

=====================  ==================  =========================================
setting                environment         default
=====================  ==================  =========================================
``catalog_url``        ``VZB_CATALOG_URL``  ``sqlite:///{store}/catalog.sqlite``
``results_url``        ``VZB_RESULTS_URL``  the store's ``results/`` (local disk)
``record``             ``VZB_RECORD``       ``"ask"`` (``"always"``: every direct run)
``storage_options``    (none)              ``{}`` (fsspec options, e.g. an S3 endpoint)
=====================  ==================  =========================================

>>> catalog_url("/tmp/store")
'sqlite:////tmp/store/catalog.sqlite'
>>> configure(record="always")["record"], configure(record="ask")["record"]
('always', 'ask')
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from vzb._home import home_dir
from vzb.errors import ParameterError

__all__ = ["RECORD_MODES", "catalog_url", "configure", "record_mode", "results_url", "settings"]

#: ``"ask"``: direct runs are recorded by ``vzb.record``; ``"always"``: every direct run
RECORD_MODES = ("ask", "always")
_CATALOG_FILE = "catalog.sqlite"
_SET: dict[str, Any] = {}
_UNSET = object()


def configure(
    *,
    record: str | Any | None = _UNSET,
    catalog_url: str | Any | None = _UNSET,
    results_url: str | Any | None = _UNSET,
    storage_options: Mapping[str, Any] | Any | None = _UNSET,
) -> dict[str, Any]:
    """Set where and when this process records runs; returns the settings in force.

    Parameters
    ----------
    record : {"ask", "always"}, optional
        ``"always"`` records every direct ``vzb.backtest``, ``vzb.sweep`` and
        ``vzb.walk_forward`` (job runs are always recorded). ``None`` goes back to
        ``$VZB_RECORD`` or ``"ask"``.
    catalog_url : str, optional
        A SQLAlchemy URL (``"postgresql+psycopg://user@host/db"``); ``None``: the default.
    results_url : str, optional
        Where artifacts go: a folder or an fsspec URL (``"s3://bucket/vzb"``).
    storage_options : dict, optional
        fsspec options for ``results_url`` (``{"client_kwargs": {"endpoint_url": ...}}``).

    Settings a worker process needs too (catalog and artifact URLs) are also put in the
    environment, which worker processes started later inherit.
    """
    given = {"record": record, "catalog_url": catalog_url, "results_url": results_url}
    given["storage_options"] = storage_options
    for name, value in given.items():
        if value is _UNSET:
            continue
        if name == "record" and value is not None and value not in RECORD_MODES:
            raise ParameterError(f"record={value!r} must be one of {RECORD_MODES} (or None)")
        if value is None:
            _SET.pop(name, None)
        else:
            _SET[name] = dict(value) if name == "storage_options" else str(value)
        env = {"catalog_url": "VZB_CATALOG_URL", "results_url": "VZB_RESULTS_URL"}.get(name)
        if env is not None:
            if value is None:
                os.environ.pop(env, None)
            else:
                os.environ[env] = str(value)
    return settings()


def settings() -> dict[str, Any]:
    """The settings in force (``catalog_url`` and ``results_url`` None: the store's)."""
    return {
        "record": record_mode(),
        "catalog_url": _SET.get("catalog_url") or os.environ.get("VZB_CATALOG_URL") or None,
        "results_url": results_url(),
        "storage_options": dict(_SET.get("storage_options") or {}),
    }


def record_mode() -> str:
    """``"always"`` or ``"ask"`` (see :func:`configure`)."""
    mode = _SET.get("record") or os.environ.get("VZB_RECORD") or "ask"
    if mode not in RECORD_MODES:
        raise ParameterError(f"VZB_RECORD={mode!r} must be one of {RECORD_MODES}")
    return mode


def catalog_url(store: str | os.PathLike | None = None, url: str | None = None) -> str:
    """The catalog's SQLAlchemy URL: ``url``, else the configured one, else an SQLite file
    in the store ``store`` (default ``$VZB_HOME`` or ``./.vzb``)."""
    if url:
        return str(url)
    chosen = _SET.get("catalog_url") or os.environ.get("VZB_CATALOG_URL")
    if chosen:
        return chosen
    return "sqlite:///" + os.path.join(os.path.abspath(home_dir(store)), _CATALOG_FILE)


def results_url() -> str | None:
    """The configured artifact URL, or None (artifacts stay in the store's ``results/``)."""
    return _SET.get("results_url") or os.environ.get("VZB_RESULTS_URL") or None


def storage_options() -> dict[str, Any]:
    """fsspec options for the artifact URL (set with :func:`configure`)."""
    return dict(_SET.get("storage_options") or {})

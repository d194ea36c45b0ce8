"""The run catalog: one row per finished run, its artifacts and tags, in SQL.

An SQLite file in the store by default, PostgreSQL (``postgresql+psycopg://...``) for a
team; the schema is brought up to date (:mod:`vzb.results.migrations`) when a catalog is
opened, under a lock, so two kernels opening a new catalog at once do not race. Inserting
a run is idempotent, keyed by its run id: a record written twice (two kernels syncing the
same pending record) is stored once.

>>> import tempfile
>>> catalog = open_catalog(url="sqlite:///" + tempfile.mkdtemp() + "/catalog.sqlite")
>>> record = {"run_id": "r1", "kind": "backtest", "created_at": 0.0, "symbols": ["BTC_USD"],
...           "artifacts": [], "tags": ["first"]}
>>> catalog.insert(record), catalog.insert(record), catalog.count()
(True, False, 1)
>>> [row["run_id"] for row in catalog.query(symbol="BTC_USD", tag="first")]
['r1']
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from vzb.errors import ParameterError
from vzb.results import migrations
from vzb.results.settings import catalog_url

__all__ = ["CATALOG_ERRORS", "RUN_COLUMNS", "Catalog", "close_catalogs", "open_catalog"]

metadata = sa.MetaData()
runs_table = sa.Table(
    "runs", metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("duration", sa.Float),
    sa.Column("strategy", sa.String(200)),
    sa.Column("strategy_ref", sa.String(300)),
    sa.Column("params", sa.JSON),
    sa.Column("grid", sa.JSON),
    sa.Column("n_sets", sa.Integer),
    sa.Column("symbols", sa.Text),
    sa.Column("timeframe", sa.String(10)),
    sa.Column("start_time", sa.String(40)),
    sa.Column("end_time", sa.String(40)),
    sa.Column("options", sa.JSON),
    sa.Column("fingerprint", sa.String(64)),
    sa.Column("sources", sa.JSON),
    sa.Column("vzb_version", sa.String(40)),
    sa.Column("git_commit", sa.String(40)),
    sa.Column("stats", sa.JSON),
    sa.Column("task_id", sa.String(64)),
    sa.Column("git_dirty", sa.Boolean),
    sa.Column("note", sa.Text),
    sa.Column("extra", sa.JSON),
)  # fmt: skip
artifacts_table = sa.Table(
    "artifacts", metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(500), primary_key=True),
    sa.Column("uri", sa.Text, nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("checksum", sa.String(80), nullable=False),
)  # fmt: skip
tags_table = sa.Table(
    "tags", metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("tag", sa.String(200), primary_key=True),
)  # fmt: skip

#: the columns of a run record (its artifacts and tags come from their own tables)
RUN_COLUMNS = tuple(c.name for c in runs_table.columns)
#: what an unreachable or broken catalog raises (callers keep the record pending then)
CATALOG_ERRORS = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.DBAPIError, OSError)
_OPEN: dict[str, Catalog] = {}
_OPENING = threading.Lock()
_LOCK_KEY = 7_110_011  # PostgreSQL advisory lock held while migrating


def _symbols_text(symbols: Iterable[str] | None) -> str | None:
    return None if symbols is None else "," + ",".join(symbols) + ","


class Catalog:
    """A run catalog at a SQLAlchemy ``url`` (see :func:`open_catalog`)."""

    def __init__(self, url: str):
        self.url = url
        sqlite = url.startswith("sqlite")
        if sqlite:
            args: dict[str, Any] = {"connect_args": {"timeout": 30}}
        else:
            args = {"connect_args": {"connect_timeout": 3}, "pool_pre_ping": True}
        self.engine = sa.create_engine(url, **args)
        if sqlite:
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self.path = self.engine.url.database if sqlite else None
        if self.path and self.path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        self.revision = self._migrate()
        self._insert = None

    def __repr__(self) -> str:
        return f"Catalog({self.engine.url.render_as_string(hide_password=True)!r})"

    # -- schema ---------------------------------------------------------------------------
    def _migrate(self) -> str:
        with self._migration_lock(), self.engine.begin() as connection:
            if self.engine.dialect.name == "postgresql":
                connection.execute(sa.text(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})"))
            revision = migrations.current(connection)
            if revision != migrations.HEAD:
                known = revision is None or revision in _revisions()
                if not known:
                    raise ParameterError(
                        f"The catalog at {self!r} has schema {revision!r}, newer than this "
                        "vzb knows: upgrade vzb (pip install -U vzb)"
                    )
                revision = migrations.upgrade(connection)
        return revision

    @contextlib.contextmanager
    def _migration_lock(self):
        if not self.path or self.path == ":memory:":
            yield
            return
        import fcntl

        with open(os.path.abspath(self.path) + ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    # -- writing --------------------------------------------------------------------------
    def insert(self, record: Mapping[str, Any]) -> bool:
        """Store a run with its ``artifacts`` and ``tags``; False if its id was stored
        already (nothing changes then)."""
        row = {name: record.get(name) for name in RUN_COLUMNS}
        row["symbols"] = _symbols_text(record.get("symbols"))
        run_id = row["run_id"]
        artifacts = [{**a, "run_id": run_id} for a in record.get("artifacts") or []]
        tags = [{"run_id": run_id, "tag": t} for t in sorted(set(record.get("tags") or []))]
        with self.engine.begin() as connection:
            if self.engine.dialect.name == "sqlite":
                return _add_sqlite(connection, row, artifacts, tags)
            statement = self._insert
            if statement is None:  # one statement, compiled once (rows go as parameters)
                from sqlalchemy.dialects.postgresql import insert

                statement = insert(runs_table).on_conflict_do_nothing()
                statement = self._insert = statement.returning(runs_table.c.run_id)
            if connection.execute(statement, row).first() is None:  # stored already
                return False
            if artifacts:
                connection.execute(artifacts_table.insert(), artifacts)
            if tags:
                connection.execute(tags_table.insert(), tags)
        return True

    def tag(self, run_id: str, tags: Iterable[str] = (), note: str | None = None) -> None:
        """Add ``tags`` to a stored run, and replace its note when ``note`` is given."""
        with self.engine.begin() as connection:
            have = set(
                connection.scalars(sa.select(tags_table.c.tag).where(tags_table.c.run_id == run_id))
            )
            new = sorted(set(tags) - have)
            if new:
                connection.execute(tags_table.insert(), [{"run_id": run_id, "tag": t} for t in new])
            if note is not None:
                connection.execute(
                    runs_table.update().where(runs_table.c.run_id == run_id).values(note=note)
                )

    # -- reading --------------------------------------------------------------------------
    def count(self) -> int:
        """How many runs the catalog holds."""
        with self.engine.connect() as connection:
            return connection.scalar(sa.select(sa.func.count()).select_from(runs_table))

    def ids(self) -> set[str]:
        """Every stored run id."""
        with self.engine.connect() as connection:
            return set(connection.scalars(sa.select(runs_table.c.run_id)))

    def query(self, **filters: Any) -> list[dict[str, Any]]:
        """Run records (dicts with ``tags``), newest first, filtered in SQL (the filters of
        :meth:`columns`)."""
        found = self.columns(**filters)
        keys = list(found)
        rows = [dict(zip(keys, row, strict=True)) for row in zip(*found.values(), strict=True)]
        for row in rows:
            if "symbols" in row:
                row["symbols"] = [s for s in (row["symbols"] or "").split(",") if s]
        return rows

    def columns(
        self,
        *,
        kind: str | Iterable[str] | None = None,
        strategy: str | None = None,
        symbol: str | Iterable[str] | None = None,
        timeframe: str | None = None,
        tag: str | Iterable[str] | None = None,
        since: float | None = None,
        until: float | None = None,
        run_ids: Iterable[str] | None = None,
        fingerprint: str | None = None,
        git_commit: str | None = None,
        limit: int | None = None,
        conditions: Iterable[Any] = (),
        columns: Iterable[Any] | None = None,
    ) -> dict[str, list]:
        """Run records column by column, newest first, filtered in SQL: ``{name: values}``
        with ``tags`` (a list per run) and ``symbols`` as stored (``",A,B,"``).

        ``symbol`` and ``tag``: runs holding all of them; ``strategy``: a name or an
        import path; ``since``/``until``: epoch seconds of ``created_at``;
        ``conditions``: more SQLAlchemy expressions on :data:`runs_table` (all must
        hold); ``columns``: what to select (default: every column of the run).
        """
        r = runs_table.c
        where = []
        if kind is not None:
            where.append(r.kind.in_([kind] if isinstance(kind, str) else list(kind)))
        if strategy is not None:
            where.append(sa.or_(r.strategy == strategy, r.strategy_ref == strategy))
        for one in [symbol] if isinstance(symbol, str) else list(symbol or []):
            where.append(r.symbols.like(f"%,{one},%"))
        for name, value in (("timeframe", timeframe), ("fingerprint", fingerprint)):
            if value is not None:
                where.append(r[name] == value)
        if git_commit is not None:
            where.append(r.git_commit.like(f"{git_commit}%"))
        for one in [tag] if isinstance(tag, str) else list(tag or []):
            tagged = sa.select(tags_table.c.run_id).where(tags_table.c.tag == one)
            where.append(r.run_id.in_(tagged))
        if since is not None:
            where.append(r.created_at >= float(since))
        if until is not None:
            where.append(r.created_at <= float(until))
        if run_ids is not None:
            where.append(r.run_id.in_(list(run_ids)))
        where.extend(conditions)
        selected = [runs_table] if columns is None else list(columns)
        statement = sa.select(*selected).where(*where).order_by(r.created_at.desc(), r.run_id)
        if limit is not None:
            statement = statement.limit(int(limit))
        with self.engine.connect() as connection:
            found = connection.execute(statement)
            keys = list(found.keys())
            rows = found.fetchall()
            tags: dict[str, list[str]] = {}
            if rows:
                selected = sa.select(tags_table)
                if where or limit is not None:
                    ids = statement.with_only_columns(r.run_id)
                    if limit is None:
                        ids = ids.order_by(None)
                    selected = selected.where(tags_table.c.run_id.in_(ids))
                chosen = connection.execute(selected.order_by(tags_table.c.tag)).fetchall()
                for run_id, one in chosen:
                    tags.setdefault(run_id, []).append(one)
        values = [list(column) for column in zip(*rows, strict=True)] or [[] for _ in keys]
        table = dict(zip(keys, values, strict=True))
        table["tags"] = [tags.get(run_id, []) for run_id in table["run_id"]]
        return table

    def get(self, run_id: str) -> dict[str, Any] | None:
        """One run record with its ``tags`` and ``artifacts``, or None."""
        rows = self.query(run_ids=[run_id])
        if not rows:
            return None
        rows[0]["artifacts"] = self.artifacts([run_id])
        return rows[0]

    def artifacts(self, run_ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """The recorded artifacts (``run_id, name, uri, size, checksum``), of some runs."""
        statement = sa.select(artifacts_table).order_by(
            artifacts_table.c.run_id, artifacts_table.c.name
        )
        if run_ids is not None:
            statement = statement.where(artifacts_table.c.run_id.in_(list(run_ids)))
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(statement)]

    def dispose(self) -> None:
        """Close the catalog's connections."""
        self.engine.dispose()


_JSON_COLUMNS = tuple(c.name for c in runs_table.columns if isinstance(c.type, sa.JSON))


def _sql_insert(table: sa.Table, conflict: str = "") -> str:
    names = [c.name for c in table.columns]
    marks = ", ".join(f":{name}" for name in names)
    return f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks}){conflict}"


_SQLITE_ADD = {
    "runs": _sql_insert(runs_table, " ON CONFLICT DO NOTHING"),
    "artifacts": _sql_insert(artifacts_table),
    "tags": _sql_insert(tags_table),
}


def _add_sqlite(connection, row: dict, artifacts: list, tags: list) -> bool:
    """The insert on SQLite through the driver's cursor, in the connection's transaction:
    a third of a run's recording time was SQLAlchemy's statement machinery. JSON
    columns are serialised as SQLAlchemy's JSON type does (``json.dumps``; None as
    ``null``)."""
    import json

    for name in _JSON_COLUMNS:
        row[name] = json.dumps(row[name])
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(_SQLITE_ADD["runs"], row)
        if cursor.rowcount != 1:  # stored already
            return False
        if artifacts:
            cursor.executemany(_SQLITE_ADD["artifacts"], artifacts)
        if tags:
            cursor.executemany(_SQLITE_ADD["tags"], tags)
    finally:
        cursor.close()
    return True


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _revisions() -> set[str]:
    names = os.listdir(os.path.join(migrations.HERE, "versions"))
    return {n.split("_", 1)[0] for n in names if n.startswith("r") and n.endswith(".py")}


def open_catalog(store: str | os.PathLike | None = None, url: str | None = None) -> Catalog:
    """The catalog of ``store`` (an SQLite file in it), or at ``url`` /
    ``$VZB_CATALOG_URL``; opened once per process, its schema upgraded in place.

    Raises
    ------
    sqlalchemy.exc.OperationalError
        The database is unreachable (see :data:`CATALOG_ERRORS`).
    """
    chosen = catalog_url(store, url)
    with _OPENING:
        catalog = _OPEN.get(chosen)
        if catalog is None:
            catalog = _OPEN[chosen] = Catalog(chosen)
    return catalog


def close_catalogs() -> None:
    """Close every catalog this process opened (the next open connects again)."""
    with _OPENING:
        for catalog in _OPEN.values():
            catalog.dispose()
        _OPEN.clear()

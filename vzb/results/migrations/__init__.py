"""The catalog's schema revisions (Alembic), applied in code when a catalog is opened.

Each module of ``versions/`` is one revision; :func:`upgrade` runs those a database lacks,
inside the caller's transaction. No ``alembic.ini`` or ``env.py`` is needed: the
environment is built here. Revisions:

``r0001``  runs, their artifacts and tags (the first schema)
``r0002``  a note and the git dirty flag per run, extra facts (JSON), query indexes

>>> import sqlalchemy as sa
>>> engine = sa.create_engine("sqlite://")
>>> with engine.begin() as connection:
...     upgrade(connection), current(connection) == HEAD
('r0002', True)
"""

from __future__ import annotations

import os
from functools import lru_cache

__all__ = ["HEAD", "current", "head", "upgrade"]

HERE = os.path.dirname(os.path.abspath(__file__))
#: the newest revision this vzb knows
HEAD = "r0002"


@lru_cache(maxsize=1)
def _scripts():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", HERE)
    return config, ScriptDirectory.from_config(config)


def head() -> str:
    """The head revision of the scripts (equals :data:`HEAD`)."""
    return _scripts()[1].get_current_head()


def current(connection) -> str | None:
    """The revision of the database behind ``connection`` (None: no schema yet).

    Read from Alembic's version table without importing Alembic (a quarter of a second):
    opening an up-to-date catalog, the common case, needs no migration machinery."""
    import sqlalchemy as sa

    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    versions = connection.scalars(sa.text("SELECT version_num FROM alembic_version")).all()
    if len(versions) > 1:
        raise RuntimeError(f"The catalog has several schema revisions {versions}; expected one")
    return versions[0] if versions else None


def upgrade(connection, target: str = "head") -> str:
    """Bring the database behind ``connection`` to revision ``target``; returns it."""
    from alembic.runtime.environment import EnvironmentContext

    config, scripts = _scripts()

    def steps(revision, context):
        return scripts._upgrade_revs(target, revision)

    with EnvironmentContext(config, scripts, fn=steps, destination_rev=target) as env:
        env.configure(connection=connection, render_as_batch=True)
        with env.begin_transaction():
            env.run_migrations()
    return current(connection)

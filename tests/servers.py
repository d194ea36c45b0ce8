"""Real servers the tests start themselves: a PostgreSQL 15 in a temporary folder (run as
the ``postgres`` user: the server refuses root) and moto's S3-compatible HTTP server.

Both can be stopped and started again on the same port, for the outage tests.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from typing import ClassVar

import pytest

PG_BIN = "/usr/lib/postgresql/15/bin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(*command: str) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return list(command)


class PostgresServer:
    """A PostgreSQL server on 127.0.0.1 with user ``vzb`` (trust), in a temp folder."""

    def __init__(self):
        if not os.path.exists(os.path.join(PG_BIN, "initdb")):
            raise RuntimeError("PostgreSQL 15 is missing: apt-get install -y postgresql")
        self.folder = tempfile.mkdtemp(prefix="vzb-pg-")
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self.data = os.path.join(self.folder, "data")
        self.port = free_port()
        subprocess.run(
            _as_postgres(f"{PG_BIN}/initdb", "-D", self.data, "-A", "trust", "-U", "vzb"),
            check=True, capture_output=True,
        )  # fmt: skip
        self.start()
        self._databases = 0

    def start(self) -> None:
        options = f"-k {self.folder} -p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = os.path.join(self.folder, "log")
        subprocess.run(
            _as_postgres(f"{PG_BIN}/pg_ctl", "-D", self.data, "-o", options, "-l", log, "-w",
                         "start"),
            check=True, capture_output=True,
        )  # fmt: skip

    def stop(self) -> None:
        subprocess.run(
            _as_postgres(f"{PG_BIN}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"),
            check=True, capture_output=True,
        )  # fmt: skip

    def new_database(self) -> str:
        """A fresh empty database; returns its SQLAlchemy URL."""
        import psycopg

        self._databases += 1
        name = f"vzb_test_{self._databases}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=vzb dbname=postgres",
                             autocommit=True) as connection:  # fmt: skip
            connection.execute(f"CREATE DATABASE {name}")
        return f"postgresql+psycopg://vzb@127.0.0.1:{self.port}/{name}"

    def close(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.folder, ignore_errors=True)


class S3Server:
    """moto's S3 server on 127.0.0.1 with a bucket; dummy credentials in the environment.

    ``storage_options`` points s3fs at it. Stopping and starting keeps the port and, since
    moto keeps its state in this process, the objects."""

    ENV: ClassVar[dict] = {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_MAX_ATTEMPTS": "1",
        "AWS_RETRY_MODE": "standard",
    }  # fmt: skip

    def __init__(self, bucket: str = "vzb-test"):
        from moto.server import ThreadedMotoServer

        self._saved = {k: os.environ.get(k) for k in self.ENV}
        os.environ.update(self.ENV)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
        self._server.start()
        self.port = self._server.get_host_and_port()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.bucket = bucket
        import boto3

        boto3.client("s3", endpoint_url=self.endpoint).create_bucket(Bucket=bucket)

    @property
    def storage_options(self) -> dict:
        return {"client_kwargs": {"endpoint_url": self.endpoint}}

    def stop(self) -> None:
        self._server.stop()

    def start(self) -> None:
        from moto.server import ThreadedMotoServer

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port)
        self._server.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)

    def close(self) -> None:
        self._server.stop()
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL server for the session (about 2 s to start)."""
    server = PostgresServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def s3_server():
    """One moto S3 server for the session."""
    server = S3Server()
    yield server
    server.close()

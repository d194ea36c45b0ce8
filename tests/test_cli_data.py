"""``vzb data download | list | update`` against the local exchange server."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import pytest

from vzb.cli import main
from vzb.data.exchange_server import ExchangeServer
from vzb.data.stored import read_stored


def run(*argv):
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


@pytest.fixture
def server():
    with ExchangeServer.demo(
        ["BTC_KRW", "ETH_KRW"], ["1d"], start="2023-01-01", end="2025-01-01"
    ) as s:
        s.publish_until("2024-07-01")
        yield s


def test_download_list_and_update(server, tmp_path):
    data = str(tmp_path)
    code, text = run(
        "data", "download", "BTC_KRW", "KRW-ETH", "--start", "2024-01-01", "--end", "2024-06-30",
        "--data-dir", data, "--api-url", server.url,
    )  # fmt: skip
    assert code == 0
    assert "[########################] 100%  BTC_KRW: 2024-01-01 … 2024-06-30" in text
    btc, _ = read_stored(tmp_path / "BTC_KRW_1d.parquet")
    missing = 182 - len(btc)
    assert (
        f"BTC_KRW 1d: 182 candles 2024-01-01 00:00 UTC … 2024-06-30 00:00 UTC, "
        f"{missing} quiet bars filled, 1 page asked" in text
    )
    assert re.search(r"ETH_KRW 1d: 18\d candles 2024-01-0\d 00:00 UTC … 2024-06-30 00:00 UTC", text)
    code, text = run("data", "list", "--data-dir", data)
    assert code == 0
    lines = text.splitlines()
    assert lines[0].split() == [
        "SYMBOL", "TIMEFRAME", "EXCHANGE", "ROWS", "FIRST", "LAST", "FILLED", "UPDATED",
    ]  # fmt: skip
    assert lines[1].split()[:6] == ["BTC_KRW", "1d", "upbit", str(len(btc)), "2024-01-01", "00:00"]
    assert lines[1].split()[10] == str(missing) and lines[1].endswith("UTC")
    # a day later on the exchange: update asks only for the new day
    server.publish_until("2024-07-02")
    before = len(server.requests)
    code, text = run("data", "update", "--data-dir", data, "--api-url", server.url)
    assert code == 0
    assert [r["market"] for r in server.requests[before:]] == ["KRW-BTC", "KRW-ETH"]
    assert all(r["to"] > "2024-06-30" for r in server.requests[before:])
    assert "BTC_KRW 1d: 183 candles 2024-01-01 00:00 UTC … 2024-07-01 00:00 UTC" in text


def test_an_unknown_symbol_is_an_error_naming_close_ones(server, tmp_path):
    command = [os.path.join(os.path.dirname(sys.executable), "vzb"), "data", "download",
               "BTC_KRX", "--start", "2024-01-01", "--data-dir", str(tmp_path),
               "--api-url", server.url]  # fmt: skip
    proc = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "upbit has no market BTC_KRX" in proc.stderr and "BTC_KRW" in proc.stderr


def test_every_argument_has_help():
    from vzb.cli import _parser

    parser = _parser()
    data = parser._subparsers._group_actions[0].choices["data"]
    for action_parser in data._subparsers._group_actions[0].choices.values():
        for action in action_parser._actions:
            if action.dest != "help":
                assert action.help, f"{action_parser.prog} {action.dest} has no help"
    assert "data" in parser._subparsers._group_actions[0].choices


def test_list_shows_your_own_files_too_and_update_leaves_them_alone(tmp_path):
    (tmp_path / "ABC_KRW_1d.csv").write_text(
        "timestamp,open,high,low,close,volume\n"
        "2024-01-01,1,2,1,2,5\n2024-01-02,2,3,2,3,6\n2024-01-04,3,4,3,4,7\n"
    )
    code, text = run("data", "list", "--data-dir", str(tmp_path))
    assert code == 0
    assert text.splitlines()[1].split()[:5] == ["ABC_KRW", "1d", "(your", "file)", "3"]
    assert text.splitlines()[1].split()[11] == "1"  # the missing day
    code, text = run("data", "update", "--data-dir", str(tmp_path))
    assert code == 0 and text.startswith("nothing to update")
    code, text = run("data", "list", "--data-dir", str(tmp_path / "nowhere"))
    assert code == 1  # the error names the directory that does not exist (on stderr)

"""``vzb data download | list | update``: candles from exchanges into the data directory.

``download`` fetches symbols with :func:`vzb.download_candles` (a progress bar per
symbol); ``list`` shows every candle file of the data directory; ``update`` brings every
downloaded file up to the last complete bar, asking only for what it lacks.
"""

from __future__ import annotations

from typing import TextIO

from vzb.cli.common import text_bar
from vzb.data.timeframes import TIMEFRAMES

__all__ = ["add_parser", "run"]


def _data_dir_option(parser) -> None:
    parser.add_argument(
        "--data-dir",
        default=None,
        help="directory of {SYMBOL}_{timeframe}.parquet/.csv candle files (default: $VZB_DATA_DIR)",
    )


def _api_option(parser) -> None:
    parser.add_argument(
        "--api-url",
        default=None,
        help="base URL of the exchange API, e.g. a mirror or a local test server "
        "(default: $VZB_EXCHANGE_API_URL, else the exchange's own)",
    )


def add_parser(sub) -> None:
    data = sub.add_parser("data", help="candles from exchanges: download, list, update")
    actions = data.add_subparsers(dest="action", required=True)
    download = actions.add_parser("download", help="download symbols' candles from an exchange")
    download.add_argument(
        "symbols", nargs="+", metavar="SYMBOL", help="BTC_KRW, KRW-BTC or BTC/KRW; several allowed"
    )
    download.add_argument(
        "--exchange",
        default="upbit",
        help="upbit, bithumb (their v1 candle APIs), or any ccxt exchange id (default: upbit)",
    )
    download.add_argument(
        "--timeframe", default="1d", choices=list(TIMEFRAMES), help="bar length (default: 1d)"
    )
    download.add_argument(
        "--start", required=True, help="first bar to get, e.g. 2024-01-01 (UTC when no zone)"
    )
    download.add_argument(
        "--end", default=None, help="last bar to get, included (default: the last complete bar)"
    )
    _data_dir_option(download)
    _api_option(download)
    listing = actions.add_parser("list", help="candle files of the data directory")
    _data_dir_option(listing)
    update = actions.add_parser("update", help="bring every downloaded file up to now")
    _data_dir_option(update)
    _api_option(update)


def _bar(out: TextIO):
    """A progress callback: a bar redrawn in place on a terminal; in a log or a pipe, one
    line per quarter of the range (no carriage returns)."""
    import time

    tty = out.isatty() if hasattr(out, "isatty") else False
    last = [0.0, -1]

    def progress(fraction: float, message: str) -> None:
        line = f"{text_bar(fraction, 24)}  {message}"
        if not tty:
            quarter = int(fraction * 4)
            if quarter > last[1]:
                last[1] = quarter
                out.write(line + "\n")
            return
        now = time.monotonic()
        if fraction < 1 and now - last[0] < 0.2:
            return
        last[0] = now
        out.write("\r" + line + ("\n" if fraction >= 1 else ""))
        out.flush()

    return progress


def _summary(candles) -> str:
    from vzb.widgets.formatting import format_count, format_timestamp

    attrs = candles.attrs
    built = ""
    if "built_from" in attrs:
        built = f", {attrs['timeframe']} built from {attrs['built_from']}"
    return (
        f"  {attrs['symbol']} {attrs['timeframe']}: {format_count(len(candles), 'candle')} "
        f"{format_timestamp(candles.index[0])} … {format_timestamp(candles.index[-1])}, "
        f"{format_count(attrs.get('filled_bars', 0), 'quiet bar')} filled, "
        f"{format_count(attrs.get('requests', 0), 'page')} asked{built} -> {attrs['source']}\n"
    )


def _download(out: TextIO, symbols, **kwargs) -> int:
    from vzb.data.download import download_candles

    for symbol in symbols:
        candles = download_candles(symbol, progress=_bar(out), **kwargs)
        out.write(_summary(candles))
    return 0


def run(args, out: TextIO) -> int:
    if args.action == "download":
        return _download(
            out, args.symbols, timeframe=args.timeframe, start=args.start, end=args.end,
            exchange=args.exchange, api_url=args.api_url, data_dir=args.data_dir,
        )  # fmt: skip
    from vzb.data.stored import list_stored

    rows = list_stored(args.data_dir)
    if args.action == "list":
        return _list(rows, out)
    downloaded = [row for row in rows if row["exchange"]]
    if not downloaded:
        out.write("nothing to update: no file in the data directory was downloaded by vzb\n")
        return 0
    for row in downloaded:
        _download(
            out, [row["symbol"]], timeframe=row["timeframe"], start=row["first"], end=None,
            exchange=row["exchange"], api_url=args.api_url, data_dir=args.data_dir,
        )  # fmt: skip
    return 0


def _list(rows: list[dict], out: TextIO) -> int:
    from vzb.cli.common import text_table
    from vzb.widgets.formatting import format_count, format_timestamp

    if not rows:
        out.write("no candle files in the data directory (set --data-dir or $VZB_DATA_DIR)\n")
        return 0
    header = ["SYMBOL", "TIMEFRAME", "EXCHANGE", "ROWS", "FIRST", "LAST", "FILLED", "UPDATED"]
    table = [
        [
            row["symbol"], row["timeframe"], row["exchange"] or "(your file)",
            format_count(row["rows"]), format_timestamp(row["first"]),
            format_timestamp(row["last"]), format_count(row["filled_bars"]),
            format_timestamp(row["updated_at"]),
        ]
        for row in rows
    ]  # fmt: skip
    out.write(text_table(header, table, right=["ROWS", "FILLED"]) + "\n")
    return 0

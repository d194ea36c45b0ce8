"""The compare view: recorded runs side by side (what ran, on what, with what code, what
came out), the rows where they differ highlighted, and their equity curves overlaid.

Numbers read as everywhere else (:mod:`vzb.widgets.formatting`): stats by their names,
parameters as written in code. The equity chart is a Plotly figure (rendered offline by
JupyterLab), each curve as a share of its starting cash, downsampled for display.

>>> import tempfile, vzb
>>> store = tempfile.mkdtemp()
>>> candles = vzb.load_sample("BTC_USD")
>>> ids = [vzb.record(vzb.backtest(candles, fees=f), store=store) for f in (0.0, 0.0025)]
>>> comparison = vzb.compare(ids, store=store)
>>> "vzb-differs" in render_comparison_html(comparison)
True
>>> len(comparison_figure(comparison).data)
2
"""

from __future__ import annotations

import html
from typing import Any

from vzb.widgets.display import Report
from vzb.widgets.formatting import format_parameter, format_stat, format_timestamp, format_value

__all__ = ["compare_view", "comparison_figure", "comparison_text", "render_comparison_html"]

#: how many points each equity curve keeps on the chart
MAX_POINTS = 2000
_DIFFERS = "background:rgba(255,193,7,0.28)"
#: inline cell styles (JupyterLab's sanitizer keeps inline styles, not <style> blocks)
_CELL = "padding:2px 8px;white-space:nowrap;border:none;text-align:"
#: values longer than this wrap
_LONG = 40


def _text(section: str, name: str, value: Any) -> str:
    if section == "stats":
        if isinstance(value, str):  # a duration or a time, kept as ISO text in the record
            import pandas as pd

            try:
                value = pd.Timedelta(value) if value.startswith("P") else pd.Timestamp(value)
            except ValueError:
                return value
        return format_stat(name, value)
    if section in ("params", "options"):
        return format_parameter(value) if not isinstance(value, str) else value
    if name == "created_at" and value is not None:
        import pandas as pd

        return format_timestamp(pd.Timestamp(value, unit="s", tz="UTC"))
    if name in ("start_time", "end_time") and isinstance(value, str):
        import pandas as pd

        return format_timestamp(pd.Timestamp(value))
    if name == "duration" and isinstance(value, float):
        return f"{value:,.2f} s"
    if name in ("fingerprint", "git_commit") and isinstance(value, str):
        return value[:12]
    return format_value(value) if value is not None else format_value(float("nan"))


def _cells(comparison) -> list[tuple[str, str, bool, list[str]]]:
    rows = []
    for (section, name), values in comparison.table.iterrows():
        differs = bool(comparison.differs.loc[(section, name)])
        if section == "run" and name in ("created_at", "duration"):
            differs = False  # always differ: not worth a highlight
        rows.append((section, name, differs, [_text(section, name, v) for v in values]))
    return rows


def _value_style(text: str) -> str:
    """Short values on one line, right-aligned; a long text (the candles' sources) wraps
    in a column of its own width, so it never pushes the other runs off the screen."""
    if len(text) <= _LONG:
        return _CELL + "right"
    return (
        "padding:2px 8px;border:none;text-align:left;white-space:normal;min-width:14em;"
        "max-width:26em;overflow-wrap:anywhere"
    )


def render_comparison_html(comparison) -> str:
    """The comparison as an HTML table: one column per run, sections as headings, the
    rows where the runs differ highlighted (class ``vzb-differs``)."""
    ids = [html.escape(str(c)[:12]) for c in comparison.table.columns]
    left, right = _CELL + "left", _CELL + "right"
    head = "".join(f"<th style='{right};border-bottom:1px solid #999'>{i}</th>" for i in ids)
    body, last = [], None
    cells = _cells(comparison)
    for section, name, differs, texts in cells:
        if section != last:
            body.append(f"<tr><th colspan='{len(ids) + 1}' style='{left};padding-top:8px'>"
                        f"{html.escape(section)}</th></tr>")  # fmt: skip
            last = section
        style = f" class='vzb-differs' style='{_DIFFERS}'" if differs else ""
        values = "".join(f"<td style='{_value_style(t)}'>{html.escape(t)}</td>" for t in texts)
        body.append(f"<tr{style}><td style='{left}'>{html.escape(name)}</td>{values}</tr>")
    count = sum(differs for _, _, differs, _ in cells)
    title = f"{len(ids)} runs compared: {count} rows differ (highlighted)"
    return (
        f"<div class='vzb-styled vzb-compare' style='overflow-x:auto'><h4 style='margin:4px 0'>"
        f"{html.escape(title)}</h4><table class='vzb-table' style='border-collapse:collapse;"
        f"table-layout:auto;width:auto;font-size:12px'><thead><tr><th style='{left}'></th>"
        f"{head}</tr></thead><tbody>"
        f"{''.join(body)}</tbody></table></div>"
    )


def comparison_text(comparison) -> str:
    """The rows where the runs differ, as plain text (consoles, nbval)."""
    lines = [f"{len(comparison.runs)} runs: " + ", ".join(r.run_id[:12] for r in comparison.runs)]
    for section, name, differs, texts in _cells(comparison):
        if differs:
            lines.append(f"  {section}.{name}: " + " | ".join(texts))
    if len(lines) == 1:
        lines.append("  no differences")
    return "\n".join(lines)


def comparison_figure(comparison, *, max_points: int = MAX_POINTS):
    """The runs' equity curves overlaid, each divided by its first value (1 = start)."""
    import plotly.graph_objects as go

    from vzb.widgets.downsample import downsample_line
    from vzb.widgets.figures import TEMPLATE, epoch_ms

    figure = go.Figure()
    for run_id, curve in comparison.equity.items():
        curve = downsample_line(curve.dropna(), max_points)
        figure.add_trace(
            go.Scattergl(
                x=epoch_ms(curve.index), y=curve.to_numpy(), name=str(run_id)[:12], mode="lines",
                hovertemplate="%{y:.3f}× start<extra>%{fullData.name}</extra>",
            )
        )  # fmt: skip
    figure.update_layout(
        template=TEMPLATE, height=360, margin={"l": 50, "r": 10, "t": 30, "b": 30},
        title={"text": "Equity, as a multiple of the starting cash", "font": {"size": 13}},
        xaxis={"type": "date"}, yaxis={"type": "log", "tickformat": ",.2~f"},
        legend={"orientation": "h", "y": -0.15},
    )  # fmt: skip
    return figure


def compare_view(comparison) -> Report:
    """The comparison for a notebook: the highlighted table, then the equity chart (a
    :class:`~vzb.widgets.display.Report`; its text repr lists what differs)."""
    table = render_comparison_html(comparison)
    parts: list[Any] = [table]
    if not comparison.equity.empty:
        parts.append(comparison_figure(comparison))
    return Report(table, comparison_text(comparison), parts=parts)

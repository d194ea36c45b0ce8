"""The runs view and the compare view, without a kernel (ipywidgets' dummy comm): filters
query the catalog, ticked rows are compared, differing rows highlighted, equity curves
overlaid with the values of the runs."""

import re

import numpy as np
import pytest

import vzb
from vzb.widgets.compare_view import compare_view, comparison_figure, render_comparison_html
from vzb.widgets.runs_view import RunsView


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    store = str(tmp_path_factory.mktemp("views") / "store")
    btc, eth = vzb.load_sample("BTC_USD"), vzb.load_sample("ETH_USD")
    results = {
        "cheap": vzb.backtest(btc, fees=0.0005),
        "dear": vzb.backtest(btc, fees=0.0025),
        "eth": vzb.backtest(eth, params={"volume_window": 30}, fees=0.0025),
    }
    ids = {name: vzb.record(r, tags=[name], store=store) for name, r in results.items()}
    return store, ids, results


def test_filters_query_the_catalog(recorded):
    store, ids, results = recorded
    view = RunsView(store=store)
    assert repr(view) == "3 runs" and len(view.listing.options) == 3
    view.symbol.value = "BTC_USD"
    view.apply.click()
    assert set(view.table["run_id"]) == {ids["cheap"], ids["dear"]}
    view.where.value = "fees >= 0.002; Sharpe Ratio > -100"
    view.refresh()
    assert list(view.table["run_id"]) == [ids["dear"]] and repr(view) == "1 run"
    view.where.value = "nonsense"
    view.refresh()
    assert "NAME OP VALUE" in view.message.value and len(view.table) == 1  # kept
    view = RunsView(store=store, tag="eth")
    assert list(view.table["run_id"]) == [ids["eth"]]
    sharpe = f"{results['eth'].stats['Sharpe Ratio']:.2f}"
    assert sharpe in view.table_html.value


def test_ticked_rows_are_compared_with_differences_highlighted(recorded):
    store, ids, _results = recorded
    view = RunsView(store=store)
    assert view.compare() is None and "Tick two" in view.message.value
    view.select([ids["cheap"], ids["eth"]])
    comparison = view.compare()
    page = view.comparison.outputs[0]["data"]["text/html"]
    highlighted = re.findall(r"<tr class='vzb-differs'[^>]*><td[^>]*>([^<]+)</td>", page)
    assert "volume_window" in highlighted and "fees" in highlighted and "symbols" in highlighted
    assert "fill" not in highlighted and "cash" not in highlighted  # same in both
    assert "application/vnd.plotly.v1+json" in view.comparison.outputs[1]["data"]
    assert list(comparison.table.columns) == [ids["cheap"], ids["eth"]]
    text = compare_view(comparison).text
    assert "params.volume_window: 10 | 30" in text and "options.fees: 0.0005 | 0.0025" in text


def test_equity_curves_are_overlaid_as_multiples_of_the_start(recorded):
    store, ids, results = recorded
    comparison = vzb.compare([ids["cheap"], ids["dear"]], store=store)
    figure = comparison_figure(comparison, max_points=None)
    assert [t.name for t in figure.data] == [ids["cheap"][:12], ids["dear"][:12]]
    for trace, name in zip(figure.data, ("cheap", "dear"), strict=True):
        equity = results[name].equity
        np.testing.assert_allclose(np.asarray(trace.y), (equity / equity.iloc[0]).to_numpy())
    page = render_comparison_html(comparison)
    assert page.count("class='vzb-differs'") == int(comparison.differs.sum()) - int(
        comparison.differs.loc[("run", "created_at")]
    ) - int(comparison.differs.loc[("run", "duration")])

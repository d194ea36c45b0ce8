"""The run catalog, the same suite on SQLite and on a real PostgreSQL started by the tests:
what a record holds, queries, lazy results, compare, idempotent concurrent writes, the
first schema upgraded in place, an older store imported."""

import hashlib
import os
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

import vzb
from vzb.results import migrations
from vzb.results.catalog import open_catalog
from vzb.results.sync import pending_ids, write_pending
from vzb.strategies.registry import DEFAULT_STRATEGY

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/catalog-elsewhere.sqlite"
    return request.getfixturevalue("postgres_server").new_database()


@pytest.fixture
def store(tmp_path, catalog_url, monkeypatch):
    """A store whose catalog is ``catalog_url`` (what VZB_CATALOG_URL would give)."""
    monkeypatch.setenv("VZB_CATALOG_URL", catalog_url)
    monkeypatch.chdir(ROOT)  # the git work tree whose commit runs record
    return str(tmp_path / "store")


def _sha256(path):
    with open(path, "rb") as f:
        return "sha256:" + hashlib.sha256(f.read()).hexdigest()


def _git(*args):
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout


def test_a_backtest_record_holds_its_provenance_stats_and_artifacts(store, catalog_url):
    candles = vzb.load_sample("BTC_USD")
    result = vzb.backtest(candles, params={"volume_window": 20}, fees=0.0025, stop_loss=0.05)
    run_id = vzb.record(result, tags=["fees", "first"], note="Upbit-like fees", store=store)
    record = open_catalog(url=catalog_url).get(run_id)
    assert record["kind"] == "backtest" and record["strategy"] == DEFAULT_STRATEGY
    assert record["strategy_ref"] == vzb.get_strategy(DEFAULT_STRATEGY).ref
    assert record["params"] == vzb.get_strategy(DEFAULT_STRATEGY).validate({"volume_window": 20})
    assert record["options"]["fees"] == 0.0025 and record["options"]["stop_loss"] == 0.05
    assert record["options"]["fill"] == "next_open"
    assert record["symbols"] == ["BTC_USD"] and record["timeframe"] == "1d"
    assert record["start_time"] == candles.index[0].isoformat()
    assert record["end_time"] == candles.index[-1].isoformat()
    digest = hashlib.sha256(candles.index.as_unit("ns").asi8.tobytes())
    for column in ("open", "high", "low", "close", "volume"):
        digest.update(np.ascontiguousarray(candles[column].to_numpy(np.float64)).tobytes())
    assert record["fingerprint"] == digest.hexdigest()
    assert record["sources"]["BTC_USD"]["kind"] == "bundled"
    assert record["vzb_version"] == vzb.__version__
    assert record["git_commit"] == _git("rev-parse", "HEAD").strip()
    assert record["git_dirty"] == bool(_git("status", "--porcelain", "--untracked-files=no"))
    assert record["tags"] == ["fees", "first"] and record["note"] == "Upbit-like fees"
    for name, value in result.stats.items():
        if isinstance(value, float) and not np.isfinite(value):
            assert record["stats"][name] is None
        elif isinstance(value, int | float | np.number):
            assert record["stats"][name] == pytest.approx(float(value), rel=1e-12), name
    files = {a["name"]: a for a in record["artifacts"]}
    assert "result/meta.json" in files and "result/positions.parquet" in files
    for artifact in record["artifacts"]:
        assert artifact["uri"].startswith(os.path.join(os.path.abspath(store), "results", run_id))
        assert artifact["size"] == os.path.getsize(artifact["uri"])
        assert artifact["checksum"] == _sha256(artifact["uri"])
    assert vzb.record(result, store=store) == run_id  # again: nothing new
    assert open_catalog(url=catalog_url).count() == 1


def test_queries_filter_by_strategy_symbol_timeframe_kind_tag_time_and_stats(store):
    btc, eth = vzb.load_sample("BTC_USD"), vzb.load_sample("ETH_USD")
    made = []
    for candles, fees, tags in ((btc, 0.0005, ["a"]), (btc, 0.0025, ["a", "b"]), (eth, 0.0025, [])):
        result = vzb.backtest(candles, fees=fees)
        made.append((vzb.record(result, tags=tags, store=store), result, candles, fees, tags))
    table = vzb.sweep(btc, DEFAULT_STRATEGY, {"volume_window": [10, 20, 30]})
    sweep_id = vzb.record(table, candles=btc, strategy=DEFAULT_STRATEGY, store=store)

    def ids(**filters):
        return set(vzb.runs(store=store, **filters)["run_id"])

    backtests = {m[0] for m in made}
    assert ids() == backtests | {sweep_id}
    assert ids(kind="backtest") == backtests and ids(kind="sweep") == {sweep_id}
    assert ids(symbol="ETH_USD") == {made[2][0]}
    assert ids(symbol="BTC_USD") == {made[0][0], made[1][0], sweep_id}
    assert ids(tag="a") == {made[0][0], made[1][0]} and ids(tag=["a", "b"]) == {made[1][0]}
    assert ids(timeframe="1d") == backtests | {sweep_id} and ids(timeframe="1h") == set()
    assert ids(strategy=DEFAULT_STRATEGY) == backtests | {sweep_id}
    assert ids(strategy="nothing_like_it") == set()
    assert ids(since="2000-01-01", until=pd.Timestamp.now("UTC") + pd.Timedelta("1h")) == ids()
    assert ids(since=pd.Timestamp.now("UTC") + pd.Timedelta("1h")) == set()
    sharpe = {m[0]: float(m[1].stats["Sharpe Ratio"]) for m in made}
    middle = sorted(sharpe.values())[1]
    expected = {i for i, s in sharpe.items() if s > middle}
    assert ids(kind="backtest", where=f"Sharpe Ratio > {middle!r}") == expected
    assert ids(where=["fees >= 0.0025", "symbols == BTC_USD"]) == {made[1][0]}
    frame = vzb.runs(store=store, kind="backtest")
    by_id = frame.set_index("run_id")
    for run_id, result, *_ in made:
        assert by_id.loc[run_id, "Return [%]"] == pytest.approx(result.stats["Return [%]"])
        assert by_id.loc[run_id, "volume_window"] == result.params["volume_window"]
    assert list(frame["created_at"]) == sorted(frame["created_at"], reverse=True)
    assert "SQN" not in frame.columns and "SQN" in vzb.runs(store=store, stats="all").columns
    assert len(vzb.runs(store=store, limit=2)) == 2
    with pytest.raises(vzb.errors.ParameterError, match="Did you mean 'Sharpe Ratio'"):
        vzb.runs(store=store, where="Sharpe Ratoi > 1")
    with pytest.raises(vzb.errors.ParameterError, match="NAME OP VALUE"):
        vzb.runs(store=store, where="Sharpe Ratio is big")
    # the sweep's row: its best set by Sharpe (mean over symbols) with that set's stats
    best = table.loc[table["Sharpe Ratio"].idxmax()]
    row = vzb.runs(store=store, kind="sweep").iloc[0]
    assert row["n_sets"] == 3 and row["volume_window"] == best["volume_window"]
    assert row["Sharpe Ratio"] == pytest.approx(best["Sharpe Ratio"])


def test_a_listing_of_two_strategies_has_each_runs_own_parameters(store):
    empty = vzb.runs(store=store)
    assert len(empty) == 0 and {"run_id", "tags", "Sharpe Ratio", "git_commit"} <= set(empty)
    btc = vzb.load_sample("BTC_USD")
    zone = vzb.backtest(btc, "volume_zone_breakout", {"volume_window": 15}, fees=0.001)
    candle = vzb.backtest(btc, "volume_long_candle", {"vol_ma_window": 30}, slippage=0.001)
    ids = {
        vzb.record(zone, tags=["z", "both"], store=store): zone,
        vzb.record(candle, tags=["both"], store=store): candle,
    }
    frame = vzb.runs(store=store, tag="both").set_index("run_id")
    assert len(frame) == 2
    names = set(zone.params) | set(candle.params)
    for run_id, result in ids.items():
        row = frame.loc[run_id]
        for name in names:  # its own parameters; the other strategy's are missing
            if name in result.params:
                assert row[name] == result.params[name], name
            else:
                assert pd.isna(row[name]), name
        for name in ("fees", "slippage", "cash"):
            assert row[name] == pytest.approx(result.options[name])
        assert row["Total Fees [$]"] == pytest.approx(result.stats["Total Fees [$]"])
        assert row["strategy"] == result.strategy and row["symbols"] == "BTC_USD"
    assert frame.loc[next(iter(ids)), "tags"] == "both,z"


def test_run_loads_each_kind_of_result_lazily_and_compare_shows_differences(store):
    candles = vzb.load_sample("BTC_USD")
    a = vzb.backtest(candles, params={"volume_window": 10}, fees=0.0005)
    b = vzb.backtest(candles, params={"volume_window": 30}, fees=0.0005)
    ids = [vzb.record(r, store=store) for r in (a, b)]
    run = vzb.run(ids[0][:8], store=store)  # a unique prefix is enough
    assert run._result is None and run.kind == "backtest"
    pd.testing.assert_frame_equal(run.result.positions, a.positions)
    pd.testing.assert_series_equal(run.result.equity, a.equity)
    both = vzb.compare(ids, store=store)
    assert both.differences.loc["params"].index.tolist() == ["volume_window"]
    assert both.table.loc[("options", "fees")].tolist() == [0.0005, 0.0005]
    assert not both.differs.loc[("data", "fingerprint")]
    for run_id, result in zip(ids, (a, b), strict=True):
        expected = result.equity / result.equity.iloc[0]
        np.testing.assert_allclose(both.equity[run_id].to_numpy(), expected.to_numpy())
    assert "volume_window" in repr(both) and "*" in repr(both)
    wf = vzb.walk_forward(
        candles, DEFAULT_STRATEGY, {"volume_window": [10, 20]}, train=400, test=200
    )
    wf_id = vzb.record(wf, store=store)
    loaded = vzb.run(wf_id, store=store).result
    pd.testing.assert_frame_equal(loaded.folds, wf.folds)
    assert loaded.stats.equals(wf.stats) and loaded.objective == wf.objective
    table = vzb.sweep(candles, DEFAULT_STRATEGY, {"volume_window": [10, 20]})
    sweep_id = vzb.record(table, candles=candles, strategy=DEFAULT_STRATEGY, store=store)
    pd.testing.assert_frame_equal(vzb.run(sweep_id, store=store).result, table)
    with pytest.raises(vzb.errors.ParameterError, match="No run with id 'zzz'"):
        vzb.run("zzz", store=store)
    with pytest.raises(vzb.errors.ParameterError, match="at least two"):
        vzb.compare(ids[:1], store=store)


def test_two_processes_syncing_the_same_records_store_each_once(store, catalog_url):
    records = [
        {"run_id": f"run-{i:03d}", "kind": "backtest", "created_at": float(i),
         "symbols": ["BTC_USD"], "files": {}, "tags": ["t"]}
        for i in range(60)
    ]  # fmt: skip
    for record in records:
        write_pending(store, record)
    code = "import sys, vzb.results.sync as s; r = s.sync(sys.argv[1]); print(r['error'])"
    env = {**os.environ, "VZB_CATALOG_URL": catalog_url}
    children = [
        subprocess.Popen([sys.executable, "-c", code, store], env=env, stdout=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [child.communicate(timeout=120)[0].decode().strip() for child in children]
    assert outputs == ["None", "None"]
    catalog = open_catalog(url=catalog_url)
    assert catalog.ids() == {r["run_id"] for r in records} and catalog.count() == 60
    assert pending_ids(store) == []
    with catalog.engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM tags")) == 60


def test_a_catalog_of_the_first_schema_is_upgraded_in_place(catalog_url):
    engine = sa.create_engine(catalog_url)
    with engine.begin() as connection:
        assert migrations.upgrade(connection, "r0001") == "r0001"
        columns = {c["name"] for c in sa.inspect(connection).get_columns("runs")}
        assert "note" not in columns and "git_dirty" not in columns
        connection.execute(
            sa.text("INSERT INTO runs (run_id, kind, created_at, symbols, stats) "
                    "VALUES ('old', 'backtest', 1.0, ',BTC_USD,', :stats)"),
            {"stats": '{"Sharpe Ratio": 1.5}'},
        )  # fmt: skip
    engine.dispose()
    catalog = open_catalog(url=catalog_url)
    assert catalog.revision == migrations.HEAD == migrations.head()
    old = catalog.get("old")
    assert old["stats"] == {"Sharpe Ratio": 1.5} and old["note"] is None
    assert old["symbols"] == ["BTC_USD"]
    assert catalog.insert({"run_id": "new", "kind": "sweep", "created_at": 2.0, "note": "n"})
    assert [r["run_id"] for r in catalog.query()] == ["new", "old"]


def test_every_job_run_is_recorded_and_an_older_store_is_imported(store, catalog_url):
    with vzb.JobRunner(store, max_workers=2) as runner:
        backtest = runner.submit(symbols=["BTC_USD", "ETH_USD"], fees=0.0025)
        sweep = runner.submit_sweep(DEFAULT_STRATEGY, {"volume_window": [10, 20]}, "BTC_USD")
        wf = runner.submit_walk_forward(
            DEFAULT_STRATEGY, {"volume_window": [10, 20]}, symbols="BTC_USD", train=400, test=200
        )
        combined = backtest.result(timeout=120)
        table = sweep.result(timeout=120)
        forward = wf.result(timeout=300)
    catalog = open_catalog(url=catalog_url)
    assert catalog.ids() == {backtest.task_id, sweep.task_id, wf.task_id}  # synced by the runner
    record = catalog.get(backtest.task_id)
    assert record["task_id"] == backtest.task_id and record["options"]["fees"] == 0.0025
    assert record["symbols"] == ["BTC_USD", "ETH_USD"]
    assert record["fingerprint"] == combined.fingerprint
    assert record["stats"]["Sharpe Ratio"] == pytest.approx(combined.stats["Sharpe Ratio"])
    assert set(record["sources"]) == {"BTC_USD", "ETH_USD"}
    assert record["duration"] > 0
    swept = catalog.get(sweep.task_id)
    assert swept["grid"] == {"volume_window": [10, 20]} and swept["n_sets"] == 2
    assert swept["stats"]["Sharpe Ratio"] == pytest.approx(table["Sharpe Ratio"].max())
    pd.testing.assert_frame_equal(vzb.run(sweep.task_id, store=store).result, table)
    walked = catalog.get(wf.task_id)
    assert walked["fingerprint"] == vzb.engine.candles_fingerprint(vzb.load_sample("BTC_USD"))
    assert walked["extra"]["overfitting"]["pbo"] == pytest.approx(forward.overfitting["pbo"])
    loaded = vzb.run(wf.task_id, store=store).result
    pd.testing.assert_frame_equal(loaded.folds, forward.folds)
    assert loaded.stats.equals(forward.stats)
    # the same store as it was before the catalog existed: tasks and their files only
    with catalog.engine.begin() as connection:
        for name in ("tags", "artifacts", "runs"):
            connection.execute(sa.text(f"DELETE FROM {name}"))
    os.remove(os.path.join(store, "catalog-imported"))
    shutil.rmtree(os.path.join(store, "pending"), ignore_errors=True)
    found = vzb.runs(store=store)
    assert set(found["run_id"]) == {backtest.task_id, sweep.task_id, wf.task_id}
    assert catalog.get(backtest.task_id)["fingerprint"] == combined.fingerprint


def test_direct_runs_are_recorded_always_when_configured(store, catalog_url):
    candles = vzb.load_sample("BTC_USD")
    os.environ["VZB_HOME"], home = store, os.environ["VZB_HOME"]
    try:
        vzb.backtest(candles)  # "ask" (the default): not recorded
        assert open_catalog(url=catalog_url).count() == 0
        vzb.configure(record="always")
        result = vzb.backtest(candles, fees=0.001)
        table = vzb.sweep(candles, DEFAULT_STRATEGY, {"volume_window": [10, 20]}, fees=0.001)
        wf = vzb.walk_forward(
            candles, DEFAULT_STRATEGY, {"volume_window": [10, 20]}, train=400, test=200
        )
    finally:
        vzb.configure(record=None)
        os.environ["VZB_HOME"] = home
    found = vzb.runs(store=store).set_index("run_id")
    assert sorted(found["kind"]) == ["backtest", "sweep", "walk_forward"]  # nothing nested
    assert found.loc[result.run_id, "fees"] == 0.001
    sweep_row = found[found["kind"] == "sweep"].iloc[0]
    assert sweep_row["fees"] == 0.001 and sweep_row["n_sets"] == 2
    assert sweep_row["fingerprint"] == result.fingerprint  # the candles it was given
    assert table.attrs["run_id"] == sweep_row.name
    assert found.loc["wf-" + wf.result.run_id, "kind"] == "walk_forward"

"""Artifacts on the local disk, on fsspec's ``memory://`` and on a real S3-compatible
server (moto) started by the tests: copied under the run id with the size and SHA-256 of
each file, read back as the full result, and checked."""

import hashlib
import os

import fsspec
import pandas as pd
import pytest

import vzb
from vzb.results.catalog import open_catalog
from vzb.results.maintenance import check
from vzb.strategies.registry import DEFAULT_STRATEGY


@pytest.fixture(params=["local", "memory", "s3"])
def results_url(request, tmp_path):
    if request.param == "local":
        url, options = str(tmp_path / "shared-artifacts"), {}
    elif request.param == "memory":
        url, options = f"memory://vzb-{tmp_path.name}", {}
    else:
        server = request.getfixturevalue("s3_server")
        url, options = f"s3://{server.bucket}/{tmp_path.name}", server.storage_options
    vzb.configure(results_url=url, storage_options=options)
    yield url, options
    vzb.configure(results_url=None, storage_options=None)


def test_artifacts_are_copied_with_size_and_checksum_read_back_and_checked(results_url, tmp_path):
    url, options = results_url
    store = str(tmp_path / "store")
    candles = vzb.load_sample("ETH_USD")
    result = vzb.backtest(candles, fees=0.0025)
    table = vzb.sweep(candles, DEFAULT_STRATEGY, {"volume_window": [10, 20]})
    ids = [
        vzb.record(result, store=store),
        vzb.record(table, candles=candles, strategy=DEFAULT_STRATEGY, store=store),
    ]
    catalog = open_catalog(store)
    artifacts = catalog.artifacts()
    assert {a["run_id"] for a in artifacts} == set(ids)
    for artifact in artifacts:
        assert artifact["uri"] == f"{url}/{artifact['run_id']}/{artifact['name']}"
        fs, path = fsspec.core.url_to_fs(artifact["uri"], **options)
        data = fs.cat_file(path)  # read independently of vzb
        assert len(data) == artifact["size"]
        assert artifact["checksum"] == "sha256:" + hashlib.sha256(data).hexdigest()
    loaded = vzb.run(ids[0], store=store).result
    pd.testing.assert_frame_equal(loaded.positions, result.positions)
    pd.testing.assert_frame_equal(vzb.run(ids[1], store=store).result, table)
    assert check(store) == []

    by_name = {(a["run_id"], a["name"]): a for a in artifacts}
    gone = by_name[(ids[1], "sweep.parquet")]
    fs, path = fsspec.core.url_to_fs(gone["uri"], **options)
    fs.rm_file(path)
    changed = by_name[(ids[0], "result/meta.json")]
    fs, path = fsspec.core.url_to_fs(changed["uri"], **options)
    data = fs.cat_file(path)
    fs.pipe_file(path, data.replace(b'"version"', b'"vErsion"'))  # same size, other bytes
    problems = check(store)
    assert len(problems) == 2
    assert any(f"{ids[1]}: artifact sweep.parquet missing" in p for p in problems)
    assert any("meta.json checksum differs" in p for p in problems)
    assert check(store, full=False) == [p for p in problems if "missing" in p]


def test_without_a_url_artifacts_stay_in_the_store(tmp_path):
    store = str(tmp_path / "store")
    run_id = vzb.record(vzb.backtest(vzb.load_sample("BTC_USD")), store=store)
    folder = os.path.join(store, "results", run_id, "result")
    artifacts = open_catalog(store).artifacts()
    assert sorted(a["uri"] for a in artifacts) == sorted(
        os.path.join(folder, name) for name in os.listdir(folder)
    )

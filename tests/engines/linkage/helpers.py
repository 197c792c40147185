"""Small helpers shared by the linkage tests."""


def cluster_of(result, source, record_id):
    clusters = result.clusters
    row = clusters[(clusters["source"] == source) & (clusters["record_id"] == record_id)]
    assert len(row) == 1, (source, record_id)
    return int(row["cluster_id"].iloc[0])


def require_pyspark():
    """pyspark, or a skip on a developer's machine without the spark extra.

    In CI (CI=true) a missing pyspark is a failure: .ci/run installs the extra.
    """
    import importlib
    import os

    import pytest

    try:
        return importlib.import_module("pyspark")
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("pyspark is not installed: CI must install the spark extra")
        pytest.skip("pyspark is not installed (bin/bootstrap spark)")

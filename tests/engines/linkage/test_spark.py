"""The same model on Splink's Spark backend (local mode).

In CI (``CI=true``) a missing pyspark or Java is a failure, not a skip.
"""

import os
import shutil

import pytest

from memoria.linkage import link_records, pairwise_scores
from memoria.linkage.synthetic import generate_lists

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _spark_missing() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Java is not installed (apt-get install openjdk-17-jre-headless)"
    return None


@pytest.fixture(scope="module")
def spark_backend():
    missing = _spark_missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Spark tests must run in CI: {missing}")
        pytest.skip(missing)
    from memoria.linkage.backends import SparkBackend

    backend = SparkBackend(partitions=4)
    yield backend
    backend.session.stop()


def test_it_links_the_same_lists_on_spark_and_duckdb(spark_backend):
    lists = generate_lists(400, seed=31)
    truth = lists.truth()
    on_spark = link_records(lists.sources, backend=spark_backend, count_candidates=False)
    on_duckdb = link_records(lists.sources, count_candidates=False)
    scores = {}
    for name, result in (("spark", on_spark), ("duckdb", on_duckdb)):
        merged = truth.merge(result.clusters, on=["source", "record_id"])
        scores[name] = pairwise_scores(merged["cluster_id"], merged["person_id"])
    assert on_spark.summary["backend"] == "spark"
    assert scores["spark"].f1 > 0.95, scores["spark"].as_dict()
    # Same model, different sampling: the results agree closely, not exactly.
    assert abs(scores["spark"].f1 - scores["duckdb"].f1) < 0.02
    assert list(on_spark.capture_histories.columns) == list(on_duckdb.capture_histories.columns)

"""Small helpers shared by the linkage tests."""


def cluster_of(result, source, record_id):
    clusters = result.clusters
    row = clusters[(clusters["source"] == source) & (clusters["record_id"] == record_id)]
    assert len(row) == 1, (source, record_id)
    return int(row["cluster_id"].iloc[0])

"""The engine on generated files: kernel and explanation agree, calibration, ranking."""

import numpy as np
import pytest

from memoria.matching import explain, match, read_missing, read_remains, score_pairs
from memoria.matching.engine import block_top
from tests.engines.matching.generator import generate


@pytest.fixture(scope="module")
def files():
    frames = generate(400, 600, seed=11)
    am, pm = read_missing(frames.missing), read_remains(frames.remains)
    return frames, am, pm, match(am, pm, top=10, reverse=True)


def test_the_generator_is_deterministic():
    a, b = generate(50, 80, seed=3), generate(50, 80, seed=3)
    assert a.missing.equals(b.missing) and a.remains.equals(b.remains) and a.truth.equals(b.truth)
    assert not generate(50, 80, seed=4).missing.equals(a.missing)


def test_the_block_kernel_explanation_and_pair_scores_agree(files):
    _, am, pm, result = files
    model = result.model
    rows = np.arange(0, 40)
    cols = np.arange(len(pm))
    full = np.empty((len(rows), len(cols)), dtype=np.float32)
    rare = (model.am_rare[rows] @ model.pm_rare.T).tocsr()
    rare.sort_indices()
    block_top(model, am, pm, rows, cols, rare, 10, full=full)
    ii, jj = np.repeat(rows, len(cols)), np.tile(cols, len(rows))
    pairs = score_pairs(model, am, pm, ii, jj).reshape(full.shape)
    np.testing.assert_allclose(full, pairs, atol=1e-3)
    for i, j in [(0, 0), (3, 17), (12, 99)]:
        e = explain(model, am, pm, i, j)
        if np.isinf(full[i, j]):
            assert e.excluded
        else:
            assert e.score == pytest.approx(float(full[i, j]), abs=2e-3)


def test_ranks_run_from_one_within_each_person_and_never_exceed_top(files):
    _, _, _, result = files
    c = result.candidates
    assert list(c.columns) == ["missing_id", "remains_id", "rank", "score"]
    for _, group in c.groupby("missing_id"):
        assert list(group["rank"]) == list(range(1, len(group) + 1))
        assert list(group["score"]) == sorted(group["score"], reverse=True)
    assert c.groupby("missing_id").size().max() <= 10
    r = result.reverse
    assert list(r.columns) == ["remains_id", "missing_id", "rank", "score"]
    assert r.groupby("remains_id").size().max() <= 10


def test_most_true_remains_rank_in_the_top_ten(files):
    frames, _, _, result = files
    merged = frames.truth.merge(result.candidates, on=["missing_id", "remains_id"], how="left")
    best = merged.groupby("missing_id")["rank"].min()
    assert (best <= 10).mean() >= 0.8


def test_scores_are_calibrated_in_order(files):
    """Higher scores hold a larger share of true pairs; true pairs score far above others."""
    frames, _, _, result = files
    truth = set(map(tuple, frames.truth[["missing_id", "remains_id"]].to_numpy()))
    c = result.candidates.copy()
    c["true"] = [(m, r) in truth for m, r in zip(c["missing_id"], c["remains_id"], strict=True)]
    bins = np.quantile(c["score"], [0, 0.5, 0.9, 0.99, 1])
    shares = [
        c[(c["score"] >= lo) & (c["score"] <= hi)]["true"].mean()
        for lo, hi in zip(bins[:-1], bins[1:], strict=True)
    ]
    assert shares == sorted(shares)
    assert c[c["true"]]["score"].median() > c[~c["true"]]["score"].median() + 1


def test_progress_is_reported_up_to_the_total():
    frames = generate(60, 90, seed=5)
    seen = []
    match(
        read_missing(frames.missing),
        read_remains(frames.remains),
        progress=lambda d, t: seen.append((d, t)),
    )
    assert seen[-1] == (60, 60)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)

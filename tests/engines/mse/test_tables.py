import numpy as np
import pandas as pd
import pytest

from memoria.mse import CaptureTableError, MseWarning, read_capture_table, table_from_frame

from .conftest import load


def frame(rows, columns=("A", "B", "C", "count")):
    return pd.DataFrame(rows, columns=list(columns))


def test_it_reads_a_table_with_counts():
    table = load("rcapture_HIV")
    assert table.lists == ("c1", "c2", "c3", "c4")
    assert table.observed == 1896
    assert table.list_totals()["c1"] == 3 + 1 + 33 + 20 + 6 + 403


def test_it_reads_one_row_per_individual_and_sums_duplicates():
    table = table_from_frame(frame([[1, 0, 0], [1, 0, 0], [0, 1, 1]], ("A", "B", "C")))
    assert table.observed == 3
    patterns, counts = table.full_cells()
    assert counts[0b001 - 1] == 2  # A only
    assert counts[0b110 - 1] == 1  # B and C


def test_it_ignores_the_cluster_id_of_the_linkage_output(tmp_path):
    path = tmp_path / "histories.csv"
    path.write_text("cluster_id,fiscalia,colectivo,prensa\nc1,1,0,0\nc2,1,1,0\nc3,0,0,1\n")
    table = read_capture_table(path)[None]
    assert table.lists == ("fiscalia", "colectivo", "prensa")
    assert table.observed == 3


def test_it_splits_strata(tmp_path):
    path = tmp_path / "strata.csv"
    path.write_text(
        "state,A,B,C,count\nGro,1,0,0,5\nGro,0,1,0,4\nGro,0,0,1,3\nSon,1,1,0,2\n"
        "Son,0,0,1,7\nSon,1,0,0,1\nSon,0,1,0,1\n"
    )
    tables = read_capture_table(path, strata=["state"])
    assert set(tables) == {"Gro", "Son"}
    assert tables["Son"].observed == 11


@pytest.mark.filterwarnings("ignore::memoria.mse.MseWarning")
@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([[1, 0, 2, 3]], "list column \"C\" has value '2' in row 1"),
        ([[1, 0, 0, -1]], "counts must be non-negative integers"),
        ([[1, 0, 0, 1.5]], "counts must be non-negative integers"),
        ([[1, 0, 0, 3], [0, 0, 0, 2]], "row 2 is on no list"),
        ([[1, 0, 0, 3], [0, 1, 0, 2]], "at least 3 non-empty lists"),
        ([[1, 0, "x", 3]], "list column \"C\" has value 'x'"),
    ],
)
def test_it_rejects_bad_tables_with_a_clear_message(rows, message):
    with pytest.raises(CaptureTableError, match=message.replace("(", r"\(")):
        table_from_frame(frame(rows))


def test_it_drops_empty_lists_with_a_warning():
    rows = [[1, 0, 0, 0, 3], [0, 1, 0, 0, 2], [0, 0, 1, 0, 4], [1, 1, 0, 0, 1]]
    with pytest.warns(MseWarning, match="dropped: D"):
        table = table_from_frame(frame(rows, ("A", "B", "C", "D", "count")))
    assert table.lists == ("A", "B", "C")


def test_it_reports_a_missing_file_and_a_missing_stratum(tmp_path):
    with pytest.raises(CaptureTableError, match="file not found"):
        read_capture_table(tmp_path / "nope.csv")
    path = tmp_path / "t.csv"
    path.write_text("A,B,C\n1,0,0\n0,1,0\n0,0,1\n")
    with pytest.raises(CaptureTableError, match="stratum column not found: state"):
        read_capture_table(path, strata=["state"])


def test_full_cells_follow_the_bit_order():
    table = load("sparsemse_Artificial_3")
    patterns, counts = table.full_cells()
    assert patterns.tolist() == [
        [1, 0, 0],
        [0, 1, 0],
        [1, 1, 0],
        [0, 0, 1],
        [1, 0, 1],
        [0, 1, 1],
        [1, 1, 1],
    ]
    assert counts.tolist() == [40, 30, 6, 20, 0, 0, 0]
    assert np.array_equal(table.overlaps()[0], [46, 6, 0])

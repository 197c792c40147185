"""``memoria match`` end to end on small files."""

import argparse
import json

import pandas as pd
import pytest

from memoria.cli import match as match_command
from memoria.cli.common import CommandError
from tests.engines.matching.generator import generate


def run_match(argv):
    """Parse and run ``memoria match`` the way ``memoria.cli.main`` does."""
    parser = argparse.ArgumentParser(prog="memoria")
    match_command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["match", *argv])
    return args.handler(args)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("files")
    frames = generate(150, 220, seed=9)
    frames.missing.to_csv(folder / "missing.csv", index=False)
    frames.remains.to_csv(folder / "remains.csv", index=False)
    return folder, frames


def inputs(folder):
    return ["--missing", str(folder / "missing.csv"), "--remains", str(folder / "remains.csv")]


def test_it_writes_candidates_in_the_schema_and_prints_a_summary(files, tmp_path, capsys):
    folder, frames = files
    out = tmp_path / "candidates.csv"
    assert run_match([*inputs(folder), "--top", "5", "--out", str(out)]) == 0
    candidates = pd.read_csv(out, dtype={"missing_id": str, "remains_id": str})
    assert list(candidates.columns) == ["missing_id", "remains_id", "rank", "score"]
    assert set(candidates["missing_id"]) <= set(frames.missing["missing_id"])
    assert set(candidates["remains_id"]) <= set(frames.remains["remains_id"])
    assert candidates.groupby("missing_id").size().max() <= 5
    for _, group in candidates.groupby("missing_id"):
        assert list(group["rank"]) == list(range(1, len(group) + 1))
    err = capsys.readouterr().err
    assert "read 150 missing people and 220 remains" in err
    assert "people have candidates" in err
    assert str(out) in err


def test_json_summary_reverse_and_reasons(files, tmp_path, capsys):
    folder, _ = files
    out, reverse, reasons = tmp_path / "c.csv", tmp_path / "r.csv", tmp_path / "why.csv"
    argv = [
        *inputs(folder),
        "--out",
        str(out),
        "--reverse",
        str(reverse),
        "--reasons",
        str(reasons),
    ]
    assert run_match([*argv, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["missing"] == 150 and summary["remains"] == 220
    assert summary["candidate_rows"] == len(pd.read_csv(out))
    by_remains = pd.read_csv(reverse)
    assert list(by_remains.columns) == ["remains_id", "missing_id", "rank", "score"]
    why = pd.read_csv(reasons)
    assert list(why.columns) == ["missing_id", "remains_id", "rank", "evidence", "detail", "weight"]
    assert {"sex", "time", "place"} <= set(why["evidence"])


def test_bad_values_are_listed_with_their_rows_and_nothing_is_written(files, tmp_path):
    folder, frames = files
    bad = frames.remains.copy()
    bad.loc[3, "found_date"] = "ayer"
    bad.loc[7, "found_state"] = "99"
    bad.loc[9, "condition"] = "quemado"
    bad.to_csv(tmp_path / "remains.csv", index=False)
    out = tmp_path / "candidates.csv"
    with pytest.raises(CommandError) as error:
        run_match(
            [
                "--missing",
                str(folder / "missing.csv"),
                "--remains",
                str(tmp_path / "remains.csv"),
                "--out",
                str(out),
            ]
        )
    message = str(error.value)
    assert "3 value(s) cannot be read" in message
    assert "row 5, found_date 'ayer'" in message
    assert "row 9, found_state '99'" in message
    assert "row 11, condition 'quemado'" in message
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [tmp_path / "remains.csv"]


def test_a_failed_run_leaves_an_earlier_output_untouched(files, tmp_path):
    folder, frames = files
    out = tmp_path / "candidates.csv"
    out.write_text("earlier\n")
    broken = frames.missing.drop(columns="missing_id")
    broken.to_csv(tmp_path / "missing.csv", index=False)
    with pytest.raises(CommandError, match="missing column"):
        run_match(
            [
                "--missing",
                str(tmp_path / "missing.csv"),
                "--remains",
                str(folder / "remains.csv"),
                "--out",
                str(out),
            ]
        )
    assert out.read_text() == "earlier\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--missing", "nowhere.csv"], "nowhere.csv: no such file"),
        (["--out", "/no/such/dir/c.csv"], "no such directory"),
    ],
)
def test_clear_errors_on_paths(files, tmp_path, argv, message):
    folder, _ = files
    base = {
        "--missing": str(folder / "missing.csv"),
        "--remains": str(folder / "remains.csv"),
        "--out": str(tmp_path / "c.csv"),
    }
    base.update(dict(zip(argv[::2], argv[1::2], strict=True)))
    with pytest.raises(CommandError, match=message):
        run_match([x for kv in base.items() for x in kv])


def test_an_output_may_not_overwrite_an_input(files):
    folder, _ = files
    with pytest.raises(CommandError, match="would overwrite an input"):
        run_match([*inputs(folder), "--out", str(folder / "missing.csv")])


def test_top_must_be_a_positive_number(files, tmp_path, capsys):
    folder, _ = files
    with pytest.raises(SystemExit):
        run_match([*inputs(folder), "--top", "0", "--out", str(tmp_path / "c.csv")])
    assert "must be from 1 to 1000" in capsys.readouterr().err


def test_duplicate_ids_and_reversed_ranges_are_refused(tmp_path):
    from memoria.matching import InputError, read_missing, read_remains
    from tests.engines.matching.helpers import BODY, PERSON, frames

    missing, remains = frames([PERSON, PERSON], [{**BODY, "age_min": "40", "age_max": "30"}])
    with pytest.raises(InputError, match="row 3, missing_id 'AM-1': appears twice"):
        read_missing(missing)
    with pytest.raises(InputError, match="above age_max"):
        read_remains(remains)


def test_the_command_is_listed_in_memoria_help():
    from memoria.cli import build_parser

    assert "match" in build_parser().format_help()

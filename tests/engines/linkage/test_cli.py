import argparse
import json
import sys

import pandas as pd
import pytest

from memoria.cli import link
from memoria.cli.common import CommandError
from memoria.linkage.synthetic import generate_lists
from tests.engines.linkage.helpers import require_pyspark


def run_link(argv):
    """Parse and run ``memoria link`` the way ``memoria.cli.main`` does."""
    parser = argparse.ArgumentParser(prog="memoria")
    link.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["link", *argv])
    return args.handler(args)


@pytest.fixture(scope="module")
def lists_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lists")
    lists = generate_lists(600, seed=21)
    for name, frame in lists.sources.items():
        frame.drop(columns="person_id").to_csv(folder / f"{name}.csv", index=False)
    return folder


def inputs(folder):
    return [str(folder / f"{n}.csv") for n in ("fiscalia", "colectivo", "prensa", "registro")]


def test_it_writes_clusters_review_and_capture_histories(lists_dir, tmp_path, capsys):
    out, review, histories = tmp_path / "clusters.csv", tmp_path / "pairs.csv", tmp_path / "h.csv"
    scored = tmp_path / "scored.csv"
    code = run_link(
        [
            *inputs(lists_dir),
            "--out",
            str(out),
            "--review",
            str(review),
            "--capture-histories",
            str(histories),
            "--pairs",
            str(scored),
            "--json",
        ]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    clusters = pd.read_csv(out, dtype=str)
    assert list(clusters.columns) == ["source", "record_id", "cluster_id"]
    assert set(clusters["source"]) == {"fiscalia", "colectivo", "prensa", "registro"}
    assert summary["records"] == len(clusters)
    assert summary["clusters"] == clusters["cluster_id"].nunique()
    table = pd.read_csv(histories)
    assert list(table.columns) == ["cluster_id", "fiscalia", "colectivo", "prensa", "registro"]
    assert len(table) == summary["clusters"]
    pairs = pd.read_csv(review)
    assert {"match_probability", "explanation", "evidence"} <= set(pairs.columns)
    # Every kept pair, named as in the clusters file (for memoria estimate --pairs).
    kept = pd.read_csv(scored, dtype={"record_id_l": str, "record_id_r": str})
    assert len(kept) == summary["scored_pairs_kept"]
    assert kept["linked"].sum() == summary["linked_pairs"]
    assert kept["held_back"].sum() == summary["held_back_pairs"]
    named = set(zip(clusters["source"], clusters["record_id"], strict=True))
    assert set(zip(kept["source_l"], kept["record_id_l"], strict=True)) <= named
    assert set(zip(kept["source_r"], kept["record_id_r"], strict=True)) <= named


def test_it_prints_a_human_summary_on_stderr(lists_dir, tmp_path, capsys):
    run_link([*inputs(lists_dir)[:2], "--out", str(tmp_path / "c.csv"), "--threshold", "0.95"])
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "clusters" in captured.err and "candidate pairs" in captured.err


def test_it_fails_cleanly_on_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run_link([str(tmp_path / "nope.csv"), "--out", str(tmp_path / "c.csv")])


def test_it_fails_cleanly_on_unreadable_values(tmp_path):
    bad = tmp_path / "colectivo.csv"
    bad.write_text("record_id,full_name,age\n1,Ana López,treinta\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"colectivo row 1, age='treinta'"):
        run_link([str(bad), "--out", str(tmp_path / "c.csv")])


def test_it_reads_states_written_by_name_as_the_web_does(lists_dir, tmp_path, capsys):
    from memoria.geo import load_states

    # Each state written as lists write it: its name, some by abbreviation, in any case.
    written = {state.code: state.name.upper() for state in load_states()}
    written |= {"09": "CDMX", "15": "Edo. de México", "08": "Chih.", "30": "Veracruz"}
    colectivo = pd.read_csv(lists_dir / "colectivo.csv", dtype=str, keep_default_na=False)
    codes = colectivo["state"].str.zfill(2)
    assert codes.isin(list(written)).sum() > len(colectivo) / 2
    colectivo["state"] = colectivo["state"].map(lambda code: written.get(code.zfill(2), code))
    named = tmp_path / "colectivo.csv"
    colectivo.to_csv(named, index=False)
    fiscalia = str(lists_dir / "fiscalia.csv")
    by_code, by_name = tmp_path / "by-code.csv", tmp_path / "by-name.csv"
    assert run_link([fiscalia, str(lists_dir / "colectivo.csv"), "--out", str(by_code)]) == 0
    assert run_link([fiscalia, str(named), "--out", str(by_name), "--json"]) == 0
    # The same clusters as from the codes, and no state read as unknown.
    assert by_name.read_text() == by_code.read_text()
    summary = json.loads(capsys.readouterr().out)
    assert "state" not in summary["input"]["placeholders"].get("colectivo", {})


def test_it_refuses_a_state_that_is_neither_a_code_nor_a_name_writing_nothing(tmp_path):
    bad = tmp_path / "colectivo.csv"
    bad.write_text(
        "record_id,full_name,State\n1,Ana López,Gondor\n2,Juan Pérez,Veracruz\n"
        "3,Luis Díaz,N/D\n4,Rosa Ruiz,09\n5,Inés Mora,Narnia\n",
        encoding="utf-8",
    )
    out = tmp_path / "c.csv"
    with pytest.raises(CommandError) as caught:
        run_link([str(bad), "--out", str(out)])
    reason = "neither an INEGI state code (2 digits) nor a state's name"
    assert str(caught.value) == (
        f"2 value(s) cannot be read: colectivo row 1, state='Gondor': {reason}; "
        f"colectivo row 5, state='Narnia': {reason}"
    )
    assert not out.exists()


def test_it_refuses_two_inputs_with_the_same_stem(lists_dir, tmp_path):
    other = tmp_path / "fiscalia.csv"
    other.write_text("record_id,full_name\n1,Ana\n", encoding="utf-8")
    with pytest.raises(CommandError, match="same file name"):
        run_link([str(lists_dir / "fiscalia.csv"), str(other), "--out", str(tmp_path / "c.csv")])


def test_it_rejects_a_threshold_outside_zero_and_one(lists_dir, tmp_path):
    with pytest.raises(SystemExit):
        run_link([*inputs(lists_dir), "--out", str(tmp_path / "c.csv"), "--threshold", "1.2"])


def test_it_says_how_to_install_spark_when_pyspark_is_missing(lists_dir, tmp_path, monkeypatch):
    # The runtime install has no pyspark: Spark is the `spark` extra.
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(CommandError) as caught:
        run_link([*inputs(lists_dir), "--out", str(tmp_path / "c.csv"), "--backend", "spark"])
    assert str(caught.value) == (
        "spark backend unavailable: the Spark backend needs pyspark: pip install 'memoria[spark]'"
    )


def test_it_fails_in_one_line_when_spark_finds_no_java(lists_dir, tmp_path, monkeypatch):
    require_pyspark()
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-java"))
    with pytest.raises(CommandError) as caught:
        run_link([*inputs(lists_dir), "--out", str(tmp_path / "c.csv"), "--backend", "spark"])
    message = str(caught.value)
    assert message.startswith("spark backend unavailable: Spark cannot start: JAVA_HOME is ")
    assert "apt-get install openjdk-17-jre-headless" in message
    assert "\n" not in message


def test_it_fails_in_one_line_when_spark_cannot_start(lists_dir, tmp_path, monkeypatch):
    require_pyspark()
    from pyspark.sql import SparkSession

    from memoria.linkage import backends

    def refuse(self):
        raise RuntimeError("[JAVA_GATEWAY_EXITED] Java gateway process exited\nbefore its port")

    monkeypatch.setattr(backends, "_missing_java", lambda: None)
    monkeypatch.setattr(SparkSession.Builder, "getOrCreate", refuse)
    with pytest.raises(CommandError) as caught:
        run_link([*inputs(lists_dir), "--out", str(tmp_path / "c.csv"), "--backend", "spark"])
    message = str(caught.value)
    assert message.startswith("spark backend unavailable: Spark could not start ([JAVA_GATEWAY")
    assert "\n" not in message


def test_an_impossible_date_does_not_refuse_the_run(lists_dir, tmp_path, capsys):
    # One impossible birth date and some placeholders in an otherwise good list.
    source = pd.read_csv(lists_dir / "colectivo.csv", dtype=str, keep_default_na=False)
    source.loc[0, "birth_date"] = "1999-02-29"
    source.loc[1, "birth_date"] = "1900-01-01"
    source.loc[2, "maternal_surname"] = "N/D"
    source.loc[3, "maternal_surname"] = "SIN DATO"
    edited = tmp_path / "colectivo.csv"
    source.to_csv(edited, index=False)
    argv = [str(lists_dir / "fiscalia.csv"), str(edited), "--out", str(tmp_path / "c.csv")]
    assert run_link([*argv, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["records"] == len(source) + len(pd.read_csv(lists_dir / "fiscalia.csv"))
    cleaning = summary["input"]
    assert cleaning["invalid_dates"] == {"colectivo": {"birth_date": 1}}
    assert cleaning["placeholders"]["colectivo"]["maternal_surname"] >= 2
    assert cleaning["placeholders"]["colectivo"]["birth_date"] >= 1
    assert run_link(argv) == 0  # the human summary says it too
    err = capsys.readouterr().err
    assert "1 date(s) that cannot exist or cannot be read were treated as unknown" in err
    assert "birth_date='1999-02-29'" in err
    with pytest.raises(CommandError, match=r"colectivo row 1, birth_date='1999-02-29'"):
        run_link([*argv, "--strict"])


def test_it_learns_from_the_answers_added_to_the_review_file(lists_dir, tmp_path, capsys):
    out, review = tmp_path / "clusters.csv", tmp_path / "pairs.csv"
    assert run_link([*inputs(lists_dir), "--out", str(out), "--review", str(review)]) == 0
    pairs = pd.read_csv(review, dtype=str)
    pairs["decision"] = ""
    pairs.loc[0, "decision"] = "different"
    pairs.loc[1, "decision"] = "Same"
    pairs.to_csv(review, index=False)
    capsys.readouterr()
    code = run_link([*inputs(lists_dir), "--out", str(out), "--answers", str(review), "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["learned_from"]["same"], summary["learned_from"]["different"]) == (1, 1)
    clusters = pd.read_csv(out, dtype=str)
    ids = clusters["source"] + ":" + clusters["record_id"]
    cluster = dict(zip(ids, clusters["cluster_id"], strict=True))
    first, second = pairs.iloc[0], pairs.iloc[1]
    left, right = (f"{first.source_l}:{first.record_id_l}", f"{first.source_r}:{first.record_id_r}")
    assert cluster[left] != cluster[right]
    left, right = (
        f"{second.source_l}:{second.record_id_l}",
        f"{second.source_r}:{second.record_id_r}",
    )
    assert cluster[left] == cluster[right]


def test_it_refuses_an_answer_it_cannot_read(lists_dir, tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_text(
        "source_l,record_id_l,source_r,record_id_r,decision\nfiscalia,1,prensa,2,maybe\n"
    )
    with pytest.raises(CommandError, match="row 2"):
        run_link([*inputs(lists_dir), "--out", str(tmp_path / "c.csv"), "--answers", str(answers)])


def test_it_says_how_many_names_it_read_both_ways(lists_dir, tmp_path, capsys):
    # "LAZARO SIMON" could be Lázaro Simón or Simón Lázaro: read both ways.
    press = tmp_path / "notas.csv"
    pd.DataFrame(
        {
            "record_id": ["n1", "n2"],
            "full_name": ["LAZARO SIMON", "Juan Pérez López"],
            "event_date": ["2013-04-05", "2012-01-01"],
        }
    ).to_csv(press, index=False)
    run_link([*inputs(lists_dir)[:2], str(press), "--out", str(tmp_path / "c.csv")])
    err = " ".join(capsys.readouterr().err.split())  # the console wraps long lines
    assert "1 full name(s) whose order their words do not decide were read both ways" in err

import argparse
import json
import subprocess
import sys

import pytest

from memoria.cli import estimate, main
from memoria.cli.common import CommandError

from .conftest import DATA


def run_estimate(argv):
    """Parse and run ``memoria estimate`` the way ``memoria.cli.main`` does."""
    parser = argparse.ArgumentParser(prog="memoria")
    estimate.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["estimate", *argv])
    return args.handler(args)


def test_it_prints_one_json_object_with_the_uk_stepwise_estimate(capsys):
    code = run_estimate([str(DATA / "sparsemse_UKdat_5.csv"), "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["observed"] == 2744
    assert report["lists"] == ["LA", "NG", "PFNCA", "GO", "GP"]
    loglinear = report["loglinear"]
    assert loglinear["estimate"] == pytest.approx(11313, abs=0.5)
    assert set(loglinear["model"]) == {"LA:NG", "NG:GP", "PFNCA:GP", "LA:PFNCA", "GO:GP", "NG:GO"}
    assert [round(x) for x in loglinear["intervals"]["normal"]] == [9884, 13027]
    low, high = loglinear["interval"]
    assert low < loglinear["estimate"] < high


def test_it_reports_bic_choice_with_the_best_models(capsys):
    run_estimate([str(DATA / "madigan_york_3list.csv"), "--criterion", "bic", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["loglinear"]["model"] == ["MR:DC"]
    assert report["loglinear"]["estimate"] == pytest.approx(730.9, abs=0.05)
    assert len(report["loglinear"]["top_models"]) == 5


@pytest.mark.slow
def test_it_runs_both_methods_with_diagnostics_and_a_plot(capsys, tmp_path):
    plot = tmp_path / "posterior.png"
    code = run_estimate(
        [
            str(DATA / "madigan_york_5list.csv"),
            "--method",
            "all",
            "--seed",
            "2",
            "--chains",
            "2",
            "--iterations",
            "2000",
            "--burn-in",
            "500",
            "--thin",
            "5",
            "--bootstrap",
            "20",
            "--json",
            "--plot",
            str(plot),
        ]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    lcmcr = report["lcmcr"]
    # Reference run (R's LCMCR): about 628 [589, 720]. At these settings (2
    # chains × 400 kept draws) twelve seeds gave medians with sd 3.7 (mean
    # 627), lower ends with sd 2.5 and upper ends with sd 19 (mean 710); the
    # tolerances are four of those sd.
    assert lcmcr["estimate"] == pytest.approx(628, abs=15)
    low, high = lcmcr["interval"]
    assert low == pytest.approx(589, abs=10)
    assert high == pytest.approx(720, abs=75)
    # Two short chains that agree: R-hat 1.003 at this seed (over twelve seeds
    # it ranged from 1.003 to 1.23, before and after chains started as R's
    # do); 1.1 or more would mean the chains settled on different posteriors.
    assert lcmcr["diagnostics"]["rhat"] < 1.05
    assert lcmcr["diagnostics"]["ess_bulk"] > 0
    assert lcmcr["settings"]["seed"] == 2
    assert report["loglinear"]["interval_method"].startswith("bootstrap BCa")
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_it_accepts_the_linkage_capture_histories(tmp_path, capsys):
    path = tmp_path / "histories.csv"
    rows = ["cluster_id,fiscalia,colectivo,prensa"]
    pattern = {"100": 50, "010": 40, "001": 30, "110": 10, "101": 8, "011": 6, "111": 2}
    for bits, count in pattern.items():
        rows += [f"c{bits}{k},{','.join(bits)}" for k in range(count)]
    path.write_text("\n".join(rows) + "\n")
    run_estimate([str(path), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["lists"] == ["fiscalia", "colectivo", "prensa"]
    assert report["observed"] == 146


def test_it_estimates_per_stratum_and_adds_up(tmp_path, capsys):
    path = tmp_path / "strata.csv"
    lines = ["state,A,B,C,count"]
    for state, scale in (("Gro", 1), ("Son", 2)):
        for bits, count in {
            "100": 50,
            "010": 40,
            "001": 30,
            "110": 10,
            "101": 8,
            "011": 6,
            "111": 2,
        }.items():
            lines.append(f"{state},{','.join(bits)},{count * scale}")
    path.write_text("\n".join(lines) + "\n")
    run_estimate([str(path), "--strata", "state", "--json"])
    report = json.loads(capsys.readouterr().out)
    parts = report["strata"]
    assert set(parts) == {"Gro", "Son"}
    total = parts["Gro"]["loglinear"]["estimate"] + parts["Son"]["loglinear"]["estimate"]
    assert report["loglinear"]["estimate"] == pytest.approx(total)
    assert report["observed"] == 146 * 3


def test_it_prints_a_readable_table(capsys):
    run_estimate([str(DATA / "rcapture_HIV.csv")])
    out = capsys.readouterr().out
    assert "11,125" in out
    assert "Observed individuals: 1,896" in out


def test_bad_input_is_one_clean_line(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("A,B,C,count\n1,0,2,3\n")
    assert main(["estimate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "memoria estimate: error: list column \"C\" has value '2' in row 1; "
        "list columns must be 0 or 1"
    )


def test_too_many_lists_for_bic_is_a_command_error():
    with pytest.raises(CommandError, match="use --criterion stepwise"):
        run_estimate([str(DATA / "sparsemse_NewOrl.csv"), "--criterion", "bic"])


def test_the_engine_imports_without_django():
    code = (
        "import sys, memoria.mse, memoria.mse.simulate, memoria.cli.estimate;"
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_strata_get_independent_random_streams(tmp_path, capsys):
    path = tmp_path / "strata.csv"
    lines = ["state,A,B,C,count"]
    for state in ("Gro", "Son"):  # two identical strata
        for bits, count in {"100": 50, "010": 40, "001": 30, "110": 10, "101": 8,
                            "011": 6, "111": 2}.items():  # fmt: skip
            lines.append(f"{state},{','.join(bits)},{count}")
    path.write_text("\n".join(lines) + "\n")
    run_estimate([str(path), "--strata", "state", "--method", "lcmcr", "--seed", "1",
                  "--chains", "2", "--iterations", "500", "--burn-in", "100", "--classes", "3",
                  "--json"])  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    gro, son = (report["strata"][s]["lcmcr"] for s in ("Gro", "Son"))
    assert gro["diagnostics"]["chain_medians"] != son["diagnostics"]["chain_medians"]
    assert gro["settings"]["seed"] != son["settings"]["seed"]
    low, high = report["lcmcr"]["interval"]
    assert low <= report["lcmcr"]["estimate"] <= high
    assert report["lcmcr"]["estimate"] == pytest.approx(gro["estimate"] + son["estimate"], rel=0.1)


def test_a_dropped_empty_list_is_reported_in_the_json(tmp_path, capsys):
    path = tmp_path / "t.csv"
    path.write_text("A,B,C,D,count\n1,0,0,0,30\n0,1,0,0,20\n0,0,1,0,25\n1,1,0,0,5\n"
                    "1,0,1,0,4\n0,1,1,0,3\n1,1,1,0,1\n")  # fmt: skip
    run_estimate([str(path), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["lists"] == ["A", "B", "C"]
    assert report["warnings"] == ["list(s) with no individuals dropped: D"]


def test_strata_that_drop_different_lists_are_combined_under_every_list(tmp_path, capsys):
    # Gro has nobody on D, Son nobody on B: each stratum drops its own list.
    path = tmp_path / "strata.csv"
    lines = ["state,A,B,C,D,count"]
    for state, cells in (
        ("Gro", {"1100": 10, "1000": 50, "0100": 40, "0010": 30, "1010": 8, "0110": 6, "1110": 2}),
        ("Son", {"1001": 10, "1000": 50, "0001": 40, "0010": 30, "1010": 8, "0011": 6, "1011": 2}),
    ):
        lines += [f"{state},{','.join(bits)},{count}" for bits, count in cells.items()]
    path.write_text("\n".join(lines) + "\n")
    run_estimate([str(path), "--strata", "state", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["strata"]["Gro"]["lists"] == ["A", "B", "C"]
    assert report["strata"]["Son"]["lists"] == ["A", "C", "D"]
    assert report["lists"] == ["A", "B", "C", "D"]
    assert report["list_totals"] == {"A": 140, "B": 58, "C": 92, "D": 58}
    assert sorted(report["warnings"]) == [
        "list(s) with no individuals dropped: B",
        "list(s) with no individuals dropped: D",
    ]


def test_it_prints_warnings_on_stderr_with_json(capsys):
    # 4 chains of 400 iterations without burn-in cannot agree on the UK data.
    run_estimate([str(DATA / "sparsemse_UKdat_5.csv"), "--method", "lcmcr", "--seed", "1",
                  "--iterations", "400", "--burn-in", "0", "--thin", "1", "--json"])  # fmt: skip
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert any("CHAINS DISAGREE" in message for message in report["warnings"])
    assert "memoria estimate: WARNING: LCMCR: CHAINS DISAGREE" in captured.err
    for message in report["warnings"]:
        assert f"WARNING: {message}" in captured.err


def test_library_warnings_stay_out_of_the_report(monkeypatch, capsys):
    import warnings

    from memoria import mse
    from memoria.mse import estimate as engine

    def noisy(function, text):
        def call(*args, **kwargs):
            warnings.warn(text, FutureWarning, stacklevel=2)
            return function(*args, **kwargs)

        return call

    monkeypatch.setattr(mse, "read_capture_table", noisy(mse.read_capture_table, "pandas: one"))
    monkeypatch.setattr(engine, "select_model", noisy(engine.select_model, "statsmodels: two"))
    with pytest.warns(FutureWarning) as shown:
        run_estimate([str(DATA / "madigan_york_3list.csv"), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["warnings"] == []
    # Not swallowed either: both reach the caller, i.e. stderr on the command line.
    assert {str(w.message) for w in shown} == {"pandas: one", "statsmodels: two"}


def test_one_chain_says_it_cannot_show_convergence(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # one table row per line
    argv = [str(DATA / "madigan_york_3list.csv"), "--method", "lcmcr", "--chains", "1",
            "--iterations", "1000", "--burn-in", "200", "--classes", "3",
            "--seed", "1"]  # fmt: skip
    run_estimate(argv)
    out = capsys.readouterr().out
    assert "1 chain: convergence not checked" in out
    assert "R-hat 1." not in out
    assert "ONE CHAIN CANNOT SHOW CONVERGENCE" in out
    run_estimate([*argv, "--json"])
    captured = capsys.readouterr()
    diagnostics = json.loads(captured.out)["lcmcr"]["diagnostics"]
    assert diagnostics["rhat"] is None and diagnostics["chains"] == 1
    assert "ONE CHAIN CANNOT SHOW CONVERGENCE" in captured.err


def test_until_converged_reports_its_rounds(capsys):
    code = run_estimate(
        [
            str(DATA / "madigan_york_3list.csv"),
            "--method", "lcmcr", "--seed", "3", "--iterations", "40", "--burn-in", "0",
            "--thin", "1", "--until-converged", "--max-seconds", "300", "--json",
        ]
    )  # fmt: skip
    assert code == 0
    lcmcr = json.loads(capsys.readouterr().out)["lcmcr"]
    assert lcmcr["converged"] is True
    assert lcmcr["rounds"] > 1
    assert lcmcr["diagnostics"]["rhat"] < 1.01
    assert not any("DISAGREE" in warning for warning in lcmcr["warnings"])
    assert lcmcr["settings"]["until_converged"] is True


def test_the_default_leaves_sampling_until_converged_to_the_table():
    parser = argparse.ArgumentParser(prog="memoria")
    estimate.register(parser.add_subparsers(dest="command"))
    table = str(DATA / "verdata_recruitment_1999_men.csv")

    def settings(*argv):
        return estimate._options(parser.parse_args(["estimate", table, *argv]), seed=1).lcmcr

    default = settings("--method", "lcmcr")
    assert (default.until_converged, default.max_seconds) == (None, 300.0)  # decided per table
    assert settings("--no-until-converged").until_converged is False
    assert settings("--until-converged", "--max-seconds", "60").max_seconds == 60.0


def _linked_files(tmp_path):
    """A table's people written as linked records, plus 20 pairs of one-list people
    scored at 0.5: the clusters file, the pairs file, and how many people."""
    import numpy as np
    import pandas as pd

    from memoria.mse import read_capture_table

    table = read_capture_table(DATA / "madigan_york_3list.csv")[None]
    records, links, alone = [], [], {}
    person = 0
    for history, count in zip(table.histories, table.counts, strict=True):
        for _copy in range(int(count)):
            person += 1
            lists = [table.lists[j] for j in np.flatnonzero(history)]
            records += [(name, f"p{person}", person) for name in lists]
            links += [(lists[0], f"p{person}", other, f"p{person}", 1.0, True, False)
                      for other in lists[1:]]  # fmt: skip
            if len(lists) == 1:
                alone.setdefault(lists[0], []).append(f"p{person}")
    first, second = table.lists[:2]
    links += [(first, a, second, b, 0.5, False, False)
              for a, b in zip(alone[first][:20], alone[second][:20], strict=True)]  # fmt: skip
    clusters = tmp_path / "clusters.csv"
    pairs = tmp_path / "scored.csv"
    pd.DataFrame(records, columns=["source", "record_id", "cluster_id"]).to_csv(
        clusters, index=False
    )
    columns = ["source_l", "record_id_l", "source_r", "record_id_r", "match_probability"]
    pd.DataFrame(links, columns=[*columns, "linked", "held_back"]).to_csv(pairs, index=False)
    return clusters, pairs, person


def test_with_pairs_it_pools_clusterings_beside_the_clusters_alone(capsys, tmp_path):
    """The pooled figures come from clusterings that join some of the 20 pairs."""
    clusters, pairs, person = _linked_files(tmp_path)
    code = run_estimate(
        [str(clusters), "--pairs", str(pairs), "--linkage-draws", "5", "--seed", "3", "--json"]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    direct = json.loads(
        (run_estimate([str(DATA / "madigan_york_3list.csv"), "--json"]), capsys.readouterr().out)[1]
    )
    assert report["observed"] == direct["observed"] == person
    assert report["loglinear"]["estimate"] == pytest.approx(direct["loglinear"]["estimate"])
    pooled = report["linkage_uncertainty"]
    assert pooled["clusterings"] == 5
    assert person - 20 <= pooled["observed"]["min"] <= pooled["observed"]["max"] < person
    low, high = pooled["loglinear"]["interval"]
    assert (
        low
        <= min(pooled["loglinear"]["estimates"])
        <= max(pooled["loglinear"]["estimates"])
        <= high
    )


def test_with_pairs_and_averaging_the_averages_are_pooled_too(capsys, tmp_path):
    clusters, pairs, _person = _linked_files(tmp_path)
    argv = [str(clusters), "--pairs", str(pairs), "--linkage-draws", "3", "--seed", "3"]
    assert run_estimate([*argv, "--criterion", "bic", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    pooled = report["linkage_uncertainty"]["loglinear"]["model_average"]
    assert len(pooled["estimates"]) == 3
    low, high = pooled["interval"]
    assert low <= min(pooled["estimates"]) <= max(pooled["estimates"]) <= high
    assert run_estimate([*argv, "--criterion", "bic"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # the console wraps long lines
    assert f"loglinear average: {pooled['estimate']:,.0f} [{low:,.0f}, {high:,.0f}]" in out
    assert f"one clustering's interval {pooled['median_width']:,.0f} wide (median)" in out


def test_with_pairs_the_first_file_must_be_clusters(tmp_path):
    with pytest.raises(CommandError, match="clusters file"):
        run_estimate(
            [str(DATA / "madigan_york_3list.csv"), "--pairs", str(DATA / "madigan_york_3list.csv")]
        )

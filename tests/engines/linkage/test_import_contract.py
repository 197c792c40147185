import subprocess
import sys


def test_it_imports_the_engines_without_django():
    code = (
        "import sys, memoria.names, memoria.linkage, memoria.linkage.synthetic;"
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_declared_floors_cover_the_apis_the_linkage_engine_uses():
    # Splink 5's training and prediction API (warning_mode, training_settings)
    # and DuckDB 2's lambda_syntax setting: older versions install but fail at run time.
    import re
    import tomllib
    from pathlib import Path

    pyproject = Path(__file__).resolve().parents[3] / "pyproject.toml"
    dependencies = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    floors = {}
    for requirement in dependencies:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)>=(\d+)(?:\.\d+)*", requirement)
        if match:
            floors[match.group(1).lower()] = int(match.group(2))
    assert floors["splink"] >= 5
    assert floors["duckdb"] >= 2

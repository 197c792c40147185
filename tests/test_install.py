"""What each install brings: bin/start installs requirements.lock and nothing else.

requirements.lock is the runtime (the platform and its engines),
requirements-dev.lock adds the development tools, requirements-spark.lock adds
pyspark too (CI). bin/lock writes all three; these tests keep them honest.
"""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# Named here as well as derived below, so the rule reads plainly.
NEVER_AT_RUNTIME = {
    "pytest", "pytest-django", "pytest-xdist", "playwright", "ruff", "import-linter",
    "recordlinkage", "polib", "pyspark", "py4j", "scikit-learn",
}  # fmt: skip


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    return normalized(re.match(r"[A-Za-z0-9_.-]+", requirement).group())


def read_lock(name: str) -> tuple[dict[str, str], dict[str, set[str]]]:
    """A lock's pins ({package: version}) and who requires each package."""
    pins: dict[str, str] = {}
    required_by: dict[str, set[str]] = {}
    current = None
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        if pin := re.match(r"([A-Za-z0-9_.-]+)==(\S+)", line):
            current = normalized(pin.group(1))
            pins[current] = pin.group(2)
            required_by[current] = set()
        elif current and (via := re.match(r"\s+#\s+(?:via\s+)?([A-Za-z0-9_.-]+)", line)):
            required_by[current].add(normalized(via.group(1)))
    for parents in required_by.values():
        parents -= {"via", "-c", "-r"}  # annotation words, not packages
    return pins, required_by


def runtime_closure() -> set[str]:
    """Every package the runtime dependencies of pyproject.toml pull in, read
    from the full resolution (requirements-spark.lock)."""
    _, required_by = read_lock("requirements-spark.lock")
    requires: dict[str, set[str]] = {}
    for child, parents in required_by.items():
        for parent in parents:
            requires.setdefault(parent, set()).add(child)
    todo = [requirement_name(r) for r in PYPROJECT["project"]["dependencies"]]
    todo += ["psycopg-binary"]  # psycopg[binary]: the extra, annotated as "via psycopg"
    reached: set[str] = set()
    while todo:
        name = todo.pop()
        if name not in reached:
            reached.add(name)
            todo.extend(requires.get(name, ()))
    return reached


def test_it_keeps_development_and_spark_packages_out_of_the_runtime_lock():
    runtime, _ = read_lock("requirements.lock")
    extras = PYPROJECT["project"]["optional-dependencies"]
    dev_and_spark = {requirement_name(r) for r in extras["dev"] + extras["spark"]}
    assert not (set(runtime) & (NEVER_AT_RUNTIME | dev_and_spark))
    assert "--extra" not in (ROOT / "requirements.lock").read_text(encoding="utf-8")[:300]


def test_it_installs_at_runtime_exactly_what_the_runtime_dependencies_need():
    runtime, _ = read_lock("requirements.lock")
    assert set(runtime) == runtime_closure()
    # The analysis engines are core features: they stay in the runtime install.
    for engine in ("numpy", "scipy", "pandas", "statsmodels", "numba", "splink", "duckdb"):
        assert engine in runtime


def test_it_pins_the_same_versions_in_every_lock():
    runtime, _ = read_lock("requirements.lock")
    dev, _ = read_lock("requirements-dev.lock")
    spark, _ = read_lock("requirements-spark.lock")
    assert runtime.items() <= dev.items() <= spark.items()
    assert {"pytest", "pytest-django", "ruff", "playwright"} <= set(dev)
    assert "pyspark" not in dev
    assert "pyspark" in spark


def test_it_keeps_the_benchmark_peers_out_of_the_package():
    assert importlib.util.find_spec("memoria.linkage.peers") is None
    assert (ROOT / "bench" / "peers.py").is_file()

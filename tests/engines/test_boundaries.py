"""The engines run without Django: analysts import them from a notebook."""

import subprocess
import sys

ENGINES = [
    "memoria.geo",
    "memoria.names",
    "memoria.linkage",
    "memoria.mse",
    "memoria.matching",
    "memoria.disclosure",
    "memoria.exchange.bundle",  # the bundles' cryptography, inside the exchange app
]


def test_engines_import_with_django_absent():
    code = "import sys\nsys.modules['django'] = None  # any import of django now fails\n" + "".join(
        f"import {name}\n" for name in ENGINES
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr

import subprocess
import sys


def test_it_imports_the_engines_without_django():
    code = (
        "import sys, memoria.names, memoria.linkage, memoria.linkage.synthetic;"
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

"""The standard formats' imports behind one call, for the web page and ``memoria import``."""

from __future__ import annotations

from memoria.cases.io import esf, hxl, uwazi
from memoria.cases.io.esf import FormatProblems, FormatReport

STANDARD_IMPORTS = ("esf", "uwazi", "hxl")

__all__ = ["STANDARD_IMPORTS", "FormatProblems", "import_file"]


def import_file(
    fmt: str, content: bytes, filename: str, organization, actor=None, **options
) -> FormatReport:
    """Import ``content`` in ``fmt`` (``esf``, ``uwazi`` or ``hxl``): every record
    checked, then all written in one transaction, or nothing. ``options``:
    ``via``, ``dry_run``. Raises ``FormatProblems`` for a file that cannot be read."""
    if fmt == "esf":
        return esf.import_document(esf.read_document(content), organization, actor, **options)
    if fmt == "uwazi":
        return uwazi.import_uwazi(content, organization, actor, filename=filename, **options)
    if fmt == "hxl":
        return hxl.import_hxl(content, organization, actor, filename=filename, **options)
    raise ValueError(f"unknown standard format {fmt!r}")

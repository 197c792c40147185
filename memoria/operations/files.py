"""Files written whole or not at all, readable by their owner only.

Backups and exports are written to a temporary file beside their target
(created 0600, never over an existing file), flushed to the disk with
``fsync``, and only then renamed into place; the folder is synced before the
rename (so the finished temporary file survives a crash) and after it (so the
new name does). A failure, or an interruption, at any point leaves either the
old file or the complete new one at the target, never a part of one, and
removes the temporary file.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TypeVar

T = TypeVar("T")


def fsync_directory(path: Path) -> None:
    """Make the names in folder ``path`` (a file just created or renamed) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_whole_file(
    path: Path,
    write: Callable[[BinaryIO], T],
    before_replace: Callable[[T], None] | None = None,
) -> T:
    """Call ``write(out)`` on a private temporary file and put it at ``path`` when complete.

    ``before_replace(result)`` runs once the file is safely on the disk and
    before it takes its name (an export writes its audit entry there); if it
    raises, nothing is put at ``path``. Returns what ``write`` returned.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    temporary = folder / f".{path.name}.{secrets.token_hex(4)}.partial"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            result = write(out)
            out.flush()
            os.fsync(out.fileno())
        fsync_directory(folder)
        if before_replace is not None:
            before_replace(result)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_directory(folder)
    return result

"""Backups and exports reach the disk whole before they take their name.

A crash cannot be simulated here, so these tests watch the system calls: the
file's own descriptor and its folder are synced before the rename, and the
folder again after it. They wrap ``os.fsync`` and ``os.replace`` (recording,
then calling the real ones), so the files are really written.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from unittest import mock

import pytest

from memoria.operations.files import write_whole_file


class SyscallLog:
    """Each fsync (of a file or a folder, by inode) and each rename, in order."""

    def __init__(self):
        self.events: list[tuple] = []
        self._fsync, self._replace = os.fsync, os.replace

    def fsync(self, fd):
        info = os.fstat(fd)
        kind = "folder" if stat.S_ISDIR(info.st_mode) else "file"
        self.events.append(("fsync", kind, info.st_ino))
        return self._fsync(fd)

    def replace(self, source, target):
        self.events.append(("replace", os.stat(source).st_ino, str(target)))
        return self._replace(source, target)

    def __enter__(self):
        self._patches = [
            mock.patch("os.fsync", side_effect=self.fsync),
            mock.patch("os.replace", side_effect=self.replace),
        ]
        for patch in self._patches:
            patch.start()
        return self

    def __exit__(self, *exc):
        for patch in self._patches:
            patch.stop()


def assert_synced_then_renamed(events: list[tuple], target: Path) -> None:
    """The file (the inode now at ``target``) and its folder synced, then the rename,
    then the folder again."""
    file_inode, folder_inode = target.stat().st_ino, target.parent.stat().st_ino
    renames = [i for i, e in enumerate(events) if e[0] == "replace" and e[2] == str(target)]
    assert len(renames) == 1, events
    rename = renames[0]
    assert events[rename][1] == file_inode, "the synced file is not the one renamed"
    before, after = events[:rename], events[rename + 1 :]
    assert ("fsync", "file", file_inode) in before, events
    assert ("fsync", "folder", folder_inode) in before, events
    assert before.index(("fsync", "file", file_inode)) < before.index(
        ("fsync", "folder", folder_inode)
    )
    assert ("fsync", "folder", folder_inode) in after, events


def test_it_syncs_the_file_and_its_folder_around_the_rename(tmp_path):
    target = tmp_path / "salida.bin"
    target.write_bytes(b"old")
    with SyscallLog() as log:
        write_whole_file(target, lambda out: out.write(b"new contents"))
    assert target.read_bytes() == b"new contents"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert_synced_then_renamed(log.events, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["salida.bin"]


def test_a_failure_while_writing_leaves_the_old_file_and_no_part(tmp_path):
    target = tmp_path / "salida.bin"
    target.write_bytes(b"old")

    def write(out):
        out.write(b"half of it")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_whole_file(target, write)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["salida.bin"]


def test_a_refusal_before_the_rename_puts_nothing_in_place(tmp_path):
    target = tmp_path / "nuevo.bin"

    def refuse(result):
        raise RuntimeError("refused")

    with pytest.raises(RuntimeError):
        write_whole_file(target, lambda out: out.write(b"complete"), before_replace=refuse)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.django_db
def test_a_backup_is_synced_before_and_after_it_takes_its_name(tmp_path):
    from memoria.operations.backup import KeySource, create_backup
    from memoria.vault import keys

    target = tmp_path / "copia.mbk"
    with SyscallLog() as log:
        create_backup(target, KeySource(master=keys.load_master_key()))
    assert_synced_then_renamed(log.events, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copia.mbk"]

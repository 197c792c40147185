"""Rows of a file that were imported before: the same file again, or the same references.

Every imported case keeps where it came from (``ImportedReference``): a keyed
digest of the row's own reference in the file (IMP-001; rows without one are
keyed by the file's content and their row number) and a keyed digest of the
whole file. Both use the organization's blind-index key, so a copy of the
database cannot tell which file or which reference it was, and the file's
name (which often carries a victim's name) is not kept at all.

Before anything is written, ``find_previous`` says which of a checked
table's cases were imported already; the importer then skips them, updates
them, or creates them again, as the person importing chose. Nothing is
duplicated silently.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from memoria.accounts.models import Organization
from memoria.cases.io.readers import Table
from memoria.vault.blind import blind_tokens

CHOICES = ("skip", "update", "create")
LOOKUP_BATCH = 500


def content_hash(table: Table) -> str:
    """A hash of what the file holds (its cells, not its name)."""
    cells = json.dumps([table.headers, table.rows], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(cells.encode()).hexdigest()


def file_digest(organization: Organization, table: Table) -> str:
    (digest,) = blind_tokens(organization.pk, [f"file:{content_hash(table)}"], kind="import")
    return digest


def reference_keys(organization: Organization, table: Table, event_keys: list[str]) -> dict:
    """For each event key of the rows (``ref:<reference>`` or ``row:<n>``), its keyed digest.

    A reference stands for itself, whatever file it comes in; a row without
    one only for that row of this very file.
    """
    content = content_hash(table)
    plain = [key if key.startswith("ref:") else f"{content}:{key}" for key in event_keys]
    return dict(zip(event_keys, blind_tokens(organization.pk, plain, kind="import"), strict=True))


@dataclass
class PreviousImport:
    """What a file has in common with earlier imports into the organization."""

    same_file: bool = False
    events: dict = field(default_factory=dict)  # event key in the file -> Event imported
    rows: int = 0  # rows of the file belonging to those events

    def __bool__(self) -> bool:
        return self.same_file or bool(self.events)

    @property
    def case_numbers(self) -> list[int]:
        return sorted({event.number for event in self.events.values()})


def find_previous(organization: Organization, digest: str, keys: dict, rows_per_key: dict):
    """Which event keys (``keys``: event key -> digest) were imported before, and as what."""
    from memoria.cases.models import ImportedReference

    digests = sorted(set(keys.values()))
    by_digest = {}
    # In batches: a file of 200,000 rows must stay under SQLite's limit of query parameters.
    for start in range(0, len(digests), LOOKUP_BATCH):
        found = (
            ImportedReference.objects.filter(
                organization=organization, key__in=digests[start : start + LOOKUP_BATCH]
            )
            .select_related("event")
            .only("key", "event__number")  # nothing of the case is decrypted here
            .order_by("pk")
        )
        for reference in found:
            by_digest.setdefault(reference.key, reference.event)
    events = {key: by_digest[value] for key, value in keys.items() if value in by_digest}
    return PreviousImport(
        same_file=ImportedReference.objects.filter(
            organization=organization, file_digest=digest
        ).exists(),
        events=events,
        rows=sum(rows_per_key.get(key, 0) for key in events),
    )

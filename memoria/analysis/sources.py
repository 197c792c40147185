"""The sources of a linkage run as the engine reads them, with stable fingerprints.

Every record gets a **fingerprint**: a keyed hash (the organization's blind
index key) of what identifies it in its source, never of its row number:

* a case person: its id in the platform (``person:<id>``);
* a row of an uploaded list: the list's name and the row's mapped values, plus
  how many identical rows came before it in that list;
* a person another organization shares with this one under an agreement:
  the owner and its id for the person (``shared:<owner>:<id>``).

A shared person's values are read from the partner's copy when the job runs
and never stored with the run: the review page reads the copy again, so a
person the partner stops sharing (agreement revoked or expired, consent
withdrawn) is no longer shown there, and an estimate from the run leaves
them out (``no_longer_shared``: found from the agreements, no copy read).

So the same list uploaded again (rows in another order, columns renamed and
mapped again) gives the same fingerprints, and a reviewer's answer about a pair
holds for every later run. The engine sees the fingerprint as the record id;
nothing else leaves this module.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from dataclasses import dataclass

import pandas as pd
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from memoria.cases.io.jobs import seal, unseal
from memoria.cases.io.readers import Table
from memoria.cases.io.schema import COLUMNS_BY_KEY, Column
from memoria.geo import state_as_code
from memoria.vault.blind import blind_tokens

TABLE_CONTEXT = "analysis.list.table"
FINGERPRINT_KIND = "linkage.record"

# The columns of the linkage schema (memoria.linkage.schema.COLUMNS), with the
# headers lists usually give them (those of the case import where they agree).
# fmt: off
LIST_COLUMNS: tuple[Column, ...] = (
    Column("record_id", _("Record identifier in the list"), aliases=(
        "id", "folio", "clave", "registro", "numero", "no", "record id")),
    Column("full_name", _("Full name (when the list does not separate it)"), identity=True,
           aliases=("nombre completo", "nombre y apellidos", "full name", "name")),
    COLUMNS_BY_KEY["given_names"],
    COLUMNS_BY_KEY["paternal_surname"],
    COLUMNS_BY_KEY["maternal_surname"],
    COLUMNS_BY_KEY["sex"],
    COLUMNS_BY_KEY["birth_date"],
    COLUMNS_BY_KEY["age"],
    COLUMNS_BY_KEY["event_date"],
    Column("state", _("State (INEGI code or name)"), aliases=(
        "cve ent", "clave estado", "clave entidad", "entidad", "estado", "state")),
    Column("municipality", _("Municipality (INEGI code)"), aliases=(
        "cve mun", "clave municipio", "cvegeo", "municipio", "municipality")),
    COLUMNS_BY_KEY["curp"],
)
#: Each list column's label, by its key.
LIST_LABELS = {column.key: column.label for column in LIST_COLUMNS}
# fmt: on
NAME_KEYS = ("full_name", "given_names", "paternal_surname", "maternal_surname", "curp")


def guess_list_mapping(headers: list[str]) -> dict[str, str]:
    """Each linkage column mapped to the first header that names it."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for column in LIST_COLUMNS:
        for header in headers:
            if header and header not in taken and column.matches(header):
                mapping[column.key] = header
                taken.add(header)
                break
    return mapping


def seal_table(organization_id: int, table: Table) -> str:
    return seal(organization_id, table.to_dict(), TABLE_CONTEXT)


def unseal_table(sealed: str) -> Table:
    return Table.from_dict(unseal(sealed, TABLE_CONTEXT))


@dataclass
class Source:
    """One source as the engine reads it, and how to show its records."""

    name: str  # the engine's name for it: "cases" or "list<id>"
    label: str  # what the page shows: the list's name
    frame: pd.DataFrame  # linkage schema; record_id is the fingerprint
    shown: dict[str, dict]  # fingerprint -> values to show a reviewer


def _fingerprints(organization_id: int, texts: list[str]) -> list[str]:
    return blind_tokens(organization_id, texts, kind=FINGERPRINT_KIND)


def list_source(linkage_list) -> Source:
    """An uploaded list's rows in the linkage schema, keyed by fingerprint."""
    table = unseal_table(linkage_list.sealed_table)
    mapping = linkage_list.mapping or {}
    positions = {header: i for i, header in enumerate(table.headers)}
    rows, texts, seen = [], [], Counter()
    for number, cells in table.rows:
        values = {
            key: cells[positions[header]].strip()
            if positions.get(header) is not None and positions[header] < len(cells)
            else ""
            for key, header in mapping.items()
        }
        content = json.dumps(
            [linkage_list.name, sorted(values.items())], ensure_ascii=False, sort_keys=True
        )
        seen[content] += 1
        texts.append(f"{content}#{seen[content]}")
        rows.append((number, values))
    fingerprints = _fingerprints(linkage_list.organization_id, texts)
    records, shown = [], {}
    for fingerprint, (number, values) in zip(fingerprints, rows, strict=True):
        record = {key: values.get(key, "") for key in mapping if key != "record_id"}
        if record.get("state"):
            record["state"] = state_as_code(record["state"])
        records.append({**record, "record_id": fingerprint})
        shown[fingerprint] = {
            "list": linkage_list.name,
            "row": number,
            **{key: value for key, value in values.items() if value},
        }
    frame = pd.DataFrame(records or None, columns=["record_id", *_engine_keys(mapping)])
    return Source(f"list{linkage_list.pk}", linkage_list.name, frame, shown)


# What a shared person carries that the engine reads (memoria.cases.sharing).
SHARED_KEYS = ("given_names", "paternal_surname", "maternal_surname", "sex", "age", "curp")
SHARED_NAMES = ("given_names", "paternal_surname", "maternal_surname", "curp")


def shared_people(organization, owner=None):
    """The people shared with ``organization`` (by ``owner`` when given) with at least
    a name or a CURP: a record without them cannot be linked by anyone."""
    from memoria.cases.models import Person
    from memoria.sharing.access import agreed_values, shared_records_granting

    found = shared_records_granting(organization, Person, SHARED_NAMES, owner)
    people = []
    for record in (
        found.select_related("owner")
        .prefetch_related("agreements")
        .order_by("owner_id", "object_id")
    ):
        record.agreed = agreed_values(record)  # never what a referral alone carries
        if any(record.agreed.get(key) for key in SHARED_NAMES):
            people.append(record)
    return people


def partners_sharing_people(organization) -> list[tuple]:
    """(organization, how many people at most) for each partner whose people can be
    linked: those its agreements in force share with a name or a CURP field, counted
    without decrypting a copy. A copy whose names and CURP are empty counts here but
    is not linked: the run says how many were (``shared_people``)."""
    from memoria.accounts.models import Organization
    from memoria.cases.models import Person
    from memoria.sharing.access import shared_records_granting

    found = shared_records_granting(organization, Person, SHARED_NAMES)
    counts = dict(found.values_list("owner_id").annotate(people=Count("pk")).order_by())
    owners = Organization.objects.filter(pk__in=counts).order_by("name", "pk")
    return [(owner, counts[owner.pk]) for owner in owners]


SHARED_SOURCE = re.compile(r"shared(\d+)")


def shared_owner(source_name: str) -> int | None:
    """The partner whose people a source of a run is (its engine name), or None."""
    found = SHARED_SOURCE.fullmatch(str(source_name))
    return int(found.group(1)) if found else None


def no_longer_shared(organization, graph: dict) -> dict[str, set[str]]:
    """By source of a run's ``graph``: the fingerprints of the partners' people that are
    no longer shared with ``organization`` with a name or a CURP under an agreement in
    force (revoked, expired, consent withdrawn, person deleted). Found from the
    agreements and the copies' ids, no copy decrypted: an estimate reads no person."""
    from memoria.cases.models import Person
    from memoria.sharing.access import shared_records_granting

    by_source: dict[str, list[str]] = {}
    for fingerprint, source in graph["records"]:
        if shared_owner(source) is not None:
            by_source.setdefault(source, []).append(fingerprint)
    gone = {}
    for source, fingerprints in sorted(by_source.items()):
        owner = shared_owner(source)
        ids = shared_records_granting(organization, Person, SHARED_NAMES, owner).values_list(
            "object_id", flat=True
        )
        still = set(_fingerprints(organization.pk, [f"shared:{owner}:{pk}" for pk in ids]))
        left = {fingerprint for fingerprint in fingerprints if fingerprint not in still}
        if left:
            gone[source] = left
    return gone


def shared_source(organization, owner, label: str) -> Source:
    """The people ``owner`` shares with ``organization``, in the linkage schema."""
    records = shared_people(organization, owner)
    fingerprints = _fingerprints(
        organization.pk, [f"shared:{owner.pk}:{record.object_id}" for record in records]
    )
    rows, shown = [], {}
    for fingerprint, record in zip(fingerprints, records, strict=True):
        row = {key: record.agreed.get(key) for key in SHARED_KEYS}
        row["sex"] = row["sex"] if row["sex"] in ("female", "male") else ""
        row["age"] = str(row["age"]) if isinstance(row["age"], int) else ""
        rows.append({"record_id": fingerprint, **{k: v or "" for k, v in row.items()}})
        # Where to read it again, not what it said (see the module's docstring).
        shown[fingerprint] = {"list": label, "shared_by": owner.pk, "shared": record.object_id}
    frame = pd.DataFrame(rows or None, columns=["record_id", *SHARED_KEYS])
    return Source(f"shared{owner.pk}", label, frame, shown)


def shown_now(organization, shown: dict) -> dict:
    """A record's values as the review page shows them: a shared person's read from
    the partner's current copy (empty, with ``gone``, when it is no longer shared)."""
    if "shared_by" not in shown:
        return shown
    from memoria.cases.models import Person
    from memoria.sharing.access import agreed_values, shared_records

    record = (
        shared_records(organization, Person, shown["shared_by"])
        .filter(object_id=shown["shared"])
        .first()
    )
    values = agreed_values(record) if record is not None else {}
    if not any(values.get(key) for key in SHARED_NAMES):
        return {"list": shown["list"], "gone": True}
    values = {key: values.get(key) for key in SHARED_KEYS}
    return {
        "list": shown["list"],
        "record": record,
        **{key: str(value) for key, value in values.items() if value not in (None, "")},
    }


def _engine_keys(mapping: dict) -> list[str]:
    return [
        column.key for column in LIST_COLUMNS if column.key in mapping and column.key != "record_id"
    ]


def _partial(date: dt.date | None, precision: str) -> str:
    if date is None or precision == "unknown":
        return ""
    if precision == "year":
        return f"{date.year:04d}"
    if precision == "month":
        return f"{date.year:04d}-{date.month:02d}"
    return date.isoformat()


def cases_source(organization, label: str) -> Source:
    """The organization's case persons (direct victims) in the linkage schema."""
    from memoria.cases.models import Act, Person

    people = list(Person.objects.filter(organization=organization).order_by("pk"))
    first_event = {}
    acts = Act.objects.filter(event__organization=organization).select_related("event")
    for act in acts.order_by("pk"):
        first_event.setdefault(act.victim_id, act.event)
    fingerprints = _fingerprints(organization.pk, [f"person:{p.pk}" for p in people])
    records, shown = [], {}
    for fingerprint, person in zip(fingerprints, people, strict=True):
        event = first_event.get(person.pk)
        age = person.age if isinstance(person.age, int) else None
        record = {
            "record_id": fingerprint,
            "given_names": person.given_names or "",
            "paternal_surname": person.paternal_surname or "",
            "maternal_surname": person.maternal_surname or "",
            "sex": person.sex if person.sex in ("female", "male") else "",
            "birth_date": _partial(person.birth_date, person.birth_precision),
            "age": "" if age is None else str(age),
            "event_date": _partial(event.start_date, event.start_precision) if event else "",
            "state": (event.state_id or "") if event else "",
            "municipality": (event.municipality_id or "") if event else "",
            "curp": person.curp or "",
        }
        records.append(record)
        shown[fingerprint] = {
            "list": label,
            "person": person.pk,
            **{k: v for k, v in record.items() if v and k != "record_id"},
        }
    columns = [
        "record_id",
        *[c.key for c in LIST_COLUMNS if c.key not in ("record_id", "full_name")],
    ]
    return Source("cases", label, pd.DataFrame(records or None, columns=columns), shown)

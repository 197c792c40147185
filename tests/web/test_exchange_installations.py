"""Two installations on one machine exchange bundles through the real ``memoria`` command.

A (a member's own server, organization *centro-norte*) and B (a coalition's
server, *colectivo-sur*) each have their own data directory (master key,
exchange identity) and their own database: two SQLite files, or, when the
suite runs on PostgreSQL, two databases created beside DATABASE_URL's and
dropped at the end. The database is migrated once and copied (on PostgreSQL
as a template): nothing installation-specific lives in it before first use.
"""

from __future__ import annotations

import datetime
import json
import os
import shlex
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from memoria.exchange.bundle import Identity, PublicKeys, seal_bundle
from tests.web.exchange_sites import NAMED_TITLE, PRIVATE_NAME

ROOT = Path(__file__).resolve().parents[2]
UNTIL = (datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=365)).isoformat()


class Installation:
    def __init__(self, name: str, data_dir: Path, database_url: str | None = None) -> None:
        self.name = name
        self.data_dir = data_dir
        self.env = {
            **os.environ,
            "MEMORIA_DATA_DIR": str(data_dir),
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "memoria.settings",
        }
        for variable in ("DATABASE_URL", "MEMORIA_MASTER_KEY_FILE", "MEMORIA_MASTER_KEY"):
            self.env.pop(variable, None)
        if database_url:
            self.env["DATABASE_URL"] = database_url

    def run(self, *args: str) -> subprocess.CompletedProcess:
        """``memoria`` with ``args``; a single string is split as a shell would."""
        if len(args) == 1:
            args = tuple(shlex.split(args[0]))
        return subprocess.run(
            [sys.executable, "-m", "memoria", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.returncode == 0, f"{self.name} {args}: {result.stdout}{result.stderr}"
        return result.stdout

    def shell(self, code: str) -> dict:
        out = self.ok("manage", "shell", "-c", f"from tests.web import exchange_sites as s; {code}")
        return json.loads(out.strip().splitlines()[-1]) if out.strip() else {}

    def received(self, slug: str) -> dict:
        return self.shell(f"s.received({slug!r})")


def fields_of(state: dict) -> dict:
    return {(r["kind"], r["id"]): r["fields"] for r in state["records"]}


def postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.split(":", 1)[0].lower() in {"postgres", "postgresql", "pgsql"} else None


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    base = tmp_path_factory.mktemp("instalaciones")
    url = postgres_url()
    if url is None:
        a = Installation("A", base / "a")
        b = Installation("B", base / "b")
        a.ok("manage", "migrate", "-v0")
        b.data_dir.mkdir(mode=0o700)
        shutil.copy(a.data_dir / "memoria.sqlite3", b.data_dir / "memoria.sqlite3")
        yield a, b
        return
    import psycopg

    parts = urlsplit(url)
    server = urlunsplit(parts._replace(scheme="postgresql"))
    stem = f"{parts.path.lstrip('/')}_exchange_{uuid.uuid4().hex[:6]}"
    names = [f"{stem}_a", f"{stem}_b"]
    a, b = (
        Installation(label, base / label.lower(), urlunsplit(parts._replace(path=f"/{name}")))
        for label, name in zip("AB", names, strict=True)
    )
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{names[0]}"')
        try:
            a.ok("manage", "migrate", "-v0")
            connection.execute(f'CREATE DATABASE "{names[1]}" TEMPLATE "{names[0]}"')
            yield a, b
        finally:
            for name in names:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_two_installations_exchange_in_both_directions(sites, tmp_path):
    a, b = sites
    # Each installation's identity, read "out of band" and registered by the other.
    fingerprint = {}
    for site in (a, b):
        out = site.ok(f"exchange identity --public-key-file {tmp_path}/{site.name}.json")
        fingerprint[site.name] = out.split("Fingerprint:", 1)[1].split()[0]
    assert fingerprint["A"] != fingerprint["B"]
    b.ok(
        f"exchange partner add --name servidor-a --key-file {tmp_path}/A.json "
        f"--fingerprint {fingerprint['A']}"
    )
    a.ok(
        f"exchange partner add --name coalicion-b --key-file {tmp_path}/B.json "
        f"--fingerprint {fingerprint['B']}"
    )
    case_a = a.shell("s.make_organization('centro-norte', 'Centro Norte')")["named_case"]
    case_b = b.shell("s.make_organization('colectivo-sur', 'Colectivo del Sur')")["named_case"]

    # A shares cases and people by name with B; B accepted cases only, without the title.
    out = a.ok(
        "exchange agreement add --org centro-norte --partner coalicion-b "
        "--partner-org colectivo-sur --direction outgoing --level named "
        "--fields cases.event=title,state,status "
        "--fields cases.person=given_names,paternal_surname,sex "
        f"--purpose 'Documentar desapariciones en la región' --until {UNTIL}"
    )
    agreement_a, uuid_a = out.split("#", 1)[1].split()[0], out.split("uuid ", 1)[1].strip()
    b.ok(
        "exchange agreement add --org colectivo-sur --partner servidor-a "
        "--partner-org centro-norte --direction incoming --level named "
        "--fields cases.event=state,status --purpose 'Documentar desapariciones' "
        f"--until {UNTIL} --uuid {uuid_a}"
    )

    def export(name: str) -> Path:
        a.ok(
            f"exchange export --org centro-norte --agreement {agreement_a} --to coalicion-b "
            f"-o {tmp_path}/{name}"
        )
        return tmp_path / name

    def import_b(bundle: Path) -> subprocess.CompletedProcess:
        return b.run(f"exchange import {bundle} --org colectivo-sur")

    first = export("primero.mbx")
    assert NAMED_TITLE.encode() not in first.read_bytes()  # encrypted for B
    out = import_b(first).stdout
    assert "1 added" in out
    assert "cases.event.title" in out and "1 cases.person" in out  # dropped, and said so
    state = b.received("colectivo-sur")
    assert fields_of(state) == {("cases.event", str(case_a)): ["state", "status"]}
    assert state["records"][0]["values"]["status"] == "open"
    assert state["records"][0]["from"] == "servidor-a/centro-norte"
    assert NAMED_TITLE not in json.dumps(state) and PRIVATE_NAME not in json.dumps(state)

    # The same bundle again: nothing changes, and the command says so.
    assert "already imported" in import_b(first).stdout
    assert b.received("colectivo-sur") == state

    # A changes the case twice; B imports the newest bundle, then the older one.
    a.shell(f"s.edit_case('centro-norte', {case_a}, 'closed')")
    second = export("segundo.mbx")
    a.shell(f"s.edit_case('centro-norte', {case_a}, 'verified')")
    third = export("tercero.mbx")
    assert "1 updated" in import_b(third).stdout
    newest = b.received("colectivo-sur")
    assert newest["records"][0]["values"]["status"] == "verified"
    assert newest["records"][0]["sequence"] == 3
    conflict = import_b(second)
    assert conflict.returncode == 1 and "CONFLICT" in conflict.stdout
    assert "1 records in it differ" in conflict.stdout

    # A bundle signed by a key B never registered (claiming to be A), and one of A's
    # addressed to another installation: refused in one line. Nothing was written by
    # them, nor by the conflict (but the record of the conflicting bundle).
    a_keys = PublicKeys.from_json((tmp_path / "A.json").read_text())
    b_keys = PublicKeys.from_json((tmp_path / "B.json").read_text())
    stranger = Identity.generate()
    impostor = Identity(a_keys.installation, stranger.signing, stranger.exchange)
    real_a = Identity.from_json((a.data_dir / "keys" / "exchange-identity.json").read_text())
    payload = {
        "source": {"installation": a_keys.installation, "organization": "centro-norte"},
        "recipient_organization": "colectivo-sur",
        "agreement": {
            "uuid": uuid_a,
            "status": "active",
            "level": "named",
            "fields": {"cases.event": ["status"]},
        },
        "records": [{"kind": "cases.event", "id": str(case_a), "values": {"status": "falso"}}],
    }
    now = datetime.datetime.now(datetime.UTC)
    for sender, recipient, why in (
        (impostor, b_keys, "signature does not match"),
        (real_a, Identity.generate().public, "addressed to"),
    ):
        forged = tmp_path / f"{uuid.uuid4()}.mbx"
        forged.write_bytes(
            seal_bundle(sender, recipient, agreement=uuid_a, sequence=99, payload=payload, now=now)[
                1
            ]
        )
        result = import_b(forged)
        assert result.returncode == 2 and why in result.stderr, result.stderr
        assert "nothing was imported" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert b.received("colectivo-sur") == {**newest, "bundles": 3}  # with the conflict's

    # The other direction: B shares its people without names with A.
    out = b.ok(
        "exchange agreement add --org colectivo-sur --partner servidor-a "
        "--partner-org centro-norte --direction outgoing --level pseudonymized "
        f"--fields cases.person=sex --purpose 'Cifras de la coalición' --until {UNTIL}"
    )
    agreement_b, uuid_b = out.split("#", 1)[1].split()[0], out.split("uuid ", 1)[1].strip()
    a.ok(
        "exchange agreement add --org centro-norte --partner coalicion-b "
        "--partner-org colectivo-sur --direction incoming --level pseudonymized "
        f"--fields cases.person=sex --purpose 'Cifras' --until {UNTIL} --uuid {uuid_b}"
    )
    b.ok(
        f"exchange export --org colectivo-sur --agreement {agreement_b} --to servidor-a "
        f"-o {tmp_path}/de-b.mbx"
    )
    assert "1 added" in a.ok(f"exchange import {tmp_path}/de-b.mbx --org centro-norte")
    from_b = a.received("centro-norte")
    # Only the person who allows it, only their sex: no name, no case.
    assert [(r["kind"], r["fields"], r["values"]) for r in from_b["records"]] == [
        ("cases.person", ["sex"], {"sex": "female"})
    ]
    assert case_b and from_b["records"][0]["from"] == "coalicion-b/colectivo-sur"

    # A revokes: its next bundle says so, and B's copies are gone.
    a.ok(f"exchange agreement revoke --org centro-norte --agreement {agreement_a}")
    out = import_b(export("revocado.mbx")).stdout
    assert "revoked" in out and "1 copies deleted" in out
    assert b.received("colectivo-sur")["records"] == []

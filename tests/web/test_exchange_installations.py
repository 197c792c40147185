"""Two installations on one machine exchange bundles through the real ``memoria`` command.

A (a member's own server, organization *centro-norte*) and B (a coalition's
server, *colectivo-sur*) each have their own data directory (master key,
exchange identity) and their own SQLite database. The database is migrated
once and copied: nothing installation-specific lives in it before first use.
The installations use SQLite files whatever DATABASE_URL the suite runs on:
what is tested is the exchange between two processes and two data
directories, and the import rules run on PostgreSQL in test_exchange.py.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from memoria.exchange.bundle import Identity, PublicKeys, seal_bundle
from tests.web.exchange_sites import NAMED_TITLE, PRIVATE_NAME

ROOT = Path(__file__).resolve().parents[2]
UNTIL = (datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=365)).isoformat()


class Installation:
    def __init__(self, name: str, data_dir: Path) -> None:
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

    def run(self, *args: str) -> subprocess.CompletedProcess:
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


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    base = tmp_path_factory.mktemp("instalaciones")
    a = Installation("A", base / "a")
    b = Installation("B", base / "b")
    a.ok("manage", "migrate", "-v0")
    b.data_dir.mkdir(mode=0o700)
    shutil.copy(a.data_dir / "memoria.sqlite3", b.data_dir / "memoria.sqlite3")
    return a, b


def test_two_installations_exchange_in_both_directions(sites, tmp_path):
    a, b = sites
    # Each installation's identity, read "out of band" and registered by the other.
    fingerprints = {}
    for site in (a, b):
        out = site.ok(
            "exchange", "identity", "--public-key-file", str(tmp_path / f"{site.name}.json")
        )
        fingerprints[site.name] = out.split("Fingerprint:", 1)[1].split()[0]
    assert fingerprints["A"] != fingerprints["B"]
    refused = b.run(
        "exchange",
        "partner",
        "add",
        "--name",
        "servidor-a",
        "--key-file",
        str(tmp_path / "A.json"),
        "--fingerprint",
        fingerprints["B"],
    )
    assert refused.returncode == 2 and "does not match" in refused.stderr
    b.ok(
        "exchange",
        "partner",
        "add",
        "--name",
        "servidor-a",
        "--key-file",
        str(tmp_path / "A.json"),
        "--fingerprint",
        fingerprints["A"],
    )
    a.ok(
        "exchange",
        "partner",
        "add",
        "--name",
        "coalicion-b",
        "--key-file",
        str(tmp_path / "B.json"),
        "--fingerprint",
        fingerprints["B"],
    )

    case_a = a.shell("s.make_organization('centro-norte', 'Centro Norte')")["named_case"]
    case_b = b.shell("s.make_organization('colectivo-sur', 'Colectivo del Sur')")["named_case"]

    # A shares cases and people by name with B; B accepted cases only, without the title.
    out = a.ok(
        "exchange",
        "agreement",
        "add",
        "--org",
        "centro-norte",
        "--partner",
        "coalicion-b",
        "--partner-org",
        "colectivo-sur",
        "--direction",
        "outgoing",
        "--level",
        "named",
        "--fields",
        "cases.event=title,state,status",
        "--fields",
        "cases.person=given_names,paternal_surname,sex",
        "--purpose",
        "Documentar la desaparición en la región",
        "--until",
        UNTIL,
    )
    agreement_a, agreement_uuid = out.split("#", 1)[1].split()[0], out.split("uuid ", 1)[1].strip()
    b.ok(
        "exchange",
        "agreement",
        "add",
        "--org",
        "colectivo-sur",
        "--partner",
        "servidor-a",
        "--partner-org",
        "centro-norte",
        "--direction",
        "incoming",
        "--level",
        "named",
        "--fields",
        "cases.event=state,status",
        "--purpose",
        "Documentar la desaparición",
        "--until",
        UNTIL,
        "--uuid",
        agreement_uuid,
    )

    def export(name: str) -> Path:
        path = tmp_path / name
        a.ok(
            "exchange",
            "export",
            "--org",
            "centro-norte",
            "--agreement",
            agreement_a,
            "--to",
            "coalicion-b",
            "-o",
            str(path),
        )
        return path

    first = export("primero.mbx")
    assert NAMED_TITLE.encode() not in first.read_bytes()  # encrypted for B
    out = b.ok("exchange", "import", str(first), "--org", "colectivo-sur")
    assert "1 added" in out
    assert "cases.event.title" in out and "1 cases.person" in out  # dropped, and said so
    state = b.received("colectivo-sur")
    assert fields_of(state) == {("cases.event", str(case_a)): ["state", "status"]}
    assert state["records"][0]["values"]["status"] == "open"
    assert state["records"][0]["from"] == "servidor-a/centro-norte"
    assert NAMED_TITLE not in json.dumps(state) and PRIVATE_NAME not in json.dumps(state)

    # The same bundle again: nothing changes, and the command says so.
    out = b.ok("exchange", "import", str(first), "--org", "colectivo-sur")
    assert "already imported" in out
    assert b.received("colectivo-sur") == state

    # A changes the case twice; B imports the newest bundle, then the older one.
    a.shell(f"s.edit_case('centro-norte', {case_a}, 'closed')")
    second = export("segundo.mbx")
    a.shell(f"s.edit_case('centro-norte', {case_a}, 'verified')")
    third = export("tercero.mbx")
    assert "1 updated" in b.ok("exchange", "import", str(third), "--org", "colectivo-sur")
    newest = b.received("colectivo-sur")
    assert newest["records"][0]["values"] != state["records"][0]["values"]
    assert newest["records"][0]["sequence"] == 3
    conflict = b.run("exchange", "import", str(second), "--org", "colectivo-sur")
    assert conflict.returncode == 1 and "CONFLICT" in conflict.stdout
    assert "1 records in it differ" in conflict.stdout
    assert b.received("colectivo-sur")["records"] == newest["records"]

    # A bundle signed by a key B never registered (claiming to be A), and one of A's
    # addressed to another installation: refused, nothing written.
    a_keys = PublicKeys.from_json((tmp_path / "A.json").read_text())
    b_keys = PublicKeys.from_json((tmp_path / "B.json").read_text())
    impostor = Identity(
        a_keys.installation, Identity.generate().signing, Identity.generate().exchange
    )
    real_a = Identity.from_json((a.data_dir / "keys" / "exchange-identity.json").read_text())
    payload = {
        "source": {"installation": a_keys.installation, "organization": "centro-norte"},
        "agreement": {
            "uuid": agreement_uuid,
            "status": "active",
            "level": "named",
            "fields": {"cases.event": ["status"]},
        },
        "records": [
            {"kind": "cases.event", "id": str(case_a), "values": {"status": "Falsificado"}}
        ],
    }
    now = datetime.datetime.now(datetime.UTC)
    for sender, recipient, why in (
        (impostor, b_keys, "signature does not match"),
        (real_a, Identity.generate().public, "addressed to"),
    ):
        _header, data = seal_bundle(
            sender, recipient, agreement=agreement_uuid, sequence=99, payload=payload, now=now
        )
        forged = tmp_path / f"{uuid.uuid4()}.mbx"
        forged.write_bytes(data)
        result = b.run("exchange", "import", str(forged), "--org", "colectivo-sur")
        assert result.returncode == 2 and why in result.stderr, result.stderr
        assert "nothing was imported" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert b.received("colectivo-sur") == {**newest, "bundles": 3}  # with the conflict

    # The other direction: B shares its people without names with A.
    out = b.ok(
        "exchange",
        "agreement",
        "add",
        "--org",
        "colectivo-sur",
        "--partner",
        "servidor-a",
        "--partner-org",
        "centro-norte",
        "--direction",
        "outgoing",
        "--level",
        "pseudonymized",
        "--fields",
        "cases.person=sex",
        "--purpose",
        "Cifras de la coalición",
        "--until",
        UNTIL,
    )
    agreement_b, uuid_b = out.split("#", 1)[1].split()[0], out.split("uuid ", 1)[1].strip()
    a.ok(
        "exchange",
        "agreement",
        "add",
        "--org",
        "centro-norte",
        "--partner",
        "coalicion-b",
        "--partner-org",
        "colectivo-sur",
        "--direction",
        "incoming",
        "--level",
        "pseudonymized",
        "--fields",
        "cases.person=sex",
        "--purpose",
        "Cifras de la coalición",
        "--until",
        UNTIL,
        "--uuid",
        uuid_b,
    )
    back = tmp_path / "de-b.mbx"
    b.ok(
        "exchange",
        "export",
        "--org",
        "colectivo-sur",
        "--agreement",
        agreement_b,
        "--to",
        "servidor-a",
        "-o",
        str(back),
    )
    assert "1 added" in a.ok("exchange", "import", str(back), "--org", "centro-norte")
    from_b = a.received("centro-norte")
    # Only the person who allows it, only their sex: no name, no case.
    assert [(r["kind"], r["fields"], r["values"]) for r in from_b["records"]] == [
        ("cases.person", ["sex"], {"sex": "female"})
    ]
    assert str(case_b) not in {r["id"] for r in from_b["records"] if r["kind"] == "cases.event"}

    # A revokes: its next bundle says so, and B's copies are gone.
    a.ok("exchange", "agreement", "revoke", "--org", "centro-norte", "--agreement", agreement_a)
    revoked = export("revocado.mbx")
    out = b.ok("exchange", "import", str(revoked), "--org", "colectivo-sur")
    assert "revoked" in out and "1 copies deleted" in out
    assert b.received("colectivo-sur")["records"] == []
    # A bundle from before the revocation, replayed, brings nothing back.
    assert "already imported" in b.ok("exchange", "import", str(third), "--org", "colectivo-sur")
    assert b.received("colectivo-sur")["records"] == []

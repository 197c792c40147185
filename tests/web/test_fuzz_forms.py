"""Hostile and random values posted to every form of case documentation, as its users would.

For each form of the cases app a documenter (or, for the coordinator's own
forms, a coordinator) can send, and the documenter's account forms, the
fuzz reads the form from its page, then posts values Hypothesis draws
(``tests/web/fuzz.py``): NUL bytes, lone surrogates, right-to-left marks,
10,000-character strings, SQL and HTML injection, huge and negative
numbers, impossible dates, ids of another organization's records, missing,
repeated and unknown fields, options no list offers, and for edits stale,
missing and malformed version tokens. Every response must be below 500; a
request that did not succeed must leave every row of every table as it
was; one that succeeded must have changed exactly its record and written an
audit entry; no page may echo a script from the input.

``test_it_fuzzes_every_form_of_the_cases_app`` walks the URL conf: a new page
of the cases app fails it until it is fuzzed here or named as having no form.

Runs are reproducible (``derandomize=True``): a failure names the plan that
caused it (see docs/development.md, "Fuzzing the forms").
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from hypothesis import HealthCheck, example, given, settings
from hypothesis.extra.django import TestCase as HypothesisTestCase

from memoria.accounts.models import User
from memoria.accounts.roles import Role
from memoria.audit.models import AuditEntry
from memoria.cases import actions
from memoria.cases.io.export_jobs import queue_export
from memoria.cases.io.jobs import IMPORT
from memoria.cases.models import (
    Act,
    Attachment,
    Attribution,
    Event,
    IndirectVictim,
    Intervention,
    Person,
    Source,
    Term,
    Vocabulary,
)
from memoria.jobs.models import Job
from memoria.jobs.worker import drain
from tests.web import fuzz
from tests.web.base import PASSWORD, totp_code
from tests.web.cases_fixtures import CaseFixtures, event_data, term, victim_data
from tests.web.test_cases_import import GOOD_ROWS, csv_bytes

# One event, one person, one act in the HURIDOCS ESF document the standard import reads.
ESF_BYTES = json.dumps(
    {
        "format": "huridocs-esf",
        "events": [{"event_record_number": "E-1", "event_title": "Caso", "state_code": "08"}],
        "persons": [{"person_record_number": "P-1", "given_names": "Ana", "sex": "female"}],
        "acts": [
            {"act_record_number": "A-1", "event": "E-1", "victim": "P-1", "type_of_act": "torture"}
        ],
    }
).encode()

# -- the forms ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One form: where it is, who uses it, and what a success writes."""

    name: str  # the URL name the form is sent to
    method: str = "post"
    role: str = Role.DOCUMENTER
    creates: type | None = None  # one new row of this model on success
    edits: tuple[type, str] | None = None  # (model, fixture attribute): that row changes
    removes: tuple[type, str] | None = None  # (model, fixture attribute): that row goes
    audited: bool = True  # a success writes an audit entry
    succeeds: Callable = lambda response: response.status_code == 302  # noqa: E731
    always_writes: bool = True  # a success that wrote nothing is a bug
    valid: Callable = lambda case: {}  # noqa: E731 - values that make the form pass
    files: dict[str, bytes] = field(default_factory=dict)  # file fields and their content
    form_on: str | None = None  # the page that shows the form, if not its own
    # A script posts that page's form to this address (its own action is form_on):
    # the fuzz sends the fields of the form posting to form_on.
    fields_of_form_on: bool = False
    route: dict = field(default_factory=dict)  # route values not in the fixtures (kind...)
    # Route values taken from another fixture than the default: {"job_id": "export_job"}
    route_fixtures: dict = field(default_factory=dict)
    prepare: Callable | None = None  # (test) -> None, before the form is read and posted
    reauth: bool = False
    examples: int = 10  # random plans, after the known hostile ones
    fieldless: bool = False  # only a button: a few known plans are enough
    refusal_audit: frozenset = frozenset()  # what a refused request records (failed sign-in)
    bookkeeping: frozenset = frozenset()  # models any request may touch (a device's throttle)
    in_organization: bool = True  # its audit entries name the organization
    volatile: bool = False  # its valid values change with time (a TOTP code): not kept

    @property
    def key(self) -> str:
        return re.sub(r"\W", "_", self.name + "_" + "_".join(map(str, self.route.values())))


def downloaded(response) -> bool:
    return response.status_code == 200 and "attachment;" in response.get("Content-Disposition", "")


def hold_upload(test) -> None:
    upload = SimpleUploadedFile("casos.csv", csv_bytes(*GOOD_ROWS), content_type="text/csv")
    response = test.client.post(test.url("cases_io:import"), {"file": upload})
    assert response.status_code == 302, response.status_code


def hold_mapping(test) -> None:
    hold_upload(test)
    form = test.client.get(test.url("cases_io:import_columns")).context["form"]
    response = test.client.post(test.url("cases_io:import_columns"), form.initial)
    assert response.status_code == 302, response.status_code


TARGETS = [
    Target("cases:new", creates=Event, valid=lambda case: event_data(), examples=15),
    Target("cases:edit", edits=(Event, "event"), examples=15),
    Target(
        "cases:victim_new",
        creates=Act,
        valid=lambda case: {**victim_data(), "next": "done"},
        examples=20,
    ),
    Target(
        "cases:relative_new",
        creates=IndirectVictim,
        valid=lambda case: {
            "direct_victim": case.victim.pk,
            "relationship": term("relationship", "mother").pk,
            "given_names": "Eva",
            "sex": "female",
        },
    ),
    Target(
        "cases:source_new",
        creates=Source,
        valid=lambda case: {"kind": term("source_kind", "press").pk, "next": "done"},
        files={"attachment": b"Nota de prensa"},
    ),
    Target(
        "cases:act_new",
        creates=Act,
        valid=lambda case: {"violation_type": term("violation_type", "torture").pk},
    ),
    Target("cases:act_edit", edits=(Act, "act")),
    Target(
        "cases:attribution_new",
        creates=Attribution,
        valid=lambda case: {"perpetrator_kind": term("perpetrator_kind", "army").pk},
    ),
    Target("cases:attribution_edit", edits=(Attribution, "attribution")),
    Target("cases:relative_edit", edits=(IndirectVictim, "relative")),
    Target("cases:source_edit", edits=(Source, "source")),
    Target(
        "cases:intervention_new",
        creates=Intervention,
        valid=lambda case: {"kind": term("intervention_kind", "amparo").pk},
    ),
    Target("cases:intervention_edit", edits=(Intervention, "intervention")),
    Target(
        "cases:attachment_new",
        creates=Attachment,
        form_on="cases:source_edit",
        files={"attachment": b"%PDF-1.4 fuzz"},
        always_writes=False,  # a refused file comes back to the case with a message
    ),
    # A stale or missing version comes back to the case with a message, removing nothing.
    Target(
        "cases:remove",
        removes=(Intervention, "mistake"),
        route={"kind": "intervention"},
        always_writes=False,
    ),
    Target("cases:remove", removes=(Act, "act"), route={"kind": "act"}, always_writes=False),
    Target("cases:person_edit", edits=(Person, "victim"), examples=15),
    Target(
        "cases:people",
        succeeds=lambda response: response.status_code == 200,
        always_writes=False,  # an empty or invalid search records nothing
        valid=lambda case: {"q": "Zubiría"},
    ),
    Target(
        "cases:search",
        succeeds=lambda response: response.status_code in (200, 302),
        audited=False,  # a case number only leads to the case; a name search is audited
        always_writes=False,
        form_on="cases:list",
        valid=lambda case: {"q": "Zubiría"},
    ),
    # What the victim and relative forms ask while a name is typed (by POST, never a URL).
    Target(
        "cases:person_matches",
        succeeds=lambda response: response.status_code == 200,
        audited=False,  # audited only when someone is shown
        always_writes=False,
        form_on="cases:victim_new",
        fields_of_form_on=True,
        valid=lambda case: {"given_names": "Ana", "paternal_surname": "Zubiría"},
    ),
    Target(
        "cases:person_to_case",
        method="get",
        audited=False,
        always_writes=False,  # it only leads to the new act's page
        valid=lambda case: {"number": case.second.number},
    ),
    Target(
        "cases:list",
        method="get",
        succeeds=lambda response: response.status_code == 200,
    ),
    Target(
        "cases:statistics",
        method="get",
        succeeds=lambda response: response.status_code == 200,
        audited=False,  # figures only: nobody's identity is shown
        always_writes=False,
    ),
    Target(
        "cases:term_new",
        role=Role.COORDINATOR,
        creates=Term,
        valid=lambda case: {"code": "fuzz-term", "label_es": "Término", "label_en": "Term"},
    ),
    Target("cases:term_edit", role=Role.COORDINATOR, edits=(Term, "own_term")),
    Target("cases_io:export", succeeds=downloaded, valid=lambda case: {"format": "csv"}),
    Target(
        "cases_io:export_identities",
        role=Role.COORDINATOR,
        reauth=True,
        succeeds=downloaded,
        valid=lambda case: {"format": "json"},
    ),
    # The import: upload, columns, confirm (the job it queues is checked after the worker ran).
    Target(
        "cases_io:import",
        always_writes=False,  # the table waits in the session, sealed
        audited=False,
        files={"file": csv_bytes(*GOOD_ROWS)},
    ),
    Target(
        "cases_io:import_columns",
        always_writes=False,
        audited=False,
        prepare=hold_upload,
        examples=12,
    ),
    Target(
        "cases_io:import_review",
        creates=Job,
        audited=False,  # queued: the worker audits the import itself, checked after it ran
        prepare=hold_mapping,
        fieldless=True,
        examples=3,
    ),
    # A standard format (ESF here): checked and written at once, all or nothing.
    Target(
        "cases_io:import_standard",
        creates=Event,
        valid=lambda case: {"format": "esf"},
        files={"file": ESF_BYTES},
        examples=12,
    ),
    Target(
        "cases_io:import_cancel",
        always_writes=False,
        audited=False,
        prepare=hold_upload,
        form_on="cases_io:import_columns",
        fieldless=True,
        examples=3,
    ),
    # The first download deletes the file: later ones answer that it is gone.
    Target(
        "cases_io:export_job_download",
        succeeds=downloaded,
        edits=(Job, "export_job"),  # marked downloaded (its file is deleted)
        audited=False,  # the export was audited when the worker finished it
        always_writes=False,
        form_on="cases_io:export_job",
        route_fixtures={"job_id": "export_job"},
        fieldless=True,
        examples=3,
    ),
    Target(
        "cases_io:import_job_cancel",
        edits=(Job, "job"),
        audited=False,  # nothing was imported: the job is only marked cancelled
        form_on="cases_io:import_job",
        fieldless=True,
        examples=3,
    ),
]

# The account forms a documenter uses (not in the cases app, so listed by hand).
ACCOUNT_TARGETS = [
    Target(
        "accounts:password_change",
        edits=(User, "documenter"),
        in_organization=False,
        valid=lambda case: {
            "old_password": PASSWORD,
            "new_password1": "otra contraseña larga de prueba 2026",
            "new_password2": "otra contraseña larga de prueba 2026",
        },
    ),
    Target(
        "accounts:reauth",
        refusal_audit=frozenset({"login.failed", "reauth.failed"}),
        bookkeeping=frozenset({"TOTPDevice"}),  # the code's last use and failure throttle
        in_organization=False,
        volatile=True,
        valid=lambda case: {"password": PASSWORD, "token": totp_code(case.documenter)},
    ),
]
TARGETS += ACCOUNT_TARGETS

# Pages of the cases app that send no form of their own (their forms post elsewhere).
NO_FORM = {
    "cases:case",
    "cases:history",
    "cases:attachment",
    "cases:person",
    "cases:vocabularies",
    "cases_io:import_job",
    "cases_io:export_job",
    "cases:person_history",
}


def walk(patterns, namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, ns)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", entry


def cases_routes() -> dict[str, URLPattern]:
    return {
        name: pattern
        for name, pattern in walk(get_resolver().url_patterns)
        if pattern.callback.__module__.startswith("memoria.cases")
    }


# -- the fixtures ------------------------------------------------------------------------------


class FuzzCase(CaseFixtures):
    """A case with one record of every kind, and the same in another organization."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.event, cls.victim, cls.act, cls.attribution = cls.full_case(cls.org)
        cls.relative = IndirectVictim.objects.get(event=cls.event)
        cls.source = Source.objects.get(event=cls.event)
        cls.attachment = Attachment.objects.get(source=cls.source)
        cls.intervention, cls.mistake = Intervention.objects.filter(event=cls.event).order_by("pk")
        cls.second = actions.register_case(
            cls.org, cls.documenter, {"title": "Otro caso", "status": "open"}
        )
        vocabulary = Vocabulary.objects.get(code="violation_type")
        cls.own_term = Term.objects.create(
            vocabulary=vocabulary, organization=cls.org, code="propio", label_es="Propio"
        )
        # A finished export waiting for its download (the file is sealed on disk).
        cls.export_job = queue_export(cls.org, cls.documenter, "csv", False, "es-mx")
        drain()  # before the queued import below, which must stay queued
        cls.job = Job.objects.create(
            kind=IMPORT, organization=cls.org, created_by=cls.documenter, idempotency_key="fuzz"
        )
        # Another organization's records: their ids are among the hostile values.
        cls.full_case(cls.other_org)
        Term.objects.create(
            vocabulary=vocabulary, organization=cls.other_org, code="ajeno", label_es="Ajeno"
        )
        Job.objects.create(kind=IMPORT, organization=cls.other_org, idempotency_key="fuzz-b")
        cls.foreign_ids = sorted(
            {
                pk
                for model in (Event, Person, Act, Attribution, IndirectVictim, Source, Term, Job)
                for pk in model.objects.filter(organization=cls.other_org).values_list(
                    "pk", flat=True
                )
            }
            | set(
                Attachment.objects.filter(organization=cls.other_org).values_list("pk", flat=True)
            )
        )

    @classmethod
    def full_case(cls, organization):
        user = cls.documenter if organization == cls.org else cls.outsider
        data = {
            "title": "Caso de prueba",
            "description": "",
            "status": "open",
            "start_date": None,
            "start_precision": "unknown",
        }
        event = actions.register_case(organization, user, data)
        person = {"given_names": "Ana", "paternal_surname": "Zubiría", "sex": "female"}
        act = actions.add_victim(
            event,
            user,
            {**person, "visibility": "private"},
            {"violation_type": term("violation_type", "homicide"), "description": ""},
            {"kind": term("perpetrator_kind", "army"), "confidence": "medium", "basis": None},
        )
        attribution = Attribution.objects.get(act=act)
        actions.add_indirect_victim(
            event, user, act.victim, term("relationship", "mother"), {"given_names": "Rosa"}
        )
        source = actions.add_source(event, user, {"kind": term("source_kind", "press")})
        actions.add_attachment(source, user, SimpleUploadedFile("nota.txt", b"nota"))
        for kind in ("amparo", "complaint_prosecutor"):
            actions.add_intervention(event, user, {"kind": term("intervention_kind", kind)})
        return event, act.victim, act, attribution

    def route_values(self, target: Target | None = None) -> dict:
        own = {
            "slug": self.org.slug,
            "event_id": self.event.pk,
            "person_id": self.victim.pk,
            "act_id": self.act.pk,
            "attribution_id": self.attribution.pk,
            "relative_id": self.relative.pk,
            "source_id": self.source.pk,
            "intervention_id": self.intervention.pk,
            "attachment_id": self.attachment.pk,
            "job_id": self.job.pk,
            "term_id": self.own_term.pk,
            "vocabulary_code": "violation_type",
            "kind": "intervention",
        }
        if target is not None:
            own.update({key: getattr(self, name).pk for key, name in target.route_fixtures.items()})
            own.update(target.route)
            if target.removes:
                own["record_id"] = getattr(self, target.removes[1]).pk
        own.setdefault("record_id", self.mistake.pk)
        return own

    def url(self, name: str, target: Target | None = None) -> str:
        from django.urls import reverse

        pattern = dict(walk(get_resolver().url_patterns))[name]
        values = self.route_values(target)
        needed = pattern.pattern.converters.keys()
        missing = set(needed) - set(values)
        assert not missing, f"{name}: add a fixture for {sorted(missing)} in route_values"
        return reverse(name, kwargs={key: values[key] for key in needed})


# -- the fuzz ------------------------------------------------------------------------------------


class FormFuzz(HypothesisTestCase, FuzzCase):
    """One test per form; Hypothesis rolls the database back after each example.

    The tests themselves are added to subclasses below (``group_of``).
    """

    forms: dict = {}

    def sign_in(self, target: Target) -> None:
        personas = {Role.DOCUMENTER: self.documenter, Role.ANALYST: self.analyst}
        user = personas.get(target.role, self.coordinator)
        self.client.force_login(user)
        if target.reauth:
            self.client.reauthenticate()
        self.user = user

    def form_of(self, target: Target) -> fuzz.Form:
        """The form as the page shows it (read once per test, then kept)."""
        if target.key not in self.forms:
            page = self.url(target.form_on or target.name, target)
            response = self.client.get(page)
            assert response.status_code in (200, 422), (page, response.status_code)
            action = self.url(target.name, target)
            if target.fields_of_form_on:
                action = page
            forms = [
                form
                for form in fuzz.read_forms(response.content.decode())
                if form.method == target.method and (form.action or page).split("?")[0] == action
            ]
            assert forms, f"no {target.method} form posting to {action} on {page}"
            self.forms[target.key] = forms[0]
        return self.forms[target.key]

    def valid_values(self, target: Target) -> dict[str, str]:
        key = ("valid", target.key)
        if key not in self.forms or target.volatile:
            self.forms[key] = {k: str(v) for k, v in target.valid(self).items()}
        return self.forms[key]

    def pairs(self, target: Target, form: fuzz.Form, plan: dict) -> list[tuple[str, object]]:
        """The (name, value) pairs the plan sends, with its placeholders resolved."""
        names = form.names() or ["q"]
        given = self.valid_values(target)
        valid = {**dict(form.shown_values()), **given}
        if plan["base"] == "valid":
            sent = [(k, v) for k, v in form.shown_values() if k not in given]
            sent += list(given.items())
        else:
            sent = []

        def resolve_value(name, value):
            if isinstance(value, fuzz.Foreign):
                return str(self.foreign_ids[value.index % len(self.foreign_ids)])
            if isinstance(value, fuzz.Choice):
                options = form.options(name) or [valid.get(name, "")]
                return options[value.index % len(options)]
            return value

        def slots(slot):
            if slot == fuzz.ALL:
                return names
            if slot == fuzz.TEXT:
                return form.text_names()
            return [names[slot % len(names)]]

        for slot, value in plan["set"]:
            for name in slots(slot):
                sent = [(k, v) for k, v in sent if k != name]
                sent.append((name, resolve_value(name, value)))
        for slot in plan["drop"]:
            dropped = set(slots(slot))
            sent = [(k, v) for k, v in sent if k not in dropped]
        for slot, value in plan["repeat"]:
            sent += [(name, resolve_value(name, value)) for name in slots(slot)]
        sent += [(name, resolve_value(name, value)) for name, value in plan["extra"]]
        if "version" in names:
            sent = self.with_version(sent, int(valid["version"]), plan["version"])
        return sent

    @staticmethod
    def with_version(sent, version: int, how: str):
        tokens = {
            "keep": None,
            "stale": str(version - 1),
            "garbage": "v2",
            "future": str(version + 1000),
            "negative": "-1",
            "huge": "9" * 30,
        }
        if how == "keep":
            return sent
        sent = [(k, v) for k, v in sent if k != "version"]
        return sent if how == "missing" else [*sent, ("version", tokens[how])]

    def send(self, target: Target, form: fuzz.Form, sent, files):
        path = self.url(target.name, target)
        if target.method == "get":
            return self.client.get(f"{path}?{fuzz.urlencoded(sent)}")
        if files or "multipart" in form.enctype:
            body = fuzz.multipart(sent, files)
            content_type = f"multipart/form-data; boundary={fuzz.BOUNDARY}"
            return self.client.post(path, body, content_type=content_type)
        body = fuzz.urlencoded(sent)
        return self.client.post(path, body, content_type="application/x-www-form-urlencoded")

    def files_for(self, target: Target, plan: dict) -> list[tuple[str, str, bytes]]:
        """Each file field gets its file, named by the first hostile text of the plan."""
        names = [v for _slot, v in plan["set"] if isinstance(v, str)]
        filename = (names[0] if names else "nota.txt")[:300] or "sin-nombre"
        if plan["base"] == "empty":
            return []
        return [(name, filename, content) for name, content in target.files.items()]

    def fuzz_once(self, target: Target, plan: dict) -> None:
        self.sign_in(target)
        if target.prepare:
            target.prepare(self)
        form = self.form_of(target)
        sent = self.pairs(target, form, plan)
        files = self.files_for(target, plan)
        before = fuzz.snapshot()
        response = self.send(target, form, sent, files)
        after = fuzz.snapshot()
        diff = fuzz.difference(before, after)
        where = f"{target.name} answered {response.status_code}, wrote {diff.describe()}"

        self.assertLess(response.status_code, 500, where)
        content = response.content.decode(errors="replace") if not response.streaming else ""
        self.assertEqual(fuzz.echoed_markup(sent, content), [], where)
        succeeded = target.succeeds(response)
        if not succeeded:
            if target.refusal_audit and not diff.models() - {"AuditEntry"} - target.bookkeeping:
                actions = {
                    after["AuditEntry"][pk]["action"] for pk in diff.added.get("AuditEntry", ())
                }
                self.assertLessEqual(actions, target.refusal_audit, where)
                return
            self.assertFalse(diff, f"partial write: {where}")
            return
        if target.always_writes:
            self.assertTrue(diff, f"a success that wrote nothing: {where}")
        if diff:
            self.check_write(target, plan, before, after, diff, where)
        if response.status_code == 302:
            self.check_landing(response, sent)
        if target.name == "cases_io:import_review":
            self.check_import(diff)

    def check_write(self, target, plan, before, after, diff, where) -> None:
        """Exactly the expected record changed, in this organization, and it was audited."""
        never = {"Organization", "Membership", "User", "OrganizationKey", "Vocabulary"}
        if target.edits:
            never.discard(target.edits[0].__name__)
        self.assertFalse(never & diff.models(), where)
        if "version" in self.form_of(target).names():
            self.assertEqual(plan["version"], "keep", f"a bad version was accepted: {where}")
        for model in diff.models():
            for state, pks in (
                (before, diff.removed.get(model, set()) | diff.modified.get(model, set())),
                (after, diff.added.get(model, set()) | diff.modified.get(model, set())),
            ):
                for row in fuzz.rows_of(state, model, pks):
                    self.assertNotEqual(row.get("organization_id"), self.other_org.pk, where)
        if target.creates:
            name = target.creates.__name__
            self.assertEqual(len(diff.added.get(name, ())), 1, where)
            self.assertFalse(diff.removed.get(name) or diff.modified.get(name), where)
        elif target.edits:
            model, attribute = target.edits
            record = getattr(self, attribute)
            name = model.__name__
            # Saved unchanged, the record stays as it was (the save is still audited).
            self.assertLessEqual(diff.modified.get(name, set()), {record.pk}, where)
            self.assertFalse(diff.added.get(name) or diff.removed.get(name), where)
            old, new = before[name][record.pk], after[name][record.pk]
            if "version" in old and old != new:
                self.assertEqual(new["version"], old["version"] + 1, where)
        elif target.removes:
            model, attribute = target.removes
            self.assertEqual(diff.removed.get(model.__name__), {getattr(self, attribute).pk}, where)
        else:
            self.assertEqual(diff.models() - target.bookkeeping, {"AuditEntry"}, where)
        entries = [after["AuditEntry"][pk] for pk in diff.added.get("AuditEntry", ())]
        if target.audited:
            self.assertTrue(entries, f"unaudited write: {where}")
        organization = self.org.pk if target.in_organization else None
        for entry in entries:
            self.assertEqual(
                (entry["actor_id"], entry["organization_id"]), (self.user.pk, organization)
            )

    def check_landing(self, response, sent) -> None:
        """The page a success leads to shows what was saved, escaped."""
        landing = self.client.get(response["Location"])
        self.assertLess(landing.status_code, 500, response["Location"])
        content = landing.content.decode(errors="replace") if not landing.streaming else ""
        self.assertEqual(fuzz.echoed_markup(sent, content), [], response["Location"])

    def check_import(self, diff) -> None:
        """The queued import, once the worker ran it: all its rows and its audit, or nothing."""
        (job_id,) = diff.added["Job"]
        before = fuzz.snapshot()
        drain()
        after = fuzz.difference(before, fuzz.snapshot())
        job = Job.objects.get(pk=job_id)
        records = after.models() - {"Job", "JobData", "AuditEntry"}
        audited = AuditEntry.objects.filter(action="cases.import", organization=self.org)
        if job.result.get("events"):
            self.assertTrue(records, after.describe())
            self.assertEqual(audited.count(), 1)
        else:
            self.assertFalse(records, f"import {job.status} {job.result}: {after.describe()}")
            self.assertFalse(audited.exists())


FUZZ_SETTINGS = {
    "derandomize": True,  # the same examples on every run and machine: CI is reproducible
    "database": None,
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}


def fuzz_test(target: Target):
    def test(self, plan):
        self.fuzz_once(target, plan)

    plans = fuzz.KNOWN[3:6] + fuzz.KNOWN[-2:] if target.fieldless else fuzz.KNOWN
    for known in reversed(plans):
        test = example(plan=known)(test)
    test = given(plan=fuzz.PLANS)(test)
    test = settings(max_examples=target.examples, **FUZZ_SETTINGS)(test)
    test.__name__ = f"test_it_survives_hostile_values_in_{target.key}"
    test.__doc__ = f"Hostile values posted to {target.name} {target.route or ''}"
    return test


def group_of(target: Target) -> str:
    """Tests are split in classes so pytest-xdist (--dist loadscope) spreads them."""
    if target.name.startswith("cases_io:"):
        return "ImportExport"
    if target.name.startswith("accounts:"):
        return "PeopleAndLists"
    if target.name in ("cases:new", "cases:edit", "cases:victim_new", "cases:source_new"):
        return "Wizard"
    if any(word in target.name for word in ("act", "attribution", "intervention", "remove")):
        return "Parts"
    return "PeopleAndLists"


for _target in TARGETS:
    _class_name = f"{group_of(_target)}Fuzz"
    if _class_name not in globals():
        globals()[_class_name] = type(_class_name, (FormFuzz,), {"__module__": __name__})
    _test = fuzz_test(_target)
    setattr(globals()[_class_name], _test.__name__, _test)


# -- every form is fuzzed --------------------------------------------------------------------------


class EveryFormFuzzed:
    """Mixed into an app's fuzz case: each page of the app is fuzzed or said to send no
    form, and every form on its pages posts to a fuzzed address.

    The case sets ``targets`` and ``no_form`` (its TARGETS and NO_FORM), names the
    app and its fuzz file for the failure message, and lists the app's routes.
    """

    targets: list[Target] = []
    no_form: set[str] | frozenset[str] = frozenset()
    app_name = ""
    fuzz_file = ""
    browse_as = "coordinator"
    not_browsed: frozenset[str] = frozenset()  # pages for someone not signed in

    def routes(self) -> list[str] | set[str]:
        raise NotImplementedError

    def test_it_fuzzes_every_form_of_the_app(self):
        fuzzed = {target.name for target in self.targets}
        for name in self.routes():
            with self.subTest(name=name):
                self.assertTrue(
                    name in fuzzed or name in self.no_form,
                    f"{name} is a page of {self.app_name}: add it to TARGETS in "
                    f"{self.fuzz_file}, or to NO_FORM if it sends no form",
                )

    def test_it_finds_no_form_on_pages_said_to_have_none(self):
        """Every form on every signed-in page of the app posts to a fuzzed address."""
        self.client.force_login(getattr(self, self.browse_as))
        self.client.reauthenticate()
        fuzzed = {target.name for target in self.targets}
        routes = set(self.routes())
        for name in sorted(routes - self.not_browsed):
            target = next((t for t in self.targets if t.name == name), None)
            path = self.url(name, target)
            response = self.client.get(path)
            if (
                response.status_code != 200
                or response.streaming
                or not response["Content-Type"].startswith("text/html")
            ):
                continue
            for form in fuzz.read_forms(response.content.decode()):
                action = (form.action or path).split("?")[0]
                view = resolve(action).view_name
                if form.method == "get" and view not in routes:
                    continue  # a search box leading to another app's page
                with self.subTest(page=name, action=action):
                    self.assertIn(view, fuzzed | {"set_language", "accounts:logout"})


class FuzzCoverageTests(EveryFormFuzzed, FuzzCase):
    targets = TARGETS
    no_form = NO_FORM
    app_name = "the cases app"
    fuzz_file = "tests/web/test_fuzz_forms.py"

    def routes(self):
        return cases_routes()


# -- what the fuzz found -------------------------------------------------------------------------


class FoundByTheFuzzTests(FuzzCase):
    def setUp(self):
        super().setUp()
        self.client.force_login(self.documenter)

    def test_it_refuses_a_tag_id_past_64_bits_without_a_server_error(self):
        # SQLite cannot bind it: the multiple choice's lookup raised OverflowError (a 500).
        before = Event.objects.count()
        response = self.client.post(
            self.url("cases:new"), event_data(tags=["99999999999999999999"])
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("tags", response.context["form"].errors)
        self.assertEqual(Event.objects.count(), before)

    def test_it_refuses_an_act_id_past_64_bits_on_a_source(self):
        version = self.source.version
        response = self.client.post(
            self.url("cases:source_edit"),
            {
                "kind": term("source_kind", "press").pk,
                "reliability": "unknown",
                "acts": [self.act.pk, "-99999999999999999999"],
                "version": version,
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("acts", response.context["form"].errors)
        self.source.refresh_from_db()
        self.assertEqual(self.source.version, version)

    def test_it_refuses_a_nul_byte_as_the_state_of_a_case(self):
        # PostgreSQL refuses NUL in a query: the municipalities of "\x00" answered 500.
        for path in (self.url("cases:new"), self.url("cases:edit")):
            with self.subTest(path=path):
                data = event_data(state="\x00", version=self.event.version)
                response = self.client.post(path, data)
                self.assertEqual(response.status_code, 200)
                self.assertIn("state", response.context["form"].errors)
        self.assertEqual(Event.objects.filter(organization=self.org).count(), 2)

    def test_it_lists_cases_when_the_state_filter_holds_a_nul_byte(self):
        response = self.client.get(self.url("cases:list"), {"state": "\x00"})
        self.assertEqual(response.status_code, 200)
        self.assertIn("state", response.context["form"].errors)

    def test_it_audits_a_password_change(self):
        # The only write of a documenter's forms that went unaudited.
        new = "otra contraseña larga de prueba 2026"
        response = self.client.post(
            self.url("accounts:password_change"),
            {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
        )
        self.assertRedirects(response, self.url("accounts:password_change_done"))
        entry = AuditEntry.objects.get(action="password.changed")
        self.assertEqual((entry.actor_id, entry.organization_id), (self.documenter.pk, None))
        self.documenter.refresh_from_db()
        self.assertTrue(self.documenter.check_password(new))
        # Still signed in: the session follows the new password.
        self.assertEqual(self.client.get(self.url("cases:list")).status_code, 200)

    def test_it_changes_no_password_and_audits_nothing_when_the_old_one_is_wrong(self):
        response = self.client.post(
            self.url("accounts:password_change"),
            {"old_password": "no es", "new_password1": "x" * 20, "new_password2": "x" * 20},
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(AuditEntry.objects.filter(action="password.changed").exists())
        self.documenter.refresh_from_db()
        self.assertTrue(self.documenter.check_password(PASSWORD))

    def test_it_keeps_the_old_password_when_the_change_cannot_be_audited(self):
        new = "otra contraseña larga de prueba 2026"
        data = {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
        with (
            mock.patch("memoria.accounts.actions.audit", side_effect=RuntimeError("audit")),
            self.assertRaises(RuntimeError),
        ):
            self.client.post(self.url("accounts:password_change"), data)
        self.documenter.refresh_from_db()
        self.assertTrue(self.documenter.check_password(PASSWORD))

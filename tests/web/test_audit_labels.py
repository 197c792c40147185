"""Every audit action written anywhere in memoria/ has a Spanish label on the audit page."""

from __future__ import annotations

import ast
from pathlib import Path

from django.utils import translation

from memoria.audit.labels import ACTION_LABELS
from memoria.audit.log import audit
from tests.vaultapp.models import ProtectedNote
from tests.web.base import MemoriaTestCase

SOURCE = Path(__file__).parents[2] / "memoria"


def _codes(node: ast.expr) -> list[str] | None:
    """The action codes an argument can take: a literal, or ``"a" if x else "b"``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _codes(node.body), _codes(node.orelse)
        if body is not None and orelse is not None:
            return body + orelse
    return None


def _name(call: ast.Call) -> str | None:
    return getattr(call.func, "id", None) or getattr(call.func, "attr", None)


def _argument(call: ast.Call, index: int, name: str) -> ast.expr | None:
    keyword = next((k.value for k in call.keywords if k.arg == name), None)
    if keyword is not None:
        return keyword
    return call.args[index] if len(call.args) > index else None


def _forwarders(tree: ast.Module) -> tuple[dict[str, tuple[int, str]], set[ast.Call]]:
    """Helpers that pass one of their parameters to ``audit()`` as the action,
    and those ``audit()`` calls (checked where the helpers are called instead)."""
    helpers, forwarded = {}, set()
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef):
            continue
        params = [a.arg for a in function.args.posonlyargs + function.args.args]
        for call in ast.walk(function):
            if isinstance(call, ast.Call) and _name(call) == "audit":
                action = _argument(call, 2, "action")
                if isinstance(action, ast.Name) and action.id in params:
                    helpers[function.name] = (params.index(action.id), action.id)
                    forwarded.add(call)
    return helpers, forwarded


def audit_calls() -> list[tuple[str, int, list[str] | None]]:
    """``(file, line, codes)`` for every action given to ``audit()`` in memoria/.

    A helper that forwards its ``action`` parameter to ``audit()`` is checked
    at its call sites. ``codes`` is None when the action is not a literal.
    """
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        helpers, forwarded = _forwarders(tree)
        where = str(path.relative_to(SOURCE.parent))
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call) or call in forwarded:
                continue
            if _name(call) == "audit":
                action = _argument(call, 2, "action")
            elif _name(call) in helpers:
                action = _argument(call, *helpers[_name(call)])
            else:
                continue
            found.append((where, call.lineno, _codes(action) if action is not None else None))
    return found


class ActionLabelTests(MemoriaTestCase):
    def test_it_finds_the_audit_calls(self):
        codes = {code for _f, _l, found in audit_calls() for code in found or []}
        self.assertTrue({"login.failed", "member.invited", "keys.master_rotated"} <= codes)

    def test_it_has_a_label_for_every_action_written(self):
        unlabelled = [
            f"{where}:{line} {code!r}"
            for where, line, codes in audit_calls()
            for code in codes or []
            if code not in ACTION_LABELS
        ]
        self.assertEqual(unlabelled, [], "add these codes to memoria/audit/labels.py")

    def test_it_needs_literal_action_codes(self):
        # A computed code could never be checked for a label.
        computed = [f"{where}:{line}" for where, line, codes in audit_calls() if codes is None]
        self.assertEqual(computed, [], "pass audit() its action as a string literal")

    def test_every_label_is_translated(self):
        with translation.override("en"):
            english = {code: str(label) for code, label in ACTION_LABELS.items()}
        with translation.override("es-mx"):
            untranslated = [
                code for code, label in ACTION_LABELS.items() if str(label) == english[code]
            ]
        self.assertEqual(untranslated, [], "translate them in memoria/audit/locale (bin/messages)")

    def test_the_page_shows_labels_not_codes(self):
        note = ProtectedNote.objects.create(organization=self.org, title="x")
        audit(self.documenter, self.org, "case.view", target=note)
        audit(self.coordinator, self.org, "cases.export_identities", format="csv")
        self.client.force_login(self.coordinator)
        response = self.client.get(f"/o/{self.org.slug}/audit/")
        self.assertContains(response, "Consultó un caso")
        self.assertContains(response, "Exportó casos con identidades")
        self.assertNotContains(response, "cases.export_identities")
        self.assertNotContains(response, "vaultapp.protectednote")

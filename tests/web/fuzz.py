"""The machinery of the form fuzz (tests/web/test_fuzz_forms.py).

Forms are learned from the pages themselves (``read_forms`` parses the HTML),
values come from Hypothesis (``PLANS``), requests are sent as raw bodies (so a
lone surrogate, invalid UTF-8, a NUL byte or a repeated field reaches the
server exactly as a hostile client would send it), and ``snapshot`` records
every row of the apps that hold records, so a refused request that wrote
anything, even one changed column, is seen.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote_plus

from django.apps import apps
from django.db import connection
from hypothesis import strategies as st

# -- forms read from a page -------------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # input type, "select", "select-multiple" or "textarea"
    value: str = ""  # the value the page shows (for a select: the selected option)
    options: list[str] = field(default_factory=list)
    checked: bool = False


@dataclass
class Form:
    method: str
    action: str
    enctype: str
    fields: list[Field] = field(default_factory=list)

    def names(self) -> list[str]:
        return sorted({f.name for f in self.fields})

    def shown_values(self) -> list[tuple[str, str]]:
        """What a browser would send if the person pressed the button without touching it."""
        pairs = []
        for f in self.fields:
            if f.kind in ("checkbox", "radio"):
                if f.checked:
                    pairs.append((f.name, f.value or "on"))
            elif f.kind in ("submit", "button", "file", "reset", "image"):
                continue
            elif f.kind == "select-multiple":
                pairs.extend((f.name, value) for value in f.value.split("\x1f") if value)
            else:
                pairs.append((f.name, f.value))
        return pairs

    def text_names(self) -> list[str]:
        """The fields a person types free text into."""
        kinds = ("text", "search", "textarea", "email", "url")
        return sorted({f.name for f in self.fields if f.kind in kinds})

    def options(self, name: str) -> list[str]:
        values = []
        for f in self.fields:
            if f.name == name:
                values.extend(f.options or ([f.value] if f.value else []))
        return [v for v in values if v]


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._selected: list[str] = []
        self._option: str | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(
                method=a.get("method", "get").lower(),
                action=a.get("action", ""),
                enctype=a.get("enctype", ""),
            )
            self.forms.append(self._form)
        if self._form is None:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            self._form.fields.append(
                Field(a["name"], kind, a.get("value", ""), checked="checked" in a)
            )
        elif tag == "select" and a.get("name"):
            kind = "select-multiple" if "multiple" in a else "select"
            self._select = Field(a["name"], kind)
            self._selected = []
        elif tag == "option" and self._select is not None:
            self._option = a.get("value")
            if self._option is not None:
                self._select.options.append(self._option)
                if "selected" in a:
                    self._selected.append(self._option)
        elif tag == "textarea" and a.get("name"):
            self._textarea = Field(a["name"], "textarea")

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            select = self._select
            if select.kind == "select":
                select.value = (self._selected or select.options[:1] or [""])[0]
            else:
                select.value = "\x1f".join(self._selected)
            if self._form is not None:
                self._form.fields.append(select)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # Browsers drop the one newline that follows <textarea>.
            self._textarea.value = self._textarea.value.removeprefix("\n")
            if self._form is not None:
                self._form.fields.append(self._textarea)
            self._textarea = None


def read_forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


# -- what is sent -----------------------------------------------------------------------------


def _bytes(value: str | bytes) -> bytes:
    # surrogatepass: a lone surrogate travels as the (invalid) bytes a hostile client sends.
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def urlencoded(pairs: list[tuple[str, str | bytes]]) -> str:
    return "&".join(f"{quote_plus(_bytes(k))}={quote_plus(_bytes(v))}" for k, v in pairs)


BOUNDARY = "MemoriaFuzzBoundary7MA4YWxkTrZu0gW"


def multipart(pairs: list[tuple[str, str | bytes]], files: list[tuple[str, str, bytes]]) -> bytes:
    """A multipart body built by hand: Django's test client cannot encode invalid text."""
    parts = []
    for name, value in pairs:
        head = b'Content-Disposition: form-data; name="' + _bytes(name) + b'"'
        parts.append(head + b"\r\n\r\n" + _bytes(value))
    for name, filename, content in files:
        head = (
            b'Content-Disposition: form-data; name="'
            + _bytes(name)
            + b'"; filename="'
            + _bytes(filename)
            + b'"\r\nContent-Type: application/octet-stream'
        )
        parts.append(head + b"\r\n\r\n" + content)
    boundary = BOUNDARY.encode()
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts)
    return body + b"--" + boundary + b"--\r\n"


# -- hostile values ---------------------------------------------------------------------------

SCRIPT = '<script>alert("memoria")</script>'
IMAGE = '"><img src=x onerror=alert(1)>'

HOSTILE = [
    "",
    " ",
    "\x00",
    "Ana\x00María",
    "\ud800",  # a lone surrogate
    "Zubir\udfffía",
    "\u202eaíraM\u200f",  # right-to-left override and mark
    "\ufeff\u200b",
    "x" * 10_000,
    "9" * 400,
    "'; DROP TABLE cases_event; --",
    "' OR '1'='1",
    "%",
    "_",
    "\\",
    SCRIPT,
    IMAGE,
    "{{ 7|add:7 }}{% debug %}",
    "-1",
    "0",
    "-99999999999999999999",
    "99999999999999999999999999",
    "2147483648",
    "9223372036854775808",
    "1e309",
    "NaN",
    "-inf",
    "1.5",
    "0x10",
    "١٢٣",  # Arabic-Indic digits
    "31/02/2024",
    "0000-00-00",
    "9999-12-31",
    "2024-02-30",
    "1899-12-31",
    "2100-01-01",
    "true",
    "None",
    "[]",
    "../../etc/passwd",
    "\r\n",
]


@dataclass(frozen=True)
class Foreign:
    """An id of a record of another organization (the pool is built at run time)."""

    index: int


@dataclass(frozen=True)
class Choice:
    """One of the options the page offers for the field (or its shown value)."""

    index: int


TEXT = st.text(
    st.characters(categories=["Lu", "Ll", "Nd", "Zs", "Po", "Sm", "Cc", "Cf", "Cs", "Mn", "So"]),
    max_size=40,
)

VALUES = st.one_of(
    st.sampled_from(HOSTILE),
    TEXT,
    TEXT.map(lambda s: f"<script>{s}</script>"),
    st.integers(-(10**20), 10**20).map(str),
    st.builds(Foreign, st.integers(0, 200)),
    st.builds(Choice, st.integers(0, 200)),
    st.binary(max_size=12),  # not UTF-8 at all
)

VERSIONS = ["keep", "stale", "missing", "garbage", "future", "negative", "huge"]
EXTRA_NAMES = ["organization", "organization_id", "id", "pk", "event", "created_by", "version"]
ALL = -1  # in a plan's slot: every field of the form
TEXT = -2  # in a plan's slot: every free-text field (the rest keeps values that pass)

PLANS = st.fixed_dictionaries(
    {
        "base": st.sampled_from(["valid", "valid", "valid", "empty"]),
        "set": st.lists(st.tuples(st.integers(0, 63), VALUES), max_size=5),
        "drop": st.lists(st.integers(0, 63), max_size=3),
        "repeat": st.lists(st.tuples(st.integers(0, 63), VALUES), max_size=2),
        "extra": st.lists(st.tuples(st.sampled_from(EXTRA_NAMES), VALUES), max_size=2),
        "version": st.sampled_from(VERSIONS),
    }
)


def plan(base="valid", set=(), drop=(), repeat=(), extra=(), version="keep") -> dict:  # noqa: A002
    """A plan written by hand, for ``@example``."""
    return {
        "base": base,
        "set": list(set),
        "drop": list(drop),
        "repeat": list(repeat),
        "extra": list(extra),
        "version": version,
    }


def everywhere(value) -> dict:
    return plan(set=[(ALL, value)])


def in_text(value) -> dict:
    return plan(set=[(TEXT, value)])


# The cases everyone knows to try, run on every form before the random ones. Those
# in the free-text fields alone are saved: they test what the pages show afterwards.
KNOWN = [
    in_text(SCRIPT),
    in_text(IMAGE),
    in_text("Zubir\udfffía \u202eaíraM\u200f '; DROP TABLE cases_event; --"),
    everywhere("\x00"),
    everywhere("Zubir\udfffía"),
    everywhere(b"\xff\xfe\x00"),
    everywhere("\u202eaíraM\u200f"),
    everywhere("x" * 10_000),
    everywhere("'; DROP TABLE cases_event; --"),
    everywhere(SCRIPT),
    everywhere(IMAGE),
    everywhere("-99999999999999999999"),
    everywhere("31/02/2024"),
    everywhere("0000-00-00"),
    everywhere("9999-12-31"),
    everywhere(Foreign(0)),
    everywhere(Foreign(1)),
    plan(base="empty"),
    plan(version="stale"),
    plan(version="missing"),
    plan(version="garbage"),
    plan(repeat=[(ALL, Foreign(2))]),
    plan(set=[(ALL, Choice(1))]),
    plan(),
]


# -- what the database holds ------------------------------------------------------------------

# The apps whose tables a form may write; places is the read-only INEGI catalogue.
WATCHED_APPS = {
    "accounts",
    "alerts",
    "analysis",
    "audit",
    "capture",
    "cases",
    "checkins",
    "exchange",
    "jobs",
    "network",
    "protection",
    "reports",
    "search",
    "sharing",
    "vault",
    "victims",
    "otp_totp",
    "otp_static",
}


def _plain(value):
    return bytes(value) if isinstance(value, memoryview) else value


# The network's own vocabulary terms are many and no organization can change them:
# counted, not compared row by row (an organization's terms are). By model: the
# column that is NULL on the shared rows.
SHARED_ROWS = {"Term": "organization_id"}


@functools.cache
def _watched() -> list[tuple[str, str, list[str], int, str]]:
    """For each watched table: its model's name, the SELECT of every row, the
    attribute names of its columns, the primary key's place, the shared rows' test."""
    quote = connection.ops.quote_name
    watched = []
    for model in apps.get_models():
        if model._meta.app_label not in WATCHED_APPS or model._meta.proxy:
            continue
        fields = model._meta.concrete_fields
        table = quote(model._meta.db_table)
        columns = ", ".join(quote(f.column) for f in fields)
        shared = SHARED_ROWS.get(model.__name__)
        # Table and column names come from the models, quoted: no value is spliced in.
        select = f"SELECT {columns} FROM {table}"  # noqa: S608
        if shared:
            select += f" WHERE {quote(shared)} IS NOT NULL"
        select += f" ORDER BY {quote(model._meta.pk.column)}"
        names = [f.attname for f in fields]
        count = f"SELECT COUNT(*) FROM {table} WHERE {quote(shared)} IS NULL" if shared else ""  # noqa: S608
        watched.append((model.__name__, select, names, names.index(model._meta.pk.attname), count))
    return watched


def snapshot() -> dict[str, dict]:
    """Every row of every watched table, as stored: {model name: {pk: row}}.

    Read with plain SQL, so encrypted columns are compared as ciphertext: a row
    written again, even with the same values, shows as changed.
    """
    state = {}
    with connection.cursor() as cursor:
        for name, select, names, key, count in _watched():
            if count:
                cursor.execute(count)
                state[f"{name} (shared)"] = {"count": {"rows": cursor.fetchone()[0]}}
            cursor.execute(select)
            state[name] = {
                row[key]: dict(zip(names, map(_plain, row), strict=True))
                for row in cursor.fetchall()
            }
    return state


@dataclass
class Diff:
    added: dict[str, set]
    removed: dict[str, set]
    modified: dict[str, set]

    def models(self) -> set[str]:
        return {m for part in (self.added, self.removed, self.modified) for m in part}

    def __bool__(self) -> bool:
        return bool(self.models())

    def describe(self) -> str:
        parts = []
        for what, part in (("added", self.added), ("removed", self.removed)):
            parts += [f"{model} {what} {sorted(pks)}" for model, pks in part.items()]
        parts += [f"{model} changed {sorted(pks)}" for model, pks in self.modified.items()]
        return "; ".join(parts) or "nothing"


def difference(before: dict, after: dict) -> Diff:
    diff = Diff({}, {}, {})
    for model, rows in after.items():
        old = before.get(model, {})
        added = set(rows) - set(old)
        removed = set(old) - set(rows)
        modified = {pk for pk in set(rows) & set(old) if rows[pk] != old[pk]}
        for part, pks in ((diff.added, added), (diff.removed, removed), (diff.modified, modified)):
            if pks:
                part[model] = pks
    return diff


def rows_of(state: dict, model: str, pks) -> list[dict]:
    return [state[model][pk] for pk in pks if pk in state.get(model, {})]


RAW_MARKUP = re.compile(r"<script|onerror=", re.IGNORECASE)


def echoed_markup(sent: list[tuple[str, str | bytes]], content: str) -> list[str]:
    """The sent values holding markup that the page shows unescaped."""
    return [
        value
        for _name, value in sent
        if isinstance(value, str) and RAW_MARKUP.search(value) and value in content
    ]

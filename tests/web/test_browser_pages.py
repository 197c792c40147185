"""Every main page, as the member who uses it, passes axe-core and fits a phone.

One browser for the module and one signed-in context per persona. Each page
is loaded once per language (Spanish, English) and checked at 390×844, then
at 1280×800 (the window is resized, the page is not reloaded). On each: axe-core
with every rule it applies by default (WCAG A/AA and best practices, any
impact), and no horizontal scroll. The demo network's fictional cases are the
data, so the demo banner is on every page too.
"""

from __future__ import annotations

import datetime

import pytest

from memoria.accounts.models import Organization, User
from memoria.accounts.roles import Role
from memoria.cases import actions
from memoria.cases.io.export_jobs import queue_export
from memoria.cases.models import Act, Attribution, Event, Intervention, Term, Vocabulary
from memoria.core.demo import load_demo_network
from memoria.jobs.worker import drain
from memoria.sharing.actions import share_record
from tests.web.base import PASSWORD, TwoFactorClient, ensure_reference_data
from tests.web.conftest import AXE, PHONE
from tests.web.test_cases_import import GOOD_ROWS, csv_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}
LANGUAGES = {"es-mx": "Resultados", "en": "Results"}
SLUG = "sierra-viva"


def all_violations(page) -> list[str]:
    """Every axe-core violation on the page: all the rules axe runs by default, any impact."""
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]


def fit(page, size) -> None:
    """Resize, and wait until the menu has followed (memoria.js opens it on wide screens)."""
    page.set_viewport_size(size)
    page.wait_for_function(
        "() => { const m = document.querySelector('[data-menu]');"
        " return !m || m.open === matchMedia('(min-width: 48rem)').matches; }"
    )


def problems_of(page, where: str) -> list[str]:
    found = []
    for name, size in (("phone", PHONE), ("desktop", DESKTOP)):
        fit(page, size)
        scroll, inner = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]"
        )
        if scroll > inner:
            found.append(f"{where} [{name}]: {scroll}px wide in a {inner}px window: {wide(page)}")
        found += [f"{where} [{name}]: {v}" for v in all_violations(page)]
        # The page's own content starts near the top (it started 330 px down on a phone).
        top = page.evaluate("(document.getElementById('main') || document.body).offsetTop")
        if name == "phone" and top > 100:
            found.append(f"{where} [{name}]: the content starts {top:.0f}px down")
    return found


WIDEST = """() => {
    const past = e => e.getBoundingClientRect().right > window.innerWidth + 0.5;
    return [...document.querySelectorAll('body *')]
        .filter(e => past(e) && ![...e.children].some(past))
        .slice(0, 3)
        .map(e => `${e.tagName}.${e.className} «${e.textContent.trim().slice(0, 40)}»`);
}"""


def wide(page) -> list[str]:
    """The innermost elements that reach past the window's right edge (to say what overflows)."""
    return page.evaluate(WIDEST)


class Personas:
    """The demo network's people, each in a browser context signed in once."""

    def __init__(self, browser, live_server):
        self.browser = browser
        self.live_server = live_server
        self.contexts = {}

    def page(self, email: str, language: str, *, otp: bool = True):
        """The persona's page in ``language``; a coordinator or documenter has just
        confirmed their password and code (the history and key pages ask for that)."""
        recent = otp and (email or "").startswith(("coordinacion@", "documentacion@"))
        key = (email, otp)
        if key not in self.contexts:
            context = self.browser.new_context(viewport=PHONE, locale="es-MX", bypass_csp=True)
            context.add_init_script(path=str(AXE))
            if email:
                client = TwoFactorClient()
                client.force_login(User.objects.get(email=email), otp=otp)
                if recent:
                    client.reauthenticate()
                context.add_cookies([self._cookie("sessionid", client.cookies["sessionid"].value)])
            page = context.new_page()
            page.external_requests = []
            page.on(
                "request",
                lambda r, p=page: (
                    None
                    if r.url.startswith(("http://localhost", "http://127.0.0.1", "data:"))
                    else p.external_requests.append(r.url)
                ),
            )
            self.contexts[key] = page
        page = self.contexts[key]
        page.context.add_cookies([self._cookie("memoria_language", language)])
        return page

    def _cookie(self, name: str, value: str) -> dict:
        return {"name": name, "value": value, "url": self.live_server.url}

    def close(self):
        for page in self.contexts.values():
            page.context.close()


def demo_data() -> dict:
    """The demo network with a few cases, one of them edited (for its history),
    another organization's case shared with Sierra Viva, and a case with every part."""
    ensure_reference_data()
    load_demo_network(cases=12)
    organization = Organization.objects.get(slug=SLUG)
    documenter = User.objects.get(email="documentacion@sierra-viva.example")
    event = (
        Event.objects.filter(organization=organization, acts__attributions__isnull=False)
        .distinct()
        .order_by("number")
        .first()
    )
    data = {
        field: getattr(event, field)
        for field in ("title", "description", "start_date", "start_precision", "state", "status")
    }
    actions.update_event(
        event, documenter, {**data, "title": event.title + " (revisado)"}, event.version
    )
    act = Act.objects.filter(event=event, attributions__isnull=False).first()
    relationship = Term.objects.get(vocabulary__code="relationship", code="mother")
    relative = actions.add_indirect_victim(
        event, documenter, act.victim, relationship, {"given_names": "Josefina", "sex": "female"}
    )
    source = actions.add_source(
        event,
        documenter,
        {"kind": Term.objects.get(vocabulary__code="source_kind", code="testimony"),
         "summary": "Entrevista con la familia.", "acts": [act]},
    )  # fmt: skip
    intervention = Intervention.objects.filter(organization=organization).first()
    if intervention is None:
        intervention = actions.add_intervention(
            event,
            documenter,
            {"kind": Term.objects.filter(vocabulary__code="intervention_kind").first(),
             "authority": "Fiscalía", "date": datetime.date(2024, 5, 2)},
        )  # fmt: skip
    other = Organization.objects.get(slug="voces-que-buscan")
    shared = Event.objects.filter(organization=other).order_by("number").first()
    share_record(
        User.objects.get(email="coordinacion@voces-que-buscan.example"),
        shared,
        organization,
        ["title", "state", "status"],
    )
    return {
        "event": event,
        "act": act,
        "attribution": Attribution.objects.filter(act=act).first(),
        "relative": relative,
        "source": source,
        "intervention": intervention,
        "person": act.victim,
        "shared": shared,
        "term": actions.add_term(
            organization,
            Vocabulary.objects.get(code="source_kind"),
            {
                "code": "radio",
                "label_es": "Programa de radio comunitaria",
                "label_en": "Community radio",
            },
        ),
    }


def test_every_main_page_passes_axe_and_fits_a_phone(live_server, browser):
    data = demo_data()
    newcomer = User.objects.create_user("nueva@sierra-viva.example", PASSWORD, full_name="Nueva")
    newcomer.memberships.create(organization=Organization.objects.get(slug=SLUG), role=Role.READER)
    base = f"/o/{SLUG}"
    case = f"{base}/cases/{data['event'].pk}"
    act, person = data["act"], data["person"]
    reader = "lectura@sierra-viva.example"
    documenter = "documentacion@sierra-viva.example"
    coordinator = "coordinacion@sierra-viva.example"
    # A finished export waiting for its reader (the worker's job page).
    export = queue_export(
        Organization.objects.get(slug=SLUG), User.objects.get(email=reader), "csv", False, "es-mx"
    )
    drain()
    pages = [
        (None, "/accounts/login/"),
        (None, "/accounts/reset/"),
        (reader, f"{base}/"),
        (reader, f"{base}/cases/"),
        (reader, f"{base}/cases/?state=08"),
        (reader, f"{case}/"),
        (reader, f"{base}/people/"),
        (reader, "search"),
        (reader, f"{base}/people/{person.pk}/"),
        (reader, f"{base}/cases/statistics/"),
        (reader, f"{base}/cases/export/"),
        (reader, f"{base}/cases/export/jobs/{export.pk}/"),
        (reader, "case search"),
        (reader, f"{base}/cases/{data['shared'].pk}/"),
        (reader, "/accounts/"),
        (reader, "/accounts/password/"),
        (reader, f"/accounts/confirm/?next={base}/cases/export/identities/"),
        (documenter, f"{base}/"),
        (documenter, f"{base}/cases/new/"),
        (documenter, f"{case}/victims/new/"),
        (documenter, f"{case}/relatives/new/"),
        (documenter, f"{case}/sources/new/"),
        (documenter, f"{case}/edit/"),
        (documenter, f"{case}/people/{person.pk}/acts/new/"),
        (documenter, f"{case}/acts/{act.pk}/"),
        (documenter, f"{case}/acts/{act.pk}/perpetrators/new/"),
        (documenter, f"{case}/perpetrators/{data['attribution'].pk}/"),
        (documenter, f"{case}/relatives/{data['relative'].pk}/"),
        (documenter, f"{case}/sources/{data['source'].pk}/"),
        (documenter, f"{case}/interventions/new/"),
        (
            documenter,
            f"/o/{SLUG}/cases/{data['intervention'].event_id}"
            f"/interventions/{data['intervention'].pk}/",
        ),
        (documenter, f"{case}/source/{data['source'].pk}/remove/"),
        (documenter, f"{base}/people/{person.pk}/edit/"),
        (documenter, f"{base}/people/{person.pk}/to-case/"),
        (documenter, "import"),
        (documenter, f"{case}/history/"),
        (documenter, f"{base}/people/{person.pk}/history/"),
        (coordinator, f"{base}/"),
        (coordinator, f"{case}/history/"),
        (coordinator, f"{base}/members/"),
        (coordinator, f"{base}/members/invite/"),
        (coordinator, f"{base}/settings/"),
        (coordinator, f"{base}/vocabularies/"),
        (coordinator, f"{base}/vocabularies/source_kind/new/"),
        (coordinator, f"{base}/vocabularies/terms/{data['term'].pk}/"),
        (coordinator, f"{base}/audit/"),
    ]
    personas = Personas(browser, live_server)
    problems = []
    try:
        for language, results in LANGUAGES.items():
            for email, path in pages:
                page = personas.page(email, language)
                if path == "search":
                    page.goto(f"{live_server.url}{base}/people/")
                    page.locator("#id_q").fill(person.paternal_surname or "a")
                    page.locator("form[role=search] button[type=submit]").click()
                    page.get_by_role("heading", name=results).wait_for()
                elif path == "case search":
                    page.goto(f"{live_server.url}{base}/cases/")
                    page.locator("form.case-search input[name=q]").fill(
                        person.paternal_surname or "a"
                    )
                    page.locator("form.case-search button[type=submit]").click()
                    page.wait_for_url(f"**{base}/cases/search/")
                elif path == "import":
                    problems += import_pages(page, live_server.url + base, language)
                    continue
                else:
                    response = page.goto(f"{live_server.url}{path}")
                    if response.status != 200 or not response.url.endswith(path):
                        problems.append(f"{path}: answered {response.status} at {response.url}")
                problems += problems_of(page, f"{language} {path}")
            # Before the second step, and setting up two-step sign-in.
            page = personas.page(coordinator, language, otp=False)
            page.goto(f"{live_server.url}/accounts/two-factor/?next=/")
            problems += problems_of(page, f"{language} two-factor code")
            page = personas.page(newcomer.email, language, otp=False)
            page.goto(f"{live_server.url}/accounts/two-factor/setup/?next=/accounts/")
            problems += problems_of(page, f"{language} two-factor set-up")
            # The menu, unfolded on a phone.
            page = personas.page(coordinator, language)
            page.goto(f"{live_server.url}{base}/")
            fit(page, PHONE)
            page.locator("[data-menu] > summary").click()
            problems += problems_of_open_menu(page, language)
        for page in personas.contexts.values():
            assert page.external_requests == []
    finally:
        personas.close()
    assert not problems, "\n".join(problems)


def test_the_not_found_page_passes_axe_and_fits_a_phone(live_server, browser):
    """A Memoria page in the reader's language (the error pages of #11, item 1)."""
    ensure_reference_data()
    load_demo_network()
    personas = Personas(browser, live_server)
    problems = []
    try:
        for language in LANGUAGES:
            page = personas.page("lectura@sierra-viva.example", language)
            response = page.goto(f"{live_server.url}/o/no-such-organization/")
            assert response.status == 404
            problems += problems_of(page, f"{language} 404")
    finally:
        personas.close()
    assert not problems, "\n".join(problems)


def problems_of_open_menu(page, language: str) -> list[str]:
    found = []
    audit_log = "Bitácora de auditoría" if language == "es-mx" else "Audit log"
    if not page.get_by_role("navigation").get_by_role("link", name=audit_log).is_visible():
        found.append(f"{language} menu: the audit log is not in the unfolded menu")
    if page.evaluate("document.documentElement.scrollWidth") > PHONE["width"]:
        found.append(f"{language} menu: wider than the phone")
    found += [f"{language} open menu: {v}" for v in all_violations(page)]
    return found


def import_pages(page, base: str, language: str) -> list[str]:
    """Upload a file with a bad row (review lists the problems), then a good one (job page)."""
    found = []
    bad = csv_bytes(
        GOOD_ROWS[0], "C-3,Amenaza,31/02/2019,Chihuahua,Cuauhtémoc,Ana,Ruiz,,M,,,threat,,,,"
    )
    for content, step in ((bad, "problems"), (csv_bytes(*GOOD_ROWS), "job")):
        page.goto(f"{base}/cases/import/")
        if step == "problems":
            found += problems_of(page, "import upload")
        page.locator("input[type=file]").set_input_files(
            {"name": "casos.csv", "mimeType": "text/csv", "buffer": content}
        )
        page.locator("main form[enctype] button[type=submit]").click()
        page.wait_for_url("**/import/columns/")
        if step == "problems":
            found += problems_of(page, "import columns")
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_url("**/import/review/")
        if step == "problems":
            found += problems_of(page, "import review with problems")
            continue
        found += problems_of(page, "import review")
        if page.locator("#on-duplicate-create").count():
            # The file came in before (the other language's pass): import it again.
            page.locator("#on-duplicate-create").check()
        page.locator("main .inline-form form:not([action]) button").click()
        page.wait_for_url("**/import/jobs/*/")
        found += problems_of(page, "import job")
        # The page follows the job by itself, without a reload.
        drain()
        page.get_by_text(
            "Se importaron 2 hechos" if "es" in language else "Imported 2 events"
        ).wait_for()
    return found


def test_the_municipality_picker_is_a_combobox_for_keyboard_and_mouse(live_server, browser):
    ensure_reference_data()
    load_demo_network()
    organization = Organization.objects.get(slug=SLUG)
    personas = Personas(browser, live_server)
    try:
        page = personas.page("documentacion@sierra-viva.example", "es-mx")
        page.goto(f"{live_server.url}/o/{SLUG}/cases/new/")
        page.locator("#id_title").fill("Amenaza a una periodista")
        box = page.get_by_role("combobox", name="Buscar municipio por nombre")
        assert box.get_attribute("aria-expanded") == "false"
        box.fill("tlaquepaque")
        options = page.get_by_role("listbox", name="Municipios encontrados").get_by_role("option")
        options.first.wait_for()
        assert box.get_attribute("aria-expanded") == "true"
        assert all_violations(page) == []  # the open list too
        # The arrow keys move through the options; the input keeps the focus.
        box.press("ArrowDown")
        first = options.first
        assert first.get_attribute("aria-selected") == "true"
        assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
        box.press("End")
        assert options.last.get_attribute("aria-selected") == "true"
        box.press("Home")
        assert first.get_attribute("aria-selected") == "true"
        assert first.inner_text() == "San Pedro Tlaquepaque, Jalisco"
        box.press("Enter")  # chooses; does not send the form
        assert box.get_attribute("aria-expanded") == "false"
        expect_value(page, "#id_municipality", "14098")
        assert page.locator("#id_state").input_value() == "14"
        assert page.url.endswith("/cases/new/")
        # Escape closes the list without choosing.
        box.fill("guachochi")
        options.first.wait_for()
        box.press("Escape")
        assert box.get_attribute("aria-expanded") == "false"
        assert page.locator("#id_municipality").input_value() == "14098"
        # The mouse chooses too.
        box.fill("guachochi")
        options.first.click()
        expect_value(page, "#id_municipality", "08027")
        page.get_by_role("button", name="Guardar y agregar víctimas").click()
        page.wait_for_url("**/victims/new/")
        event = Event.objects.filter(organization=organization).order_by("-number").first()
        assert event.title == "Amenaza a una periodista"
        assert (event.state_id, event.municipality_id) == ("08", "08027")
    finally:
        personas.close()


def test_the_menu_and_the_place_fields_work_without_javascript(live_server, browser):
    """Without the script the menu button still opens the navigation, and the two
    place selects do the work of the search box (which is not there)."""
    ensure_reference_data()
    load_demo_network()
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    client = TwoFactorClient()
    client.force_login(User.objects.get(email="documentacion@sierra-viva.example"))
    cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value}
    context.add_cookies([{**cookie, "url": live_server.url}])
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/o/{SLUG}/cases/new/")
        cases = page.get_by_role("navigation").get_by_role("link", name="Casos")
        assert not cases.is_visible()
        page.get_by_text("Menú", exact=True).click()
        assert cases.is_visible()
        assert page.get_by_role("combobox", name="Buscar municipio por nombre").count() == 0
        page.locator("#id_title").fill("Sin JavaScript")
        page.locator("#id_state").select_option("08")
        page.get_by_role("button", name="Guardar y agregar víctimas").click()
        page.wait_for_url("**/victims/new/")
        event = Event.objects.order_by("-pk").first()
        assert (event.title, event.state_id) == ("Sin JavaScript", "08")
    finally:
        context.close()


def expect_value(page, selector: str, value: str) -> None:
    """Wait for a select to take ``value`` (its options arrive by fetch)."""
    page.wait_for_function(
        "([s, v]) => document.querySelector(s).value === v", arg=[selector, value]
    )

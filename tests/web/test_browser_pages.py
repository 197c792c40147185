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
from playwright.sync_api import expect

from memoria.accounts.models import Organization, User
from memoria.accounts.roles import Role
from memoria.cases import actions
from memoria.cases.io.export_jobs import queue_export
from memoria.cases.models import Act, Attribution, Event, Intervention, Term, Vocabulary
from memoria.core.demo import load_demo_network
from memoria.jobs.worker import drain
from memoria.search.official_jobs import queue_report
from memoria.sharing.actions import share_record
from memoria.victims import actions as victims_actions
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
    victims = victims_path(documenter, event, act.victim, relative.person)
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
        **victims,
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


def victims_path(documenter, event, victim, relative) -> dict:
    """A registration of the direct victim; a reparation request of the relative, a measure
    granted and not delivered, and an appeal (the victims' registry pages)."""
    registration = victims_actions.add_registration(
        victim,
        documenter,
        {"event": event, "registry": "renavi", "filed_on": datetime.date(2024, 2, 1),
         "folio": "RENAVI-2024-0042", "deadline": datetime.date(2024, 5, 1),
         "status": "refused", "decided_on": datetime.date(2024, 6, 3),
         "refusal_reason": "Faltó la constancia de la denuncia.", "accompanied_by": documenter},
    )  # fmt: skip
    request = victims_actions.add_request(
        relative,
        documenter,
        {"event": event, "commission": "ceeav", "state_code": "08", "purpose": "reparation",
         "filed_on": datetime.date(2024, 3, 1), "folio": "CEEAV-CHIH-77",
         "deadline": datetime.date(2024, 6, 1), "status": "partly_granted",
         "resolved_on": datetime.date(2024, 9, 10), "resolution": "Atención psicológica."},
    )  # fmt: skip
    measure = victims_actions.add_measure(
        request,
        documenter,
        {"kind": "psychological", "decision": "granted", "amount_granted": "12000",
         "due_on": datetime.date(2024, 10, 1), "delivery": "partly",
         "delivered_on": datetime.date(2024, 11, 5)},
    )  # fmt: skip
    victims_actions.add_appeal(
        victim, documenter, {"registration": registration, "kind": "amparo", "status": "pending",
                             "filed_on": datetime.date(2024, 7, 1)},
    )  # fmt: skip
    return {"registration": registration, "victims_request": request, "measure": measure,
            "relative_person": relative}  # fmt: skip


def official_figures(organization, user):
    """Official figures imported for the comparison pages (an RNPDNO table)."""
    from memoria.analysis import official, official_actions
    from memoria.analysis.models import Estimate

    data = "Entidad,Año,Total\nChihuahua,2023,120\nGuerrero,2023,30\n".encode()
    dataset = official_actions.upload(organization, user, official.RNPDNO, "rnpdno.csv", data)
    parsed = official.parse(official.RNPDNO, data, dataset.mapping)
    official_actions.write_counts(dataset, parsed, user)
    # An estimate by state and year for Chihuahua 2023: shown beside that row to analysts.
    figure = {"estimate": 180.4, "interval": [140.2, 260.9], "model": "A:B"}
    part = {"observed": 90, "loglinear": figure, "lcmcr": dict(figure)}
    Estimate.objects.create(
        organization=organization,
        run=Estimate.objects.filter(organization=organization).earliest("pk").run,
        options={"strata": "state_period", "methods": ["loglinear", "lcmcr"]},
        result={
            "table": {"lists": ["A", "B", "C"], "strata": {"08/2023": []}},
            "report": {"observed": 90, "strata": {"08/2023": part}},
        },
    )
    return dataset


def linkage_pages(organization, base: str) -> list[str]:
    """A list with its columns chosen and a finished run with pairs to review."""
    from memoria.analysis import actions as analysis_actions
    from memoria.analysis.models import LinkageRun
    from memoria.cases.io.readers import Table
    from tests.web.test_analysis import LINKS, fake_result

    table = Table(headers=["nombre", "apellido paterno"], rows=[(2, ["José", "Pérez"])])
    listed = analysis_actions.upload_list(organization, None, "Fiscalía", table)
    analysis_actions.set_list_mapping(listed, None, {"given_names": "nombre"})
    run = LinkageRun.objects.create(organization=organization)
    sources, result = fake_result(LINKS)
    analysis_actions.save_run_result(run, sources, result)
    pair = run.pairs.order_by("-uncertainty").first()
    estimate = finished_estimate(organization)
    linkage = f"{base}/linkage"
    return [
        f"{linkage}/",
        f"{linkage}/lists/new/",
        f"{linkage}/lists/{listed.pk}/columns/",
        f"{linkage}/lists/{listed.pk}/delete/",  # asks before deleting
        f"{linkage}/runs/{run.pk}/",
        f"{linkage}/runs/{run.pk}/pairs/{pair.pk}/",
        f"{linkage}/runs/{estimate.run_id}/estimates/",
        f"{linkage}/estimates/{estimate.pk}/",
        f"{linkage}/estimates/{estimate.pk}/report/",
    ]


def finished_estimate(organization):
    """An estimate by state over a published table (both methods, tiny LCMCR chains,
    log-linear models averaged by BIC), with the whole table beside the strata, and
    pooled over 3 clusterings that join some pairs the reviewed clusters keep apart
    (narrower intervals, and too few clusterings: both explained on the page)."""
    from memoria.analysis import actions as analysis_actions
    from memoria.analysis.estimation import (
        EstimationSettings,
        capture_table,
        fingerprint,
        run_estimate,
        run_pooled_estimate,
    )
    from memoria.analysis.models import Estimate
    from tests.web.test_estimation import TINY, WESTERN, run_from_table
    from tests.web.test_estimation_linkage import add_uncertain_pairs

    run = run_from_table(organization, WESTERN, states=["08", "19"])
    add_uncertain_pairs(run, organization, None)
    settings = EstimationSettings(**TINY, strata="state", criterion="bic", linkage_draws=3)
    graph, clusters = analysis_actions.run_graph(run), analysis_actions.run_clusters(run)
    table = capture_table(graph, clusters, "state", run.values)
    estimate = Estimate.objects.create(
        organization=organization, run=run, options=settings.to_dict()
    )
    report = run_estimate(table, settings)
    decisions = analysis_actions.organization_decisions(organization.pk)
    report["linkage_uncertainty"] = run_pooled_estimate(
        graph, decisions, "state", run.values, settings
    )
    analysis_actions.save_estimate(estimate, table, fingerprint(table, settings), report)
    return estimate


@pytest.mark.layout
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
    # A finished comparison with the registry (the reports' pages).
    queue_report(Organization.objects.get(slug=SLUG), User.objects.get(email=reader), "pages")
    drain()
    linkage = linkage_pages(Organization.objects.get(slug=SLUG), base)
    figures = official_figures(Organization.objects.get(slug=SLUG), User.objects.get(email=reader))
    pages = [
        (None, "/accounts/login/"),
        (None, "/accounts/reset/"),
        (None, f"/p/{SLUG}/"),
        (None, f"/p/{SLUG}/incidents/"),
        (reader, f"{base}/"),
        (reader, f"{base}/cases/"),
        (reader, f"{base}/cases/?state=08"),
        (reader, f"{case}/"),
        (reader, f"{base}/people/"),
        (reader, "search"),
        (reader, f"{base}/people/{person.pk}/"),
        (reader, f"{base}/cases/statistics/"),
        (reader, f"{base}/cases/statistics/?state=08&measure=rate"),
        (reader, f"{base}/cases/statistics/?map=municipalities"),
        (reader, f"{base}/network/figures/"),
        (reader, f"{base}/network/figures/?year=2024"),
        (reader, f"{base}/official-figures/"),
        (reader, f"{base}/official-figures/{figures.pk}/"),
        (reader, f"{base}/official-figures/{figures.pk}/?state=08"),
        (reader, f"{base}/cases/export/"),
        (reader, f"{base}/cases/export/jobs/{export.pk}/"),
        (reader, "case search"),
        (reader, f"{base}/cases/{data['shared'].pk}/"),
        (reader, f"{base}/victims/"),
        (reader, f"{base}/victims/owed/"),
        (reader, f"{base}/victims/people/{person.pk}/"),
        (reader, f"{base}/victims/people/{data['relative_person'].pk}/"),
        (reader, f"{base}/victims/people/{data['relative_person'].pk}/timeline/"),
        (reader, f"{base}/victims/figures/"),
        (reader, f"{base}/search/official/"),
        (reader, f"{base}/search/official/absent/"),
        (reader, f"{base}/search/official/reverse/"),
        (reader, "/accounts/"),
        (reader, "/accounts/password/"),
        (reader, f"/accounts/confirm/?next={base}/cases/export/identities/"),
        (documenter, f"{base}/"),
        (documenter, f"{base}/cases/new/"),
        (documenter, f"{base}/search/official/import/"),
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
        (documenter, f"{base}/victims/people/{person.pk}/registrations/new/"),
        (documenter, f"{base}/victims/registrations/{data['registration'].pk}/"),
        (documenter, f"{base}/victims/people/{person.pk}/requests/new/"),
        (documenter, f"{base}/victims/requests/{data['victims_request'].pk}/measures/new/"),
        (documenter, f"{base}/victims/measures/{data['measure'].pk}/"),
        (documenter, f"{base}/victims/people/{person.pk}/appeals/new/"),
        (documenter, "import"),
        (documenter, f"{base}/capture/"),
        (documenter, f"{base}/cases/import/standard/"),
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
        *[(coordinator, path) for path in linkage],
        (coordinator, f"{base}/official-figures/{figures.pk}/"),
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


@pytest.mark.layout
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
        expect(cases).to_be_visible()
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


def protection_data() -> dict:
    """A person at risk of Sierra Viva with a record of every kind, and overdue items."""
    from memoria.protection import actions as protection
    from memoria.protection.overdue import raise_alerts_for

    organization = Organization.objects.get(slug=SLUG)
    documenter = User.objects.get(email="documentacion@sierra-viva.example")
    long_ago = datetime.datetime(2026, 1, 5, 10, 0, tzinfo=datetime.UTC)
    person = protection.register_person(
        organization,
        documenter,
        {"display_name": "Periodista de la sierra", "profile": "journalist", "status": "active",
         "time_zone": "America/Chihuahua", "notes": "Cubre desapariciones en la región."},
    )  # fmt: skip
    contact = protection.add_contact(
        person,
        documenter,
        {"name": "Hermana Lucía", "relationship": "hermana", "email": "lucia@example.org",
         "signal_number": "+52 614 123 4567", "accepts_email": True, "accepts_signal": True},
    )  # fmt: skip
    assessment = protection.record_assessment(
        person,
        documenter,
        {"assessed_on": long_ago.date(), "level": "extreme", "summary": "Amenazas directas."},
    )
    factor = None
    for kind, text in (
        ("threat", "Mensaje con amenaza de muerte tras una publicación"),
        ("vulnerability", "Vive sola, lejos de la cabecera municipal"),
        ("capacity", "Red de periodistas que la acompaña"),
    ):
        factor = protection.add_factor(
            assessment,
            documenter,
            {"kind": kind, "description": text, "date": long_ago.date(), "source": "Ella misma"},
        )
    request = protection.record_request(
        person,
        documenter,
        {"mechanism": "federal", "procedure": "extraordinary", "filed_at": long_ago,
         "file_number": "MPPDDHP/2026/0042", "outcome": "granted"},
    )  # fmt: skip
    measure = protection.record_measure(
        person,
        documenter,
        {"request": request, "category": "urgent", "kind": "panic_button",
         "granted_at": long_ago + datetime.timedelta(hours=2)},
    )  # fmt: skip
    raise_alerts_for(organization)
    return {
        "person": person,
        "contact": contact,
        "assessment": assessment,
        "factor": factor,
        "request": request,
        "measure": measure,
    }


@pytest.mark.layout
def test_protection_pages_pass_axe_and_fit_a_phone(live_server, browser):
    ensure_reference_data()
    load_demo_network()
    data = protection_data()
    base = f"/o/{SLUG}/protection"
    person = f"{base}/{data['person'].pk}"
    assessment = f"{person}/assessments/{data['assessment'].pk}"
    reader = "lectura@sierra-viva.example"
    documenter = "documentacion@sierra-viva.example"
    pages = [
        (reader, f"{base}/"),
        (reader, f"{person}/"),
        (reader, f"{assessment}/"),
        (reader, f"{base}/owed/"),
        (documenter, f"{base}/owed/"),
        (documenter, f"{base}/new/"),
        (documenter, f"{person}/"),
        (documenter, f"{person}/edit/"),
        (documenter, f"{person}/contacts/new/"),
        (documenter, f"{person}/contacts/{data['contact'].pk}/"),
        (documenter, f"{person}/assessments/new/"),
        (documenter, f"{assessment}/"),
        (documenter, f"{assessment}/edit/"),
        (documenter, f"{assessment}/factors/new/?kind=threat"),
        (documenter, f"{assessment}/factors/{data['factor'].pk}/"),
        (documenter, f"{person}/requests/new/"),
        (documenter, f"{person}/requests/{data['request'].pk}/"),
        (documenter, f"{person}/measures/new/"),
        (documenter, f"{person}/measures/{data['measure'].pk}/"),
    ]
    personas = Personas(browser, live_server)
    problems = []
    try:
        for language in LANGUAGES:
            for email, path in pages:
                page = personas.page(email, language)
                response = page.goto(f"{live_server.url}{path}")
                if response.status != 200 or not response.url.endswith(path):
                    problems.append(f"{path}: answered {response.status} at {response.url}")
                problems += problems_of(page, f"{language} {path}")
        for page in personas.contexts.values():
            assert page.external_requests == []
    finally:
        personas.close()
    assert not problems, "\n".join(problems)


def search_data() -> dict:
    """An ante-mortem file of a Sierra Viva victim with a part of every kind, a grave with a
    brigade day, and remains with a mark and a dental finding."""
    from memoria.search import actions as search
    from tests.web.cases_fixtures import case_data, term

    organization = Organization.objects.get(slug=SLUG)
    documenter = User.objects.get(email="documentacion@sierra-viva.example")
    event = actions.register_case(organization, documenter, case_data())
    person = actions.add_victim(
        event,
        documenter,
        {"given_names": "José Luis", "paternal_surname": "Ramírez", "sex": "male"},
        {"violation_type": term("violation_type", "enforced_disappearance")},
    ).victim
    file = search.open_file(
        person,
        documenter,
        {"last_seen_date": datetime.date(2019, 3, 14), "sex": "male", "stature_cm": 172,
         "circumstances": "Salió a trabajar y no regresó.", "clothing": "playera roja"},
    )  # fmt: skip
    mark = search.add_part(
        file,
        "mark",
        documenter,
        {"kind": "tattoo", "region": "forearm", "side": "right", "motif": "rosa", "text": "MARIA"},
    )
    contact = search.add_part(
        file,
        "contact",
        documenter,
        {"name": "Rosa", "relationship": "madre", "receives_news": True},
    )
    sample = search.add_part(
        file, "sample", documenter, {"donor": "Rosa", "held_by": "Fiscalía del Estado"}
    )
    other = Organization.objects.exclude(pk=organization.pk).first()
    consent = search.add_part(
        file, "consent", documenter, {"recipient": other, "parts": ["marks"], "given_by": "Rosa"}
    )
    site = search.record_site(
        organization,
        documenter,
        {"name": "Predio La Gallera", "kind": "clandestine_grave",
         "found_on": datetime.date(2021, 6, 2), "bodies": 3},
    )  # fmt: skip
    day = search.record_brigade_day(
        organization,
        documenter,
        {"date": datetime.date(2021, 6, 2), "site": site, "participants": "Lety, Juan",
         "findings": "Tres puntos positivos."},
    )  # fmt: skip
    remains = search.record_remains(
        organization,
        documenter,
        {"site": site, "found_on": datetime.date(2021, 6, 3), "sex_estimate": "male",
         "age_min": 20, "age_max": 30, "condition": "skeletonized"},
    )  # fmt: skip
    pm_mark = search.add_part(remains, "pm_mark", documenter, {"kind": "fracture", "region": "leg"})
    dental = search.add_part(remains, "dental", documenter, {"tooth": "21", "finding": "crown"})
    return {
        "file": file, "mark": mark, "contact": contact, "sample": sample, "consent": consent,
        "site": site, "day": day, "remains": remains, "pm_mark": pm_mark, "dental": dental,
    }  # fmt: skip


def review_candidate(data: dict):
    """The file and the remains of ``search_data`` as a possible match, ranked by the engine
    (the re-matching job the search actions queued), with one decision taken."""
    from memoria.search import review
    from memoria.search.models import Candidate

    drain()
    candidate = Candidate.objects.get(file=data["file"], remains=data["remains"])
    documenter = User.objects.get(email="documentacion@sierra-viva.example")
    return review.decide(candidate, documenter, "under_review", candidate.version)


@pytest.mark.layout
def test_search_pages_pass_axe_and_fit_a_phone(live_server, browser):
    ensure_reference_data()
    load_demo_network()
    data = search_data()
    candidate = review_candidate(data)
    base = f"/o/{SLUG}/search"
    file = f"{base}/files/{data['file'].pk}"
    site = f"{base}/sites/{data['site'].pk}"
    remains = f"{base}/remains/{data['remains'].pk}"
    reader = "lectura@sierra-viva.example"
    documenter = "documentacion@sierra-viva.example"
    pages = [
        (reader, f"{base}/"),
        (reader, f"{file}/"),
        (reader, f"{base}/sites/"),
        (reader, f"{site}/"),
        (reader, f"{base}/brigades/"),
        (reader, f"{base}/remains/"),
        (reader, f"{remains}/"),
        (documenter, f"{base}/files/new/"),
        (documenter, f"{file}/"),
        (documenter, f"{file}/edit/"),
        (documenter, f"{file}/marks/new/"),
        (documenter, f"{file}/marks/{data['mark'].pk}/"),
        (documenter, f"{file}/contacts/{data['contact'].pk}/"),
        (documenter, f"{file}/samples/{data['sample'].pk}/"),
        (documenter, f"{file}/consents/{data['consent'].pk}/"),
        (documenter, f"{file}/photos/new/"),
        (documenter, f"{base}/sites/new/"),
        (documenter, f"{site}/edit/"),
        (documenter, f"{base}/brigades/new/"),
        (documenter, f"{base}/brigades/{data['day'].pk}/"),
        (documenter, f"{base}/remains/new/"),
        (documenter, f"{remains}/"),
        (documenter, f"{remains}/edit/"),
        (documenter, f"{remains}/marks/{data['pm_mark'].pk}/"),
        (documenter, f"{remains}/dental/{data['dental'].pk}/"),
        (reader, f"{base}/review/"),
        (reader, f"{file}/candidates/"),
        (reader, f"{remains}/candidates/"),
        (reader, f"{base}/candidates/{candidate.pk}/"),
        (documenter, f"{base}/review/"),
        (documenter, f"{base}/candidates/{candidate.pk}/"),
    ]
    personas = Personas(browser, live_server)
    problems = []
    try:
        for language in LANGUAGES:
            for email, path in pages:
                page = personas.page(email, language)
                response = page.goto(f"{live_server.url}{path}")
                if response.status != 200 or not response.url.endswith(path):
                    problems.append(f"{path}: answered {response.status} at {response.url}")
                problems += problems_of(page, f"{language} {path}")
        for page in personas.contexts.values():
            assert page.external_requests == []
    finally:
        personas.close()
    assert not problems, "\n".join(problems)


def alerts_data() -> dict:
    """Sierra Viva's alert channels (one failing, with its log), a template and an urgent
    alert to an organization of the network and a channel, one delivery attempted."""
    import re

    from memoria.alerts import actions as alert_actions
    from memoria.alerts import engine

    ensure_reference_data()
    load_demo_network()
    organization = Organization.objects.get(slug=SLUG)
    coordinator = User.objects.get(email="coordinacion@sierra-viva.example")
    email = alert_actions.save_channel(
        organization,
        {"name": "Correo de guardia", "kind": "email", "config": {"address": "g@sv.example"}},
        actor=coordinator,
    )
    hook = alert_actions.save_channel(
        organization,
        {"name": "Bot de la red", "kind": "webhook",
         "config": {"url": "http://127.0.0.1:9/hook", "secret": "s" * 32}},
        actor=coordinator,
    )  # fmt: skip
    template = alert_actions.save_template(
        organization,
        {"name": "Amenaza", "language": "es-mx", "subject": "ACCIÓN URGENTE", "body": "Texto"},
    )
    partner = Organization.objects.exclude(pk=organization.pk).first()
    partner.contact_email = "contacto@red.example"
    partner.save()
    alert = alert_actions.send_urgent_alert(
        organization,
        subject="ACCIÓN URGENTE: amenaza a periodista",
        body="Pedimos escribir a la fiscalía del estado.",
        targets=[
            alert_actions.Target(
                "organization", partner.name, email, partner.contact_email, partner
            ),
            alert_actions.Target("channel", hook.name, hook),
        ],
        base_url="http://testserver/",
        actor=coordinator,
    )
    engine.send_due("browser-test")  # the webhook fails (nothing listens): its log has an error
    body = alert.recipients.first().delivery.body
    link = re.search(r"http://testserver(/alerts/received/\S+/)", body)[1]
    return {"hook": hook, "template": template, "alert": alert, "link": link}


@pytest.mark.layout
def test_the_alerts_pages_pass_axe_and_fit_a_phone(live_server, browser):
    data = alerts_data()
    base = f"/o/{SLUG}/alerts"
    reader = "lectura@sierra-viva.example"
    coordinator = "coordinacion@sierra-viva.example"
    pages = [
        (reader, f"{base}/"),
        (reader, f"{base}/{data['alert'].pk}/"),
        (coordinator, f"{base}/"),
        (coordinator, f"{base}/new/"),
        (coordinator, f"{base}/new/?template=threat"),
        (coordinator, f"{base}/templates/"),
        (coordinator, f"{base}/templates/new/"),
        (coordinator, f"{base}/templates/{data['template'].pk}/"),
        (coordinator, f"{base}/channels/"),
        (coordinator, f"{base}/channels/new/email/"),
        (coordinator, f"{base}/channels/new/webhook/"),
        (coordinator, f"{base}/channels/new/sms/"),
        (coordinator, f"{base}/channels/new/signal/"),
        (coordinator, f"{base}/channels/{data['hook'].pk}/"),
        (None, data["link"]),
    ]
    personas = Personas(browser, live_server)
    problems = []
    try:
        for language in LANGUAGES:
            for email, path in pages:
                page = personas.page(email, language)
                response = page.goto(f"{live_server.url}{path}")
                if response.status != 200 or not response.url.endswith(path):
                    problems.append(f"{path}: answered {response.status} at {response.url}")
                problems += problems_of(page, f"{language} {path}")
        # Acknowledging, then the page that thanks.
        page = personas.page(None, "es-mx")
        page.goto(f"{live_server.url}{data['link']}")
        page.get_by_role("button", name="Recibí la alerta").click()
        page.get_by_text("ya sabe que recibiste la alerta").wait_for()
        problems += problems_of(page, "acknowledged")
        for page in personas.contexts.values():
            assert page.external_requests == []
    finally:
        personas.close()
    assert not problems, "\n".join(problems)


def network_data() -> dict:
    """Sierra Viva refers one of its cases to Voces que Buscan, and receives one from it."""
    from memoria.network import actions as network

    organization = Organization.objects.get(slug=SLUG)
    other = Organization.objects.get(slug="voces-que-buscan")
    documenter = User.objects.get(email="documentacion@sierra-viva.example")
    their_documenter = User.objects.get(email="documentacion@voces-que-buscan.example")
    event = Event.objects.filter(organization=organization).order_by("number").first()
    sent = network.send_referral(
        organization,
        documenter,
        {"recipient": other, "capability": "search", "message": "La familia quiere buscar.",
         "event_fields": ["title", "state"], "follow_up_on": datetime.date(2026, 1, 5)},
        event=event,
    )  # fmt: skip
    theirs = Event.objects.filter(organization=other).order_by("number").first()
    received = network.send_referral(
        other,
        their_documenter,
        {"recipient": organization, "capability": "legal", "message": "Necesitan abogada.",
         "event_fields": ["title", "status"]},
        event=theirs,
    )  # fmt: skip
    from memoria.sharing import agreements

    coordinator = User.objects.get(email="coordinacion@sierra-viva.example")
    their_coordinator = User.objects.get(email="coordinacion@voces-que-buscan.example")
    terms = {"fields": {"cases.event": ["state", "status"]}, "purpose": "Búsqueda conjunta.",
             "valid_until": datetime.date(2099, 1, 1), "level": "pseudonymized"}  # fmt: skip
    ours = agreements.propose(organization, coordinator, {**terms, "partner": other})
    with_us = agreements.propose(other, their_coordinator, {**terms, "partner": organization})
    with_us = agreements.answer(with_us, coordinator, accept=True, version=1)
    # An agreement with an organization of another installation, and what it brought.
    import uuid

    from memoria.exchange import actions as exchange
    from memoria.exchange.bundle import Identity
    from memoria.exchange.models import ReceivedRecord

    keys = Identity.generate().public
    partner = exchange.add_partner("coalicion-norte", keys, keys.fingerprint)
    remote = exchange.add_agreement(organization, partner, direction="incoming",
                                    partner_organization="centro-norte", uuid=str(uuid.uuid4()),
                                    **terms)  # fmt: skip
    ReceivedRecord.objects.create(organization=organization, agreement=remote, kind="cases.event",
                                  source_id="42", fields=["state", "status"], sequence=1,
                                  content={"state": "Jalisco", "status": "open"})  # fmt: skip
    return {"event": event, "sent": sent, "received": received, "ours": ours, "with_us": with_us,
            "remote": remote}  # fmt: skip


@pytest.mark.layout
def test_network_pages_pass_axe_and_fit_a_phone(live_server, browser):
    ensure_reference_data()
    load_demo_network(cases=2)
    data = network_data()
    base = f"/o/{SLUG}/network"
    reader = "lectura@sierra-viva.example"
    documenter = "documentacion@sierra-viva.example"
    coordinator = "coordinacion@sierra-viva.example"
    pages = [
        (reader, f"{base}/"),
        (reader, f"{base}/?capability=search&state=14"),
        (reader, f"{base}/organizations/voces-que-buscan/"),
        (reader, f"{base}/referrals/"),
        (reader, f"{base}/referrals/report/"),
        (reader, f"{base}/referrals/{data['received'].pk}/"),
        (documenter, f"{base}/referrals/{data['sent'].pk}/"),
        (documenter, f"{base}/referrals/{data['received'].pk}/"),
        (documenter, f"{base}/referrals/new/case/{data['event'].pk}/"),
        (coordinator, f"{base}/profile/"),
        (reader, f"{base}/agreements/"),
        (reader, f"{base}/agreements/{data['with_us'].pk}/"),
        (coordinator, f"{base}/agreements/{data['ours'].pk}/"),
        (coordinator, f"{base}/agreements/new/"),
        (reader, f"{base}/agreements/remote/{data['remote'].pk}/"),
        (coordinator, f"{base}/agreements/remote/new/"),
    ]
    personas = Personas(browser, live_server)
    problems = []
    try:
        for language in LANGUAGES:
            for email, path in pages:
                page = personas.page(email, language)
                response = page.goto(f"{live_server.url}{path}")
                if response.status != 200 or not response.url.endswith(path):
                    problems.append(f"{path}: answered {response.status} at {response.url}")
                problems += problems_of(page, f"{language} {path}")
        for page in personas.contexts.values():
            assert page.external_requests == []
    finally:
        personas.close()
    assert not problems, "\n".join(problems)


@pytest.mark.layout
def test_the_report_pages_pass_axe_and_fit_a_phone(live_server, browser):
    from memoria.reports import actions as report_actions
    from memoria.reports.models import Report, ReportChannel
    from tests.web.reports_fixtures import receive

    ensure_reference_data()
    load_demo_network()
    organization = Organization.objects.get(slug=SLUG)
    # The demo opened it already (memoria.reports.demo); opened here all the same.
    ReportChannel.objects.update_or_create(organization=organization, defaults={"is_open": True})
    documenter = User.objects.get(email="documentacion@sierra-viva.example")
    waiting = receive(organization).report
    published = receive(organization, what="Otro reporte").report
    report_actions.verify(published, documenter, 1, public_summary="Agresión a una radio.")
    Report.objects.filter(pk=published.pk).update(
        decided_at=datetime.datetime(2026, 1, 5, tzinfo=datetime.UTC)
    )
    base = f"/o/{SLUG}/reports"
    reader = "lectura@sierra-viva.example"
    pages = [
        (None, f"/r/{SLUG}/"),
        (None, f"/r/{SLUG}/add/"),
        (None, f"/r/{SLUG}/incidents/"),
        (reader, f"{base}/"),
        (reader, f"{base}/{waiting.pk}/"),
        ("coordinacion@sierra-viva.example", f"{base}/"),
        ("documentacion@sierra-viva.example", f"{base}/{waiting.pk}/"),
        ("documentacion@sierra-viva.example", f"{base}/{published.pk}/"),
    ]
    personas = Personas(browser, live_server)
    problems = []
    try:
        for language in LANGUAGES:
            for email, path in pages:
                page = personas.page(email, language)
                response = page.goto(f"{live_server.url}{path}")
                if response.status != 200 or not response.url.endswith(path):
                    problems.append(f"{path}: answered {response.status} at {response.url}")
                problems += problems_of(page, f"{language} {path}")
        for page in personas.contexts.values():
            assert page.external_requests == []
    finally:
        personas.close()
    assert not problems, "\n".join(problems)

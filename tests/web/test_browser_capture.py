"""A documenter records testimonies on a phone with the network cut, and sends them once.

Chromium on a phone-sized page: the capture page is opened once online (its
service worker keeps it), then the network is cut; two drafts are recorded,
the page is reloaded while offline (the service worker serves it), the
browser's storage is searched for the testimonies in clear (none), the network
returns, the member unlocks and sends. The first answer is lost on the way
back, as on a bad connection (the drafts are put back on the phone as they
were): sent again, the server holds each testimony exactly once.
"""

from __future__ import annotations

import pytest

from memoria.accounts.models import Organization
from memoria.accounts.roles import Role
from memoria.capture.models import CapturedTestimony
from memoria.cases.models import Event, Source
from tests.web.base import TwoFactorClient, ensure_reference_data, make_member
from tests.web.conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSPHRASE = "la caravana sigue al amanecer"  # noqa: S105
DRAFTS = [
    (
        "Desaparición en el crucero",
        "Mi hijo Eleuterio fue detenido por una patrulla en el crucero de San Blas.",
    ),
    (
        "Fosa en el rancho",
        "La brigada de Remedios encontró restos junto al pozo del rancho Las Ánimas.",
    ),
]
# The whole browser storage, with every byte buffer read as text too (UTF-8 and Latin-1).
STORAGE = """async () => {
  const text = (buffer) => {
    const bytes = new Uint8Array(buffer.buffer || buffer);
    return new TextDecoder().decode(bytes) + String.fromCharCode(...bytes);
  };
  const dump = (value) => {
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return text(value);
    if (value && typeof value === "object") return Object.values(value).map(dump).join(" ");
    return String(value);
  };
  const out = [];
  let sealed = 0;
  for (const info of await indexedDB.databases()) {
    const db = await new Promise((ok, no) => {
      const r = indexedDB.open(info.name); r.onsuccess = () => ok(r.result); r.onerror = no;
    });
    for (const name of db.objectStoreNames) {
      const all = await new Promise((ok) => {
        const r = db.transaction(name).objectStore(name).getAll(); r.onsuccess = () => ok(r.result);
      });
      for (const record of all) {
        out.push(dump(record));
        if (name === "drafts" && record.data instanceof ArrayBuffer) sealed += 1;
      }
    }
    db.close();
  }
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) out.push(await (await cache.match(request)).text());
  }
  out.push(JSON.stringify(localStorage), JSON.stringify(sessionStorage));
  return {text: out.join("\\n"), sealed};
}"""


DRAFTS_STORE = """(mode, work) => new Promise((ok, no) => {
  const r = indexedDB.open("memoria-capture-caravana");
  r.onsuccess = () => {
    const tx = r.result.transaction("drafts", mode);
    const result = work(tx.objectStore("drafts"));
    tx.oncomplete = () => { r.result.close(); ok(result.result); };
    tx.onerror = no;
  };
  r.onerror = no;
})"""
KEEP = f"""async () => {{
  window.keptDrafts = await ({DRAFTS_STORE})("readonly", (s) => s.getAll());
}}"""
PUT_BACK = f"""async () => {{
  for (const record of window.keptDrafts) {{
    await ({DRAFTS_STORE})("readwrite", (s) => s.put(record));
  }}
  return await ({DRAFTS_STORE})("readonly", (s) => s.count());
}}"""


def test_a_documenter_captures_offline_and_each_testimony_arrives_once(live_server, browser):
    ensure_reference_data()
    org = Organization.objects.create(
        name="Caravana por la Paz", slug="caravana", kind=Organization.Kind.VICTIMS_COLLECTIVE
    )
    documenter = make_member(org, "doc@caravana.example", Role.DOCUMENTER, "Dalia Documentadora")
    client = TwoFactorClient()
    client.force_login(documenter)
    context = browser.new_context(viewport=PHONE, locale="es-MX")
    session = client.cookies["sessionid"].value
    context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    page = context.new_page()
    external = []
    page.on(
        "request",
        lambda r: None if r.url.startswith(("http://localhost", "data:")) else external.append(r),
    )
    try:
        page.goto(f"{live_server.url}/o/caravana/capture/")
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        # First use on this phone: the member chooses a passphrase.
        page.get_by_label("Frase de acceso", exact=True).fill(PASSPHRASE)
        page.get_by_label("Frase de acceso otra vez").fill(PASSPHRASE)
        page.get_by_role("button", name="Desbloquear").click()
        page.get_by_role("heading", name="Nuevo testimonio").wait_for()

        context.set_offline(True)
        page.locator("#connection", has_text="Sin conexión").wait_for()
        for number, (title, testimony) in enumerate(DRAFTS, start=1):
            page.get_by_label("Título breve", exact=True).fill(title)
            page.get_by_label("Testimonio", exact=True).fill(testimony)
            page.get_by_label("Estado", exact=True).select_option(label="Nayarit")
            page.get_by_role("button", name="Guardar el borrador en este teléfono").click()
            page.get_by_text(f"Borradores en este teléfono: {number}").wait_for()
        # The network is really cut, for the page and for its service worker.
        token = "() => fetch('/o/caravana/capture/token/').then(() => 'reached', () => 'failed')"
        assert page.evaluate(token) == "failed"

        # Reloaded offline: the service worker serves the page and its files; locked again.
        response = page.reload()
        assert response is not None and response.from_service_worker
        page.locator("main[data-ready=true]").wait_for()
        page.get_by_text("Borradores en este teléfono: 2").wait_for()
        assert page.get_by_role("button", name="Desbloquear").is_visible()
        assert not page.get_by_role("heading", name="Nuevo testimonio").is_visible()
        stored = page.evaluate(STORAGE)
        assert stored["sealed"] == 2
        for title, testimony in DRAFTS:
            for secret in (title, testimony, "Eleuterio", "Remedios", "San Blas"):
                assert secret not in stored["text"]
        assert PASSPHRASE not in stored["text"]
        assert Event.objects.count() == 0

        # The connection returns: unlock and send.
        context.set_offline(False)
        page.locator("#connection", has_text="Con conexión").wait_for()
        page.get_by_label("Frase de acceso", exact=True).fill(PASSPHRASE)
        page.get_by_role("button", name="Desbloquear").click()
        page.get_by_text(DRAFTS[1][0]).wait_for()
        # Keep a copy of the encrypted drafts as they are before sending: putting them
        # back afterwards is a phone whose answers were lost on the way back.
        page.evaluate(KEEP)
        page.get_by_role("button", name="Enviar los borradores").click()
        page.get_by_text("Borradores en este teléfono: 0").wait_for()
        assert page.get_by_text("Enviado: caso").count() == 2
        assert Event.objects.filter(organization=org).count() == 2
        assert page.evaluate(PUT_BACK) == 2
        page.get_by_role("button", name="Enviar los borradores").click()
        page.get_by_text("Ya se había recibido").nth(1).wait_for()
        assert page.get_by_text("Ya se había recibido").count() == 2
        page.get_by_text("Borradores en este teléfono: 0").wait_for()
        # Sending again has nothing left to send.
        page.get_by_role("button", name="Enviar los borradores").click()
        page.get_by_text("No hay borradores que enviar").wait_for()

        assert Event.objects.filter(organization=org).count() == 2
        assert CapturedTestimony.objects.filter(organization=org).count() == 2
        summaries = sorted(source.summary for source in Source.objects.filter(organization=org))
        assert summaries == sorted(testimony for _title, testimony in DRAFTS)
        titles = sorted(event.title for event in Event.objects.filter(organization=org))
        assert titles == sorted(title for title, _testimony in DRAFTS)
        assert {event.state_id for event in Event.objects.all()} == {"18"}
        assert external == []
    finally:
        context.close()

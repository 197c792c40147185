"""The demo's record linkage: four fictional lists of one organization, linked by the worker.

The lists come from the project's generator (``memoria.linkage.synthetic``): a
prosecutor's list, a collective's spreadsheet, a press list and a registry,
of fictional people, with the errors real lists carry. They are uploaded and
mapped through the actions, as an analyst would, and a linkage run over them is
queued: the worker that ``memoria serve`` starts links them within seconds, so
a newcomer finds a review queue and can estimate from it.
"""

from __future__ import annotations

import io

from memoria.accounts.demo import demo_member
from memoria.accounts.models import Organization
from memoria.accounts.roles import Role
from memoria.analysis import actions
from memoria.analysis.models import LinkageList, LinkageRun
from memoria.analysis.sources import guess_list_mapping
from memoria.cases.io.readers import read_table

DEMO_LINKAGE_ORGANIZATION = "sierra-viva"
DEMO_PEOPLE = 300
DEMO_SEED = 2026
# Each generated source, and the name its list has in the demo.
DEMO_LISTS = {
    "fiscalia": "Fiscalía (lista ficticia de demostración)",
    "colectivo": "Colectivo de familias (lista ficticia de demostración)",
    "prensa": "Notas de prensa (lista ficticia de demostración)",
    "registro": "Registro nacional (lista ficticia de demostración)",
}


def load_demo_linkage() -> LinkageRun | None:
    """Upload and map the demo lists and queue their linkage; None if already there."""
    from memoria.linkage.synthetic import generate_lists  # pandas: only when the demo loads

    organization = Organization.objects.filter(slug=DEMO_LINKAGE_ORGANIZATION, is_demo=True).first()
    if organization is None or LinkageList.objects.filter(organization=organization).exists():
        return None
    analyst = demo_member(organization, Role.ANALYST)
    generated = generate_lists(DEMO_PEOPLE, seed=DEMO_SEED)
    lists = []
    for source, name in DEMO_LISTS.items():
        buffer = io.StringIO()
        generated.sources[source].drop(columns=["person_id"]).to_csv(buffer, index=False)
        table = read_table(buffer.getvalue().encode(), f"{source}.csv")
        linkage_list = actions.upload_list(organization, analyst, name, table)
        actions.set_list_mapping(linkage_list, analyst, guess_list_mapping(table.headers))
        lists.append(linkage_list)
    return actions.start_run(organization, analyst, False, lists, "demo-linkage", "es-mx")

"""The demo network's anonymous reports (fictional, like the organizations).

``sierra-viva`` opens its reporting form, and seven invented reports arrive
through the public action, as if sent from the form: two still wait for
moderation, five were verified with a summary for the public. They were
received and decided days ago, so the public feed shows the verified ones at
once, after the publication delay (``MEMORIA_REPORTS_PUBLISH_DELAY_HOURS``).
The five come from one municipality: the feed and the map name a place only
where it has at least k incidents (5 unless the site says otherwise), and
fewer would leave both empty.

Idempotent: an organization that already has reports is left alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from memoria.accounts.demo import demo_member
from memoria.accounts.models import Organization
from memoria.accounts.roles import Role
from memoria.cases.models import DatePrecision, Term
from memoria.places.models import Municipality, State
from memoria.reports import actions
from memoria.reports.feed import publish_delay
from memoria.reports.models import Report

DEMO_REPORTS_ORGANIZATION = "sierra-viva"


@dataclass(frozen=True)
class DemoReport:
    what: str
    occurred_before: int  # it happened this many days before it was received
    precision: str
    place: tuple[str, str]  # state code, municipality cvegeo ("" for the state only)
    violation: str
    days_ago: int  # received this many days before the load
    public_summary: str = ""  # verified when set


DEMO_REPORTS = (
    DemoReport(
        what="Anoche se llevaron a un muchacho de la comunidad, unos hombres armados en una "
        "camioneta blanca. Su familia tiene miedo de denunciar. (Reporte ficticio de la "
        "demostración.)",
        occurred_before=3,
        precision=DatePrecision.DAY,
        place=("08", "08027"),
        violation="disappearance_private",
        days_ago=40,
        public_summary="Desaparición de un joven en una comunidad de la sierra, a manos de "
        "un grupo armado. Ficticio.",
    ),
    DemoReport(
        what="Desde hace dos semanas pasan camionetas por el ejido y dicen que las familias "
        "tienen que irse. Ya se fueron varias. (Reporte ficticio.)",
        occurred_before=15,
        precision=DatePrecision.MONTH,
        place=("08", "08027"),
        violation="forced_displacement",
        days_ago=32,
        public_summary="Familias de un ejido dejan sus casas tras amenazas de un grupo armado. "
        "Ficticio.",
    ),
    DemoReport(
        what="Policías municipales detuvieron a mi vecino afuera de su casa y en la "
        "comandancia dicen que no lo tienen. (Reporte ficticio.)",
        occurred_before=2,
        precision=DatePrecision.DAY,
        place=("08", "08027"),
        violation="enforced_disappearance",
        days_ago=20,
        public_summary="Un hombre detenido por policías municipales, cuyo paradero las "
        "autoridades niegan conocer. Ficticio.",
    ),
    DemoReport(
        what="Quemaron la casa de una familia que había denunciado la desaparición de su "
        "hijo. (Reporte ficticio.)",
        occurred_before=4,
        precision=DatePrecision.DAY,
        place=("08", "08027"),
        violation="threat",
        days_ago=16,
        public_summary="Incendian la casa de una familia que denunció una desaparición. Ficticio.",
    ),
    DemoReport(
        what="Unos hombres armados golpearon a un maestro de la comunidad frente a sus "
        "alumnos y le dijeron que se fuera. (Reporte ficticio.)",
        occurred_before=6,
        precision=DatePrecision.MONTH,
        place=("08", "08027"),
        violation="threat",
        days_ago=12,
        public_summary="Agreden y amenazan a un maestro frente a su grupo. Ficticio.",
    ),
    DemoReport(
        what="Amenazaron a la señora que busca a su hijo: le dejaron un recado en la puerta "
        "para que deje de buscar. (Reporte ficticio.)",
        occurred_before=1,
        precision=DatePrecision.DAY,
        place=("08", "08017"),
        violation="threat",
        days_ago=6,
    ),
    DemoReport(
        what="Encontraron ropa y unas credenciales en un arroyo cerca del camino. Nadie "
        "ha ido a revisar. (Reporte ficticio.)",
        occurred_before=20,
        precision=DatePrecision.MONTH,
        place=("08", ""),
        violation="other",
        days_ago=3,
    ),
)


def load_demo_reports() -> int:
    """Open the form of ``sierra-viva`` and receive its demo reports; return how many."""
    organization = Organization.objects.filter(slug=DEMO_REPORTS_ORGANIZATION, is_demo=True).first()
    if organization is None or Report.objects.filter(organization=organization).exists():
        return 0
    coordinator = demo_member(organization, Role.COORDINATOR)
    documenter = demo_member(organization, Role.DOCUMENTER) or coordinator
    actions.set_channel(organization, coordinator, True)
    now = timezone.now()
    for spec in DEMO_REPORTS:
        state_code, cvegeo = spec.place
        received = now - dt.timedelta(days=spec.days_ago)
        # Never a contact: a demo report names no one who could be reached.
        receipt = actions.receive_report(
            organization,
            {
                "what": spec.what,
                "occurred_on": timezone.localdate(received)
                - dt.timedelta(days=spec.occurred_before),
                "occurred_precision": spec.precision,
                "state": State.objects.filter(code=state_code).first(),
                "municipality": Municipality.objects.filter(cvegeo=cvegeo).first()
                if cvegeo
                else None,
                "violation_type": Term.objects.filter(
                    vocabulary__code="violation_type", code=spec.violation, organization=None
                ).first(),
            },
        )
        report = receipt.report
        if spec.public_summary:
            report = actions.verify(
                report, documenter, report.version, public_summary=spec.public_summary
            )
        # The actions stamp today; the demo's reports arrived and were decided days ago
        # (dates in clear, like every report's), so the feed is past its delay.
        decided = received + dt.timedelta(days=2) if spec.public_summary else None
        if decided is not None:
            decided = min(decided, now - publish_delay() - dt.timedelta(hours=1))
        Report.objects.filter(pk=report.pk).update(
            received_on=timezone.localdate(received),
            **({"decided_at": decided} if decided else {}),
        )
    return len(DEMO_REPORTS)

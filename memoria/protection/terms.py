"""Legal terms and review intervals, as data.

The terms come from the Ley para la Protección de Personas Defensoras de
Derechos Humanos y Periodistas (DOF 25-06-2012) and its regulation (DOF
30-11-2012), as docs/protection.md reads them; an installation changes them
with ``settings.MEMORIA_PROTECTION_TERMS`` (``{code: {"hours": n}}`` or
``{"days": n}``) without touching code, e.g. for a state law with other terms.

How often a risk assessment must be reviewed follows its level:
``settings.MEMORIA_PROTECTION_REVIEW_DAYS`` (``{level: days}``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from memoria.protection.models import Level


@dataclass(frozen=True)
class LegalTerm:
    code: str
    label: str
    basis: str
    hours: int = 0
    days: int = 0

    @property
    def delta(self) -> datetime.timedelta:
        return datetime.timedelta(hours=self.hours, days=self.days)

    def with_override(self, override: dict) -> LegalTerm:
        return LegalTerm(
            self.code,
            self.label,
            self.basis,
            hours=int(override.get("hours", 0)),
            days=int(override.get("days", 0)),
        )


# Extraordinary procedure: the Unidad de Recepción de Casos y Reacción Rápida
# issues urgent measures within 3 hours of the request and implements them
# within 9 hours of issuing them. Ordinary procedure: the risk study within 10
# calendar days, the Junta de Gobierno decides, and measures are implemented
# within 30 calendar days of being granted. Review of measures: the regulation
# asks for periodic review; six months is this platform's default.
URGENT_MEASURES = "urgent_measures"
URGENT_IMPLEMENTATION = "urgent_implementation"
ORDINARY_DECISION = "ordinary_decision"
IMPLEMENTATION = "implementation"
MEASURE_REVIEW = "measure_review"

DEFAULT_TERMS = (
    LegalTerm(
        URGENT_MEASURES,
        _("Urgent measures issued after an extraordinary request"),
        _("Law, art. 27, section I: within 3 hours"),
        hours=3,
    ),
    LegalTerm(
        URGENT_IMPLEMENTATION,
        _("Urgent measures implemented"),
        _("Law, art. 27, section II: within 9 hours of being issued"),
        hours=9,
    ),
    LegalTerm(
        ORDINARY_DECISION,
        _("Decision on an ordinary request"),
        _("Law, arts. 29 and 31: risk study within 10 days, then the Governing Board decides"),
        days=30,
    ),
    LegalTerm(
        IMPLEMENTATION,
        _("Protection and preventive measures implemented"),
        _("Law, art. 31: within 30 calendar days of being granted"),
        days=30,
    ),
    LegalTerm(
        MEASURE_REVIEW,
        _("Measures reviewed"),
        _("Regulation: periodic review; six months by default"),
        days=180,
    ),
)

DEFAULT_REVIEW_DAYS = {
    Level.EXTREME: 7,
    Level.HIGH: 30,
    Level.MEDIUM: 90,
    Level.LOW: 180,
}


def legal_terms() -> dict[str, LegalTerm]:
    overrides = getattr(settings, "MEMORIA_PROTECTION_TERMS", {}) or {}
    terms = {}
    for term in DEFAULT_TERMS:
        override = overrides.get(term.code)
        terms[term.code] = term.with_override(override) if override else term
    return terms


def term(code: str) -> LegalTerm:
    return legal_terms()[code]


def review_days(level: str) -> int:
    configured = getattr(settings, "MEMORIA_PROTECTION_REVIEW_DAYS", {}) or {}
    return int(configured.get(level, DEFAULT_REVIEW_DAYS[Level(level)]))


def review_due(assessed_on: datetime.date, level: str) -> datetime.date:
    """The date by which an assessment of ``level`` made on ``assessed_on`` is reviewed."""
    return assessed_on + datetime.timedelta(days=review_days(level))


def implementation_deadline(category: str, granted_at: datetime.datetime) -> datetime.datetime:
    """The legal deadline to implement a measure of ``category`` granted at ``granted_at``."""
    code = URGENT_IMPLEMENTATION if category == "urgent" else IMPLEMENTATION
    return granted_at + term(code).delta


def measure_review_date(granted_at: datetime.datetime) -> datetime.date:
    return (granted_at + term(MEASURE_REVIEW).delta).date()

"""The network's shared controlled vocabularies, loaded by a data migration.

Each entry is ``(code, Spanish label, English label)``; perpetrator kinds add
whether the kind is a state agent. Codes are stable identifiers used by
imports, exports and statistics; labels may be edited. Organizations add their
own terms at /o/<slug>/vocabularies/.
"""

from __future__ import annotations

VOCABULARIES: dict[str, tuple[str, str, list[tuple]]] = {
    "violation_type": (
        "Tipo de violación",
        "Violation type",
        [
            (
                "enforced_disappearance",
                "Desaparición forzada (por agentes del Estado)",
                "Enforced disappearance (by state agents)",
            ),
            (
                "disappearance_private",
                "Desaparición cometida por particulares",
                "Disappearance by private persons",
            ),
            ("extrajudicial_execution", "Ejecución extrajudicial", "Extrajudicial execution"),
            ("homicide", "Homicidio", "Homicide"),
            ("femicide", "Feminicidio", "Femicide"),
            ("torture", "Tortura", "Torture"),
            (
                "cruel_treatment",
                "Tratos crueles, inhumanos o degradantes",
                "Cruel, inhuman or degrading treatment",
            ),
            ("arbitrary_detention", "Detención arbitraria", "Arbitrary detention"),
            ("kidnapping", "Secuestro", "Kidnapping"),
            ("extortion", "Extorsión", "Extortion"),
            ("threat", "Amenaza", "Threat"),
            ("harassment", "Hostigamiento", "Harassment"),
            (
                "attack_journalist_defender",
                "Agresión a periodista o persona defensora",
                "Attack on a journalist or defender",
            ),
            ("forced_displacement", "Desplazamiento forzado", "Forced displacement"),
            ("sexual_violence", "Violencia sexual", "Sexual violence"),
            ("other", "Otra", "Other"),
        ],
    ),
    "victim_situation": (
        "Situación de la víctima",
        "Situation of the victim afterwards",
        [
            ("still_missing", "Sigue desaparecida", "Still missing"),
            ("found_alive", "Localizada con vida", "Found alive"),
            ("found_dead", "Localizada sin vida", "Found dead"),
            ("released", "Liberada", "Released"),
            ("detained", "Detenida o procesada", "Detained or prosecuted"),
            ("displaced", "Desplazada", "Displaced"),
            ("injured", "Lesionada", "Injured"),
            ("dead", "Fallecida", "Dead"),
            ("unknown", "Se desconoce", "Unknown"),
        ],
    ),
    "perpetrator_kind": (
        "Tipo de perpetrador",
        "Perpetrator kind",
        [
            ("municipal_police", "Policía municipal", "Municipal police", True),
            ("state_police", "Policía estatal", "State police", True),
            ("federal_police", "Policía federal", "Federal police", True),
            ("national_guard", "Guardia Nacional", "National Guard", True),
            ("army", "Ejército", "Army", True),
            ("navy", "Marina", "Navy", True),
            ("prosecutor", "Fiscalía o ministerio público", "Prosecutor's office", True),
            ("migration_authority", "Instituto Nacional de Migración", "Migration authority", True),
            ("other_official", "Otra persona servidora pública", "Other public official", True),
            ("organized_crime", "Grupo del crimen organizado", "Organized-crime group", False),
            ("private_person", "Particular", "Private person", False),
            ("unknown", "Se desconoce", "Unknown", False),
        ],
    ),
    "attribution_basis": (
        "Cómo se sabe",
        "How the attribution is known",
        [
            ("witnessed", "Testigos presenciales", "Witnessed"),
            ("alleged_by_family", "Señalado por la familia", "Alleged by the family"),
            ("official_finding", "Determinación oficial", "Official finding"),
            ("press", "Prensa", "Press"),
            ("other", "Otra", "Other"),
        ],
    ),
    "source_kind": (
        "Tipo de fuente",
        "Source kind",
        [
            ("testimony", "Testimonio", "Testimony"),
            ("press", "Nota de prensa", "Press"),
            ("official_document", "Documento oficial", "Official document"),
            ("ngo_report", "Informe de organización civil", "NGO report"),
            ("social_media", "Redes sociales", "Social media"),
            ("court_record", "Expediente judicial", "Court record"),
            ("other", "Otra", "Other"),
        ],
    ),
    "relationship": (
        "Parentesco",
        "Relationship",
        [
            ("mother", "Madre", "Mother"),
            ("father", "Padre", "Father"),
            ("spouse", "Cónyuge o pareja", "Spouse or partner"),
            ("daughter", "Hija", "Daughter"),
            ("son", "Hijo", "Son"),
            ("sister", "Hermana", "Sister"),
            ("brother", "Hermano", "Brother"),
            ("grandparent", "Abuela o abuelo", "Grandparent"),
            ("grandchild", "Nieta o nieto", "Grandchild"),
            ("other_relative", "Otro familiar", "Other relative"),
            ("dependant", "Dependiente económico", "Dependant"),
        ],
    ),
    "intervention_kind": (
        "Tipo de intervención",
        "Intervention kind",
        [
            (
                "complaint_prosecutor",
                "Denuncia ante la fiscalía",
                "Complaint to the prosecutor's office",
            ),
            (
                "complaint_cndh",
                "Queja ante la CNDH",
                "Complaint to the National Human Rights Commission",
            ),
            (
                "complaint_state_commission",
                "Queja ante la comisión estatal de derechos humanos",
                "Complaint to the state human-rights commission",
            ),
            (
                "search_report",
                "Reporte ante la comisión de búsqueda",
                "Report to the search commission",
            ),
            ("amparo", "Amparo", "Amparo lawsuit"),
            (
                "protection_mechanism",
                "Solicitud al mecanismo de protección",
                "Request to the protection mechanism",
            ),
            (
                "victims_commission",
                "Registro ante la comisión de atención a víctimas",
                "Registration with the victims' commission",
            ),
            ("referral", "Canalización a otra organización", "Referral to another organization"),
            ("accompaniment", "Acompañamiento", "Accompaniment"),
            ("other", "Otra", "Other"),
        ],
    ),
    "event_tag": (
        "Etiquetas",
        "Tags",
        [
            ("mass_grave", "Fosa clandestina", "Clandestine grave"),
            ("caravan", "Caravana", "Caravan"),
            ("urgent", "Urgente", "Urgent"),
        ],
    ),
}


def load_vocabularies(vocabulary_model, term_model) -> None:
    """Create or update the shared vocabularies and terms (used by migrations)."""
    for position, (code, (name_es, name_en, terms)) in enumerate(VOCABULARIES.items()):
        vocabulary, _ = vocabulary_model.objects.update_or_create(
            code=code, defaults={"name_es": name_es, "name_en": name_en, "position": position}
        )
        for term_position, entry in enumerate(terms):
            term_code, label_es, label_en = entry[:3]
            state_actor = entry[3] if len(entry) > 3 else False
            term_model.objects.update_or_create(
                vocabulary=vocabulary,
                organization=None,
                code=term_code,
                defaults={
                    "label_es": label_es,
                    "label_en": label_en,
                    "position": term_position * 10,
                    "state_actor": state_actor,
                },
            )

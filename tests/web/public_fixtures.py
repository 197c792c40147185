"""A small organization with cases worked out by hand for the public site's tests.

Cases counted in public (every person allows aggregate use), by state and year:

                 2020  2021  total
    Chihuahua      6     5     11
    Guerrero       2     7      9
    total          8    12     20

Guerrero 2020 (2) is below k = 5; the other three cells are withheld so that it
cannot be worked out from the totals (``memoria.disclosure``). Cases kept out:
three in Guerrero 2020 with a private victim (they would make that cell 5), and
one in Chihuahua 2020 with an aggregate and a private victim. Victims by sex:
16 women and 4 men, so the 16 is withheld with the 4.
"""

from __future__ import annotations

import datetime

from memoria.places.models import Municipality, State
from memoria.public import actions as public_actions
from memoria.public.models import Section
from tests.web.cases_fixtures import CaseFixtures

PRIVATE_NAME = ("Rosalinda", "Privadísima", "Secreta")
NO_CONSENT_NAME = ("Pedro", "Sinconsentimiento", "Oculto")
MEMORIAL_NAME = ("Juana", "Recordada", "Consentida")
TESTIMONY = "Testimonio que nunca debe publicarse"

# (state, municipality, year, cases)
COUNTED = [
    ("08", "08017", 2020, 6),
    ("08", "08017", 2021, 5),
    ("12", "12001", 2020, 2),
    ("12", "12001", 2021, 7),
]


class PublicFixtures(CaseFixtures):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        make = cls.make_case.__get__(cls)
        add = cls.add_victim.__get__(cls)
        places = {
            code: (State.objects.get(code=code[:2]), Municipality.objects.get(cvegeo=code))
            for code in ("08017", "12001")
        }
        n = 0
        for _state, municipality, year, count in COUNTED:
            for i in range(count):
                n += 1
                event = make(
                    start_date=datetime.date(year, 1 + i % 12, 10),
                    state=places[municipality][0],
                    municipality=places[municipality][1],
                )
                if n == 1:  # the memorial: consent recorded
                    cls.memorial_act = add(
                        event,
                        "enforced_disappearance",
                        "army",
                        given_names=MEMORIAL_NAME[0],
                        paternal_surname=MEMORIAL_NAME[1],
                        maternal_surname=MEMORIAL_NAME[2],
                        sex="female",
                        age=34,
                        visibility="memorial",
                        consent_recorded=True,
                    )
                    cls.memorial_act.description = TESTIMONY
                    cls.memorial_act.save()
                    continue
                add(
                    event,
                    "homicide" if i % 2 else "enforced_disappearance",
                    "organized_crime",
                    given_names="Aurora",
                    paternal_surname=f"Agregada{n}",
                    sex="female" if n % 5 else "male",
                    age=20 + n,
                    visibility="aggregate",
                )
        state, municipality = places["12001"]
        for i in range(3):  # kept out: a private victim
            event = make(
                start_date=datetime.date(2020, 3 + i, 1), state=state, municipality=municipality
            )
            add(
                event,
                given_names=PRIVATE_NAME[0],
                paternal_surname=PRIVATE_NAME[1],
                maternal_surname=PRIVATE_NAME[2],
                sex="female",
                visibility="private",
            )
        state, municipality = places["08017"]
        mixed = make(start_date=datetime.date(2020, 7, 1), state=state, municipality=municipality)
        add(
            mixed,
            given_names="Aurora",
            paternal_surname="Mezclada",
            sex="male",
            visibility="aggregate",
        )
        # Asked for the memorial without consent: the actions keep them private.
        add(
            mixed,
            given_names=NO_CONSENT_NAME[0],
            paternal_surname=NO_CONSENT_NAME[1],
            maternal_surname=NO_CONSENT_NAME[2],
            visibility="memorial",
        )

    def publish(self, **changes):
        publication = public_actions.publication_of(self.org)
        data = {
            "published": True,
            "sections": [s.value for s in Section],
            "start_year": None,
            "end_year": None,
            "threshold": 5,
            "licence": "",
            "memorial": True,
            **changes,
        }
        return public_actions.save_publication(
            self.org, self.coordinator, data, publication.version
        )

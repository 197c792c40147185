"""Records of one person whose every name was garbled in one list.

Typists and scanners misspell given name and surnames alike ("Joge Vergra
Gnozalez"): no phonetic key or first letter of a name agrees, and no
blocking rule on names brings such a pair to the model. Identifiers that are
copied rather than spelled still agree: a full birth date, the day of the
event and the municipality, one surname with the month and the state. The
blocking rules on them bring the pair to the model, which weighs the
agreements and the misspellings.
"""

import pytest

from memoria.linkage import link_records
from memoria.linkage.synthetic import generate_lists

from .conftest import cases_frame
from .helpers import cluster_of

# id, given, paternal, maternal, sex, birth_date, age, event_date, state, municipality
CLEAN = [
    ("bday.1", "Jorge", "Vergara", "González", "M", "1990-06-27", "", "2013-06-01", "30", "30001"),
    (
        "mat.1",
        "Elizabeth",
        "Ramírez",
        "Urrutia",
        "F",
        "1975-02-24",
        "",
        "2014-06-09",
        "16",
        "16008",
    ),
    ("day.1", "Enrique", "Collazo", "Aguilar", "M", "2013-11-04", "", "2024-05-19", "15", "15001"),
    (
        "pat.1",
        "José Francisco",
        "López",
        "Sánchez",
        "M",
        "1984-02-11",
        "",
        "2024-10-04",
        "16",
        "16001",
    ),
]
GARBLED = [
    # Every name misspelled; the same birth date, the same state.
    ("bday.2", "Joge", "Vergra", "Gnozalez", "M", "1990-06-27", "", "2013-06-01", "30", ""),
    # Given name and paternal surname misspelled, the event date as a month.
    ("mat.2", "Elizaeth", "Raimrez", "Urrutia", "F", "", "39", "2014-06", "16", "16008"),
    # Given name misspelled, the only surname too; the same day and place.
    ("day.2", "Enriqeu", "Collao", "", "M", "", "10", "2024-05-19", "15", "15001"),
    # The second given name's nickname, no maternal surname, the event two
    # weeks apart in the same month and town.
    ("pat.2", "Panchito", "López", "", "M", "", "", "2024-10-19", "16", "16001"),
]


@pytest.fixture(scope="module")
def linked():
    background = generate_lists(600, seed=5).sources
    sources = {**background, "limpia": cases_frame(CLEAN), "tecleada": cases_frame(GARBLED)}
    return link_records(sources, seed=1)


@pytest.mark.parametrize("person", ["bday", "mat", "day", "pat"])
def test_the_two_records_are_one_person(linked, person):
    assert cluster_of(linked, "limpia", f"{person}.1") == cluster_of(
        linked, "tecleada", f"{person}.2"
    )

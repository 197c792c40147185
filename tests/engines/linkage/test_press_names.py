"""Press lists' one-column names that were read wrong, and a press habit.

An initial with a full stop ("Sergio E. Esparza Matías") was taken for the
joiner of "Ortega e Ibarra", and the surname "de la O" for a second given
name (its head is one letter, like an initial). A press note that gives one
surname often gives the maternal one ("Alfredo García" for Alfredo Flores
García): that is its own comparison level, stronger evidence than a surname
merely found in the other position. And a note that drops the maternal
surname of a name whose middle word is a given name and a surname ("Juan
Ángel Jiménez" for Juan Ángel | Jiménez | Negrete) has the name words of the
other's given names and paternal surname.
"""

from collections import Counter

import pandas as pd
import pytest

from memoria.linkage import link_records
from memoria.linkage.features import read_names
from memoria.linkage.schema import read_source
from memoria.linkage.synthetic import generate_lists
from memoria.names import PersonName
from memoria.names.order import NameEvidence
from memoria.names.phonetic import phonetic_word

from .conftest import cases_frame
from .helpers import cluster_of

FISCALIA = [
    (
        "e.1",
        "SERGIO EDUARDO",
        "ESPARZA",
        "MATIAS",
        "H",
        "1981-02-10",
        "",
        "2019-02-12",
        "32",
        "32015",
    ),
    ("o.1", "SOLEDAD", "DE LA O", "GARCIA", "M", "1991-02-22", "", "2023-10-24", "10", "10001"),
    ("m.1", "ALFREDO", "FLORES", "GARCIA", "H", "1992-11-16", "", "2020-08-12", "15", "15001"),
    ("a.1", "JUAN ANGEL", "JIMENEZ", "NEGRETE", "H", "1993-11-23", "", "2016-07-11", "25", "25113"),
    ("y.1", "EDUARDO", "RANGEL", "TREJO", "H", "2000-09-07", "", "2015-12-30", "16", "16001"),
]
PRENSA = pd.DataFrame(
    [
        ("p1", "Sergio E. Esparza Matías", "38", "2019-02-12", "32", ""),
        ("p2", "Soledad de la O García", "", "2023-10-24", "10", "10001"),
        ("p3", "Alfredo García", "27", "2020-07-19", "15", "15001"),
        # "Ángel" is a given name and a surname; the note dropped "Negrete".
        ("p4", "Juan Ángel Jiménez", "22", "2016-07", "25", "25113"),
        # No place, no maternal surname, and New Year between the two dates.
        ("p5", "Eduardo Rangel", "15", "2016-01-03", "", ""),
    ],
    columns=["record_id", "full_name", "age", "event_date", "state", "municipality"],
)


@pytest.fixture(scope="module")
def linked():
    # The project's generator: its press list drops surnames as these do, so
    # the model learns how often one list's only surname is the other's maternal.
    background = generate_lists(1_000, seed=7).sources
    sources = {**background, "fiscalia_c": cases_frame(FISCALIA), "prensa_c": PRENSA}
    return link_records(sources, seed=1)


def test_an_initial_with_a_full_stop_stays_a_given_name():
    parsed = read_names(read_source(PRENSA, "prensa_c"))
    assert parsed[0] == PersonName("sergio e", "esparza", "matias")


def test_de_la_o_is_a_surname():
    parsed = read_names(read_source(PRENSA, "prensa_c"))
    assert parsed[1] == PersonName("soledad", "de la o", "garcia")


def test_an_abbreviated_second_given_name_stays_a_given_name():
    # "de J." is "de Jesús" (María de Jesús, José Luis de Jesús), as registries
    # abbreviate it: only "de la O" is a surname of one letter.
    names = ["José Luis de J. Ramírez", "Hernández López María de J.", "Ma. de la L. Gómez Ruiz"]
    frame = pd.DataFrame(
        [(f"x{i}", name, "", "2020-01-01", "09", "") for i, name in enumerate(names)],
        columns=PRENSA.columns,
    )
    assert read_names(read_source(frame, "prensa_c")) == [
        PersonName("jose luis de j", "ramirez", ""),
        PersonName("maria de j", "hernandez", "lopez"),
        PersonName("ma de la l", "gomez", "ruiz"),
    ]


def test_e_still_joins_two_surnames_before_an_i():
    # Written as "y", the joiner of every compound surname.
    frame = pd.DataFrame(
        [("x1", "Ana Rubio e Hinojosa", "", "2020-01-01", "09", "")], columns=PRENSA.columns
    )
    assert read_names(read_source(frame, "prensa_c"))[0] == PersonName(
        "ana", "rubio y hinojosa", ""
    )


@pytest.mark.parametrize(
    ("press", "fiscalia"),
    [("p1", "e.1"), ("p2", "o.1"), ("p3", "m.1"), ("p4", "a.1"), ("p5", "y.1")],
)
def test_the_press_record_links_to_the_person(linked, press, fiscalia):
    assert cluster_of(linked, "prensa_c", press) == cluster_of(linked, "fiscalia_c", fiscalia)


@pytest.mark.parametrize(
    ("fiscalia", "press", "level"),
    [
        ("m.1", "p3", "the only surname is the other's maternal"),
        ("a.1", "p4", "the same name words split differently, maternal missing"),
    ],
)
def test_the_pattern_has_its_own_level(linked, fiscalia, press, level):
    pairs = linked.pairs
    row = pairs[
        (pairs["unique_id_l"] == f"fiscalia_c:{fiscalia}")
        & (pairs["unique_id_r"] == f"prensa_c:{press}")
    ].iloc[0]
    assert linked.scoring.level_labels["surnames"][row["gamma_surnames"]] == level


def test_given_names_never_open_with_de():
    # Where "Ramiro" is mostly seen as a surname and "Jesús" as a given name,
    # the words alone say "surnames first", which would make "de Jesús" the
    # given name.
    evidence = NameEvidence(surname=Counter({phonetic_word("ramiro"): 20_000}))
    reading, decided = evidence.read_full_name("Ramiro Castro de Jesús")
    assert reading.name == PersonName("ramiro", "castro", "de jesus")
    assert decided and not reading.surname_first

"""What real lists do to names, and a second generator the model is not tuned on.

One linkage run (module fixture) over small lists from
``memoria.linkage.synthetic_independent`` plus hand-written cases: an
official list with surnames first in one column, a married woman written with
"de" and her husband's surname, and two strangers whose only shared birth date
is the 1900-01-01 placeholder.
"""

import ast
from pathlib import Path

import pandas as pd
import pytest

from memoria.linkage import link_records, pairwise_scores, read_source
from memoria.linkage.features import read_names
from memoria.linkage.synthetic_independent import generate_lists
from memoria.names import PersonName
from memoria.names.order import NameEvidence

from .conftest import cases_frame
from .helpers import cluster_of

# Given names first, in separate columns.
FAMILIAS = [
    ("sf.1", "José Luis", "Xolalpa", "Cuautle", "hombre", "1988-03-04", "", "2015-02-03", "21", ""),
    ("jorge.1", "Jorge", "Tinajero", "Olivares", "hombre", "", "31", "2016-08-15", "28", "28032"),
    ("married.1", "Rosa María", "Ibarrola", "Cisneros", "mujer", "", "44", "2012-02-10", "14", ""),
    ("stranger.1", "Juan", "Pérez", "N/D", "hombre", "1900-01-01", "", "2010-05-02", "14", ""),
    # "Mago" (Margarita) is in no table of Memoria's.
    ("mago.1", "Mago", "Quiroz", "Bocanegra", "mujer", "", "39", "2013-01-01", "09", ""),
]
# An official list: the whole name in one column, surnames first, no comma.
OFICIAL = pd.DataFrame(
    [
        ("sf.2", "XOLALPA CUAUTLE JOSE LUIS", "H", "04/03/1988", "03/02/2015", "21"),
        ("jorge.2", "TINAJERO JORGE", "H", "", "15/08/2016", "28"),
        ("married.2", "IBARROLA DE QUINTANILLA ROSA MARIA", "M", "", "10/02/2012", "14"),
        ("stranger.2", "PEREZ SIN DATO JUAN", "H", "01/01/1900", "20/11/2019", "05"),
        ("mago.2", "QUIROZ BOCANEGRA MARGARITA", "M", "12/05/1973", "01/01/2013", "09"),
    ],
    columns=["record_id", "full_name", "sex", "birth_date", "event_date", "state"],
)


@pytest.fixture(scope="module")
def independent():
    return generate_lists(700, seed=4)


@pytest.fixture(scope="module")
def linked(independent):
    sources = {**independent.sources, "familias_a": cases_frame(FAMILIAS), "oficial": OFICIAL}
    return link_records(sources, seed=1)


def test_it_links_an_official_surname_first_list_to_a_given_first_list(linked):
    assert cluster_of(linked, "familias_a", "sf.1") == cluster_of(linked, "oficial", "sf.2")


def test_it_reads_a_surname_and_a_given_name_in_surname_first_order(linked):
    # "TINAJERO JORGE": Jorge is a given name, Tinajero is not.
    assert cluster_of(linked, "familias_a", "jorge.1") == cluster_of(linked, "oficial", "jorge.2")


def test_it_links_a_married_woman_written_with_her_husbands_surname(linked):
    assert cluster_of(linked, "familias_a", "married.1") == cluster_of(
        linked, "oficial", "married.2"
    )


def test_it_links_a_nickname_outside_the_tables(linked):
    assert cluster_of(linked, "familias_a", "mago.1") == cluster_of(linked, "oficial", "mago.2")


def test_a_placeholder_birth_date_does_not_make_strangers_match(linked):
    assert cluster_of(linked, "familias_a", "stranger.1") != cluster_of(
        linked, "oficial", "stranger.2"
    )


def test_it_links_the_independent_lists_accurately(linked, independent):
    # A floor, well below the benchmark's figures (docs/benchmarks.md), that
    # fails if the reading of surname-first names or of placeholders breaks:
    # without them F1 here falls to about 0.5.
    truth = independent.truth()
    merged = truth.merge(linked.clusters, on=["source", "record_id"], validate="one_to_one")
    scores = pairwise_scores(merged["cluster_id"], merged["person_id"])
    assert scores.precision >= 0.97
    assert scores.f1 >= 0.93


def test_the_generator_is_deterministic_and_writes_readable_lists(independent):
    again = generate_lists(700, seed=4)
    for name, frame in independent.sources.items():
        pd.testing.assert_frame_equal(frame, again.sources[name])
        read_source(frame.drop(columns="person_id"), name)  # raises if unreadable
    assert set(independent.sources) == {"ministerio", "padron", "familias", "notas"}


def test_the_generator_writes_what_real_lists_contain(independent):
    ministerio = independent.sources["ministerio"]
    padron = independent.sources["padron"]
    # surnames first, in capitals without accents
    assert ministerio["full_name"].str.match(r"^[A-Z ]+$").all()
    assert (ministerio["birth_date"] == "01/01/1900").any() or (
        ministerio["birth_date"] == "1900-01-01"
    ).any()
    assert padron["maternal_surname"].isin(["N/D", "S/N", "SIN DATO", "XXX"]).any()
    assert padron["maternal_surname"].str.startswith("DE ").any()  # married women


def test_the_generator_shares_nothing_with_the_names_module():
    source = Path(__file__).parents[3] / "memoria/linkage/synthetic_independent.py"
    imported = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert not any(name.startswith("memoria.names") for name in imported)


@pytest.mark.parametrize(
    ("full_name", "sex", "expected"),
    [
        ("HERNANDEZ GARCIA JOSE LUIS", "male", ("jose luis", "hernandez", "garcia")),
        ("TORRES JORGE", "male", ("jorge", "torres", "")),
        ("José Luis Hernández", "male", ("jose luis", "hernandez", "")),
        ("María López de Hernández", "female", ("maria", "lopez", "")),
        ("MARIA LOPEZ GARCIA VDA. DE RAMOS", "female", ("maria", "lopez", "garcia")),
        ("GUTIERREZ DE SANCHEZ CLAUDIA", "female", ("claudia", "gutierrez", "")),
        ("Juan Pérez de León", "male", ("juan", "perez", "de leon")),
        # A saint's name after "San" or "Santa" is a surname, though its head is a given name.
        ("SAN JUAN GARCIA ANGEL", "male", ("angel", "san juan", "garcia")),
        ("Ángel San Juan García", "male", ("angel", "san juan", "garcia")),
        ("GARCIA SAN JUAN ANGEL", "male", ("angel", "garcia", "san juan")),
        ("SANTA CRUZ LOPEZ MARIA", "female", ("maria", "santa cruz", "lopez")),
    ],
)
def test_it_reads_full_names_in_either_order(full_name, sex, expected):
    reading, _ = NameEvidence().read_full_name(full_name, sex)
    name = reading.name
    assert (name.given_names, name.paternal_surname, name.maternal_surname) == expected


def test_it_mends_a_given_name_split_into_the_surname_column():
    mended = NameEvidence().mend_columns(PersonName("jose", "luis hernandez", "garcia"), "male")
    assert mended == PersonName("jose luis", "hernandez", "garcia")


def test_an_undecided_name_takes_the_order_of_its_list():
    # "XOLALPA CUAUTLE" has no known word; the rest of its list is surnames first.
    frame = pd.DataFrame(
        {
            "source": "oficial",
            "full_name": ["HERNANDEZ GARCIA JOSE", "LOPEZ MARIA", "TORRES JUAN", "XOLALPA TZOMPA"],
            "given_names": None,
            "paternal_surname": None,
            "maternal_surname": None,
            "sex": None,
        }
    )
    assert read_names(frame)[3] == PersonName("tzompa", "xolalpa", "")


def test_it_reads_digits_a_scanner_put_in_a_name():
    frame = pd.DataFrame(
        {
            "source": "notas",
            "full_name": [None],
            "given_names": ["5ILVIA"],
            "paternal_surname": ["L0PEZ"],
            "maternal_surname": [None],
            "sex": [None],
        }
    )
    assert read_names(frame)[0] == PersonName("silvia", "lopez", "")

import pytest

from memoria.names import PersonName, first_given_name, parse_name, split_full_name


def test_it_splits_a_civil_order_full_name():
    assert split_full_name("JOSE LUIS HERNANDEZ GARCIA") == PersonName(
        "jose luis", "hernandez", "garcia"
    )


def test_it_splits_surnames_first_with_a_comma():
    assert split_full_name("Hernández García, José Luis") == PersonName(
        "jose luis", "hernandez", "garcia"
    )


def test_it_keeps_particles_with_the_surname():
    name = split_full_name("María de la Luz de la Cruz Pérez")
    assert name == PersonName("maria de la luz", "de la cruz", "perez")


def test_it_keeps_particles_in_compound_given_names():
    assert split_full_name("María de los Ángeles Ruiz Soto").given_names == "maria de los angeles"
    assert split_full_name("José del Carmen Díaz Vega").given_names == "jose del carmen"


def test_it_joins_surnames_linked_by_y():
    assert split_full_name("Juan Ortega y Gasset López") == PersonName(
        "juan", "ortega y gasset", "lopez"
    )


def test_it_treats_two_words_as_given_name_and_paternal_surname():
    assert split_full_name("Pepe Hernández") == PersonName("pepe", "hernandez", "")


def test_it_keeps_initials_in_given_names():
    assert split_full_name("José L. García Hernández") == PersonName(
        "jose l", "garcia", "hernandez"
    )


def test_it_handles_a_single_word_and_nothing():
    assert split_full_name("Chuy") == PersonName("chuy", "", "")
    assert split_full_name(None) == PersonName()
    assert split_full_name("") == PersonName()


def test_it_prefers_separate_parts_over_a_full_name():
    name = parse_name("José", "Pérez", None, full_name="Otro Nombre Distinto")
    assert name == PersonName("jose", "perez", "")


def test_it_falls_back_to_the_full_name():
    assert parse_name(None, "", None, "Ana López Ruiz").maternal_surname == "ruiz"


def test_it_renders_the_full_normalized_name():
    assert PersonName("jose", "perez", "").full == "jose perez"


@pytest.mark.parametrize(
    ("given", "first"),
    [("José Luis", "jose"), ("Pepe", "jose"), ("Lupita", "guadalupe"), ("", ""), ("Chema", "jose")],
)
def test_it_finds_the_canonical_first_given_name(given, first):
    assert first_given_name(given) == first

import doctest

import pytest

import memoria.names
from memoria.names import (
    core_tokens,
    normalize,
    normalize_text,
    parse,
    phonetic,
    search,
    strip_accents,
)


def test_it_lowercases_and_strips_accents():
    assert normalize_text("JOSÉ LUIS HERNÁNDEZ") == "jose luis hernandez"


def test_it_folds_enye_to_n_like_official_exports():
    assert normalize_text("Núñez Muñoz") == "nunez munoz"
    assert strip_accents("Güemes") == "Guemes"


def test_it_turns_punctuation_into_spaces():
    assert normalize_text("  José-Luis  García, 34 ") == "jose luis garcia"
    assert normalize_text("J.L.") == "j l"


def test_it_returns_empty_for_missing_values():
    assert normalize_text(None) == ""
    assert normalize_text("   ") == ""


def test_it_drops_particles_from_core_tokens():
    assert core_tokens("de la Cruz") == ["cruz"]
    assert core_tokens("De los Santos") == ["santos"]
    assert core_tokens("del Río") == ["rio"]


def test_it_keeps_a_name_made_only_of_particles():
    assert core_tokens("de la") == ["de", "la"]


@pytest.mark.parametrize("module", [memoria.names, normalize, parse, phonetic, search])
def test_it_keeps_docstring_examples_true(module):
    result = doctest.testmod(module)
    assert result.failed == 0

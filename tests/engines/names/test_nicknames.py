import pytest

from memoria.names import NICKNAMES, canonical_given_name, canonical_given_tokens, normalize_text


@pytest.mark.parametrize(
    ("nickname", "name"),
    [
        ("Lupe", "guadalupe"),
        ("Lupita", "guadalupe"),
        ("Chuy", "jesus"),
        ("Chucho", "jesus"),
        ("Pepe", "jose"),
        ("Paco", "francisco"),
        ("Pancho", "francisco"),
        ("Nacho", "ignacio"),
        ("Memo", "guillermo"),
        ("Lalo", "eduardo"),
        ("Toño", "antonio"),
        ("Beto", "alberto"),
        ("Beto", "roberto"),
        ("Chava", "salvador"),
        ("Chelo", "consuelo"),
        ("Concha", "concepcion"),
        ("Quique", "enrique"),
        ("Chayo", "rosario"),
        ("Juanito", "juan"),
        ("Pedrito", "pedro"),
    ],
)
def test_it_expands_mexican_nicknames(nickname, name):
    assert name in canonical_given_tokens(nickname)


def test_it_expands_compound_nicknames():
    assert canonical_given_tokens("Chema") == ["jose", "maria"]
    assert canonical_given_tokens("Majo") == ["maria", "jose"]


def test_it_keeps_ordinary_names_and_real_names_ending_in_ito():
    assert canonical_given_name("roberto") == ("roberto",)
    assert canonical_given_name("benito") == ("benito",)
    assert canonical_given_name("margarita") == ("margarita",)


def test_it_expands_every_token_of_a_compound_given_name():
    assert canonical_given_tokens("María Guadalupe") == ["maria", "guadalupe"]
    assert canonical_given_tokens("José de Jesús") == ["jose", "jesus"]


def test_it_has_a_normalized_table():
    for nickname, names in NICKNAMES.items():
        assert nickname == normalize_text(nickname)
        assert names, nickname
        assert all(name == normalize_text(name) for name in names)


def test_it_knows_many_nicknames():
    assert len(NICKNAMES) >= 80

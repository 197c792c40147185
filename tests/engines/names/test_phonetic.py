import pytest

from memoria.names import phonetic_key, phonetic_word


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Vázquez", "Basquez"),  # b/v, z/s, qu
        ("González", "Gonzales"),  # z/s
        ("Hernández", "Ernandez"),  # silent h
        ("Ximena", "Jimena"),  # x/j
        ("Jiménez", "Gimenez"),  # g/j before e, i
        ("Yolanda", "Llolanda"),  # ll/y
        ("Quintero", "Kintero"),  # qu/k
        ("Cervantes", "Servantes"),  # c/s before e
        ("Núñez", "NUNEZ"),  # ñ
        ("Eloy", "Eloi"),  # final y
        ("Ascencio", "Asencio"),  # sc/s
        ("Barragán", "Baragan"),  # rr/r
        ("Chávez", "Chaves"),
        ("Xóchitl", "Sochitl"),  # Nahuatl x
        ("Xóchitl", "Shóchitl"),  # sh: s and a silent h
        ("Xochimilco", "Sochimilco"),
        ("Psicólogo", "Sicólogo"),  # initial ps
        ("México", "Méjico"),  # x/j
        ("Enviar", "Embiar"),  # n before b/v
        ("Guillermo", "Guiyermo"),  # silent u of gu, ll/y
        ("Rodríguez", "Rodriguez"),
        ("Cuauhtémoc", "Cuautemoc"),
    ],
)
def test_it_gives_spanish_sound_alikes_the_same_key(a, b):
    assert phonetic_key(a) == phonetic_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Ramos", "Romo"),
        ("Cruz", "Ruiz"),
        ("Chávez", "Cabrera"),
        ("Pérez", "Páez"),
        ("Gil", "Gaitán"),
    ],
)
def test_it_keeps_different_surnames_apart(a, b):
    assert phonetic_key(a) != phonetic_key(b)


def test_it_keeps_gu_before_e_and_i_hard():
    # The u of "gu" is silent and the g stays hard; a plain g there is J.
    assert phonetic_word("Guillermo") == "GIYERMO"
    assert phonetic_word("Miguel") == "MIGEL"
    assert phonetic_word("Gerardo") == "JERARDO"
    assert phonetic_word("Guerra") != phonetic_word("Gerra")


def test_it_keeps_ps_inside_a_word():
    assert phonetic_word("Capsula") == "KAPSULA"


def test_it_distinguishes_ch_from_k():
    assert phonetic_word("chavez") != phonetic_word("cavez")


def test_it_ignores_particles_and_keys_each_word():
    assert phonetic_key("de la Cruz") == phonetic_key("Cruz")
    assert phonetic_key("Ortega y Gasset") == "ORTEGA GASET"


def test_it_handles_empty_input():
    assert phonetic_key("") == ""
    assert phonetic_key(None) == ""

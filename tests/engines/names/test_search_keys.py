from memoria.names import search_keys, typo_keys, typo_query_keys


def test_it_gives_a_nickname_and_the_civil_name_shared_keys():
    assert search_keys("lupe", "hernández") & search_keys("Guadalupe", "Hernandez")
    assert search_keys("lupe", "hernández") <= search_keys("María Guadalupe", "Hernández", "Ruiz")


def test_it_matches_misspelled_surnames_through_phonetic_keys():
    shared = search_keys("José", "Vázquez") & search_keys("Jose", "Basques")
    assert "sp:BASKES" in shared


def test_it_does_not_care_which_slot_a_surname_is_in():
    assert search_keys("Ana", "López", "Ruiz") == search_keys("Ana", "Ruiz", "López")


def test_it_gives_no_key_for_initials_or_particles():
    keys = search_keys("J. L.", "de la Cruz")
    assert keys == {"s:cruz", "sp:KRUS"}


def test_it_is_pure_and_stable():
    assert search_keys("Chuy", "Pérez") == search_keys("Chuy", "Pérez")
    assert search_keys("Chuy", "Pérez") == {"g:jesus", "gp:JESUS", "s:perez", "sp:PERES"}


def test_it_returns_an_empty_set_for_no_name():
    assert search_keys() == set()


def test_it_meets_a_name_with_one_letter_dropped_added_wrong_or_swapped():
    indexed = typo_keys("Guadalupe", "Hernández", "Ruiz")
    for typo in ("hernadez", "hernanndez", "hernandex", "hernadnez", "guadalpue"):
        assert indexed & typo_query_keys(typo), typo
    assert not indexed & typo_query_keys("fernandes")  # two letters away


def test_it_bounds_the_typo_keys_of_a_name():
    assert typo_keys("Ana", "Ruiz") == set()  # too short to tell a typo from another name
    assert len(typo_keys("", "Hernández")) == len("hernandez") + 1
    assert typo_keys("", "Wolfeschlegelsteinhausenberger") == set()

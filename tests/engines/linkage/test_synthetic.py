import pandas as pd

from memoria.linkage import read_source
from memoria.linkage.synthetic import COMMON_SURNAMES, generate_lists, generate_people
from memoria.names import strip_accents


def test_it_is_deterministic_with_a_seed():
    a = generate_lists(300, seed=5)
    b = generate_lists(300, seed=5)
    for name in a.sources:
        pd.testing.assert_frame_equal(a.sources[name], b.sources[name])
    assert not generate_lists(300, seed=6).sources["fiscalia"].equals(a.sources["fiscalia"])


def test_it_reproduces_the_skew_of_mexican_surnames():
    people = generate_people(20_000, seed=1)
    surnames = pd.concat([people["paternal"], people["maternal"]])
    top = surnames.value_counts()
    leaders = {"Hernández", "García", "Martínez", "López", "González"}
    assert top.index[0] == "Hernández"
    assert set(top.index[:5]) == leaders
    common = surnames.isin([s for s, w in COMMON_SURNAMES.items() if w > 0]).mean()
    assert 0.55 < common < 0.67


def test_it_makes_families_that_share_surnames_and_town():
    people = generate_people(5_000, seed=2)
    keys = people.groupby(["paternal", "maternal", "municipality"])["given"].nunique()
    assert (keys > 1).sum() > 300


def test_it_writes_lists_the_importer_accepts_with_source_errors():
    lists = generate_lists(1_000, seed=3)
    assert set(lists.sources) == {"fiscalia", "colectivo", "prensa", "registro"}
    for name, frame in lists.sources.items():
        read_source(frame, name)  # raises if any value is unreadable
    fiscalia = lists.sources["fiscalia"]
    assert (
        fiscalia["paternal_surname"] == fiscalia["paternal_surname"].map(strip_accents).str.upper()
    ).all()
    assert "full_name" in lists.sources["prensa"]
    assert lists.sources["colectivo"]["age"].ne("").mean() > 0.5
    truth = lists.truth()
    assert truth["person_id"].duplicated().any()  # people appear in several lists

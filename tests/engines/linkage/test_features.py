import pandas as pd

from memoria.linkage import read_source
from memoria.linkage.features import build_features


def features(**columns):
    n = len(next(iter(columns.values())))
    columns.setdefault("record_id", [str(i) for i in range(n)])
    return build_features(read_source(pd.DataFrame(columns), "s"))


def test_it_gives_swapped_surnames_the_same_sorted_keys():
    out = features(full_name=["Ana Hernández García", "Ana García Hernández"])
    assert out.loc[0, "sur_lo"] == out.loc[1, "sur_lo"]
    assert out.loc[0, "sur_hi"] == out.loc[1, "sur_hi"]
    assert out.loc[0, "pat"] == out.loc[1, "mat"]


def test_it_resolves_nicknames_to_the_first_given_name():
    out = features(given_names=["Pepe", "JOSE LUIS"], paternal_surname=["Pérez", "PEREZ"])
    assert list(out["given_first"]) == ["jose", "jose"]
    assert "luis" in out.loc[1, "given_tokens"]


def test_it_estimates_birth_year_from_age_at_the_event():
    out = features(
        full_name=["Ana López", "Eva Ruiz"],
        age=["34", ""],
        event_date=["2014-09-26", ""],
        birth_date=["", "1980-05"],
    )
    assert out.loc[0, "birth_year"] == 1980
    assert bool(out.loc[0, "birth_from_age"]) is True
    assert out.loc[1, "birth_year"] == 1980
    assert pd.isna(out.loc[1, "birth_day"])  # a partial birth date is not a day


def test_it_estimates_an_infants_birth_year_from_age_zero():
    out = features(full_name=["Luz Pérez"], age=["0"], event_date=["2014-09-26"])
    assert out.loc[0, "birth_year"] == 2014
    assert bool(out.loc[0, "birth_from_age"]) is True


def test_it_drops_particles_from_surname_keys():
    out = features(full_name=["María de la Luz de la Cruz Pérez"])
    assert out.loc[0, "pat"] == "cruz"
    assert out.loc[0, "given_tokens"] == ["maria", "luz"]


def test_it_makes_unique_ids_from_source_and_record():
    out = features(full_name=["Ana López"], record_id=["A-1"])
    assert out.loc[0, "unique_id"] == "s:A-1"


def test_it_keeps_a_partial_event_date_to_its_precision():
    out = features(full_name=["Ana López"] * 3, event_date=["2014-09-15", "2014-09", "2014"])
    assert list(out["event_date"]) == ["2014-09-15", "2014-09", "2014"]
    assert out["event_day"].isna().tolist() == [False, True, True]
    assert out["event_month"].isna().tolist() == [False, False, True]
    assert out.loc[0, "event_month"] == out.loc[1, "event_month"]
    assert list(out["event_year"]) == [2014, 2014, 2014]

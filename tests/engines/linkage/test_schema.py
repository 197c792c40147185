import pandas as pd
import pytest

from memoria.linkage import COLUMNS, InputError, read_source
from memoria.linkage.dates import parse_date


def frame(**columns):
    return pd.DataFrame(columns)


def test_it_reads_a_list_in_the_standard_schema(tmp_path):
    path = tmp_path / "fiscalia.csv"
    path.write_text(
        "record_id,given_names,paternal_surname,maternal_surname,sex,birth_date,age,"
        "event_date,state,municipality,curp\n"
        "F1,JOSE LUIS,HERNANDEZ,GARCIA,H,1990-05-01,,2014-09-26,12,12035,\n",
        encoding="utf-8",
    )
    records = read_source(path)
    assert list(records.columns) == ["source", *COLUMNS]
    row = records.iloc[0]
    assert row["source"] == "fiscalia"
    assert row["sex"] == "male"
    assert row["municipality"] == "12035"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["Mujer", "Hombre"], ["female", "male"]),
        (["F", "M"], ["female", "male"]),
        (["M", "H"], ["female", "male"]),
        (["femenino", "masculino"], ["female", "male"]),
        (["", "se desconoce"], [None, None]),
    ],
)
def test_it_accepts_spanish_spellings_of_sex(values, expected):
    records = read_source(
        frame(record_id=["1", "2"], full_name=["Ana López", "Juan Pérez"], sex=values)
    )
    assert list(records["sex"]) == expected


def test_it_refuses_an_ambiguous_m():
    with pytest.raises(InputError, match="ambiguous"):
        read_source(frame(record_id=["1"], full_name=["Ana López"], sex=["M"]), "lista")


def test_it_accepts_partial_and_spanish_dates():
    records = read_source(
        frame(
            record_id=["1", "2", "3", "4"],
            full_name=["A B", "C D", "E F", "G H"],
            event_date=["2014-09", "26/09/2014", "26 de septiembre de 2014", "2014"],
        )
    )
    assert list(records["event_date"]) == ["2014-09", "2014-09-26", "2014-09-26", "2014"]


def test_it_pads_inegi_codes_that_spreadsheets_turned_into_numbers():
    records = read_source(
        frame(record_id=["1"], full_name=["Ana López"], state=["9"], municipality=["9015.0"])
    )
    assert records.loc[0, "state"] == "09"
    assert records.loc[0, "municipality"] == "09015"


def test_it_lists_every_bad_value_with_its_row():
    bad = frame(
        record_id=["1", "2", "2", ""],
        full_name=["Ana López", "Juan", "Luis", "Eva"],
        birth_date=["1990-02-30", "ayer", "", ""],
        age=["34", "treinta", "", "200"],
    )
    with pytest.raises(InputError) as caught:
        read_source(bad, "colectivo")
    problems = {(p.row, p.column) for p in caught.value.problems}
    assert problems == {
        (1, "birth_date"),
        (2, "birth_date"),
        (2, "age"),
        (4, "age"),
        (3, "record_id"),
        (4, "record_id"),
    }
    assert "colectivo row 2, birth_date='ayer'" in str(caught.value)


def test_it_requires_record_id_and_a_name_column():
    with pytest.raises(InputError, match="record_id"):
        read_source(frame(full_name=["Ana"]), "x")
    with pytest.raises(InputError, match="no name column"):
        read_source(frame(record_id=["1"], sex=["F"]), "x")


def test_it_rejects_a_row_without_name_or_curp():
    with pytest.raises(InputError, match="no name and no CURP"):
        read_source(frame(record_id=["1"], full_name=[""]), "x")


def test_it_rejects_a_malformed_curp():
    with pytest.raises(InputError, match="not a CURP"):
        read_source(frame(record_id=["1"], full_name=["Ana"], curp=["ABC"]), "x")


def test_it_reads_latin1_and_semicolons(tmp_path):
    path = tmp_path / "prensa.csv"
    path.write_bytes("record_id;full_name\nP1;José Núñez\n".encode("latin-1"))
    assert read_source(path).loc[0, "full_name"] == "José Núñez"


def test_it_reports_a_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_source(tmp_path / "nope.csv")


def test_it_refuses_two_digit_years():
    with pytest.raises(ValueError, match="not a date"):
        parse_date("26/09/14")


def test_it_gives_partial_dates_no_day_number():
    assert parse_date("2014-09-15").day_number() == 16328
    assert parse_date("2014-09").day_number() is None
    assert parse_date("2014").day_number() is None
    assert parse_date("2014-09").month_number() == parse_date("2014-09-30").month_number() == 536
    assert parse_date("2014").month_number() is None


def test_it_keeps_the_age_of_an_infant():
    records = read_source(
        frame(
            record_id=["1", "2", "3"],
            full_name=["Ana López", "Eva Ruiz", "Luz Paz"],
            age=["0", "0 años", ""],
        )  # fmt: skip
    )
    assert list(records["age"]) == [0, 0, None]


def test_placeholders_and_sentinel_dates_are_read_as_missing_and_counted():
    from memoria.linkage.schema import CleaningReport

    report = CleaningReport()
    records = read_source(
        frame(
            record_id=["1", "2", "3", "4", "5"],
            given_names=["Ana", "Luis", "Eva", "SIN DATO", "Xóchitl"],
            paternal_surname=["López", "Torres", "XXX", "DESCONOCIDO", "Ruiz"],
            maternal_surname=["N/D", "s/n", "No especificado", "N.D.", "Díaz"],
            birth_date=["1900-01-01", "01/01/1900", "00/00/0000", "", "1985-03-02"],
        ),
        "registro",
        report=report,
    )
    assert records["maternal_surname"].tolist() == [None, None, None, None, "Díaz"]
    assert records["paternal_surname"].tolist() == ["López", "Torres", None, None, "Ruiz"]
    assert records["given_names"].tolist()[-1] == "Xóchitl"  # an X name is a name
    assert records["birth_date"].tolist() == [None, None, None, None, "1985-03-02"]
    assert report.placeholders["registro"] == {
        "given_names": 1, "paternal_surname": 2, "maternal_surname": 4, "birth_date": 3,
    }  # fmt: skip
    # Record 4 has only placeholder names: kept, and counted.
    assert report.as_dict()["records_with_placeholder_names_only"] == 1


def test_words_for_unknown_in_other_columns_are_read_as_missing_not_refused():
    from memoria.linkage.schema import CleaningReport

    report = CleaningReport()
    records = read_source(
        frame(
            record_id=["1", "2", "3"],
            given_names=["Ana", "Luis", "Eva"],
            sex=["N/D", "H", "SIN DATO"],
            age=["N/D", "0", "99"],  # a number, even 0 or 99, is an age
            state=["99", "N/D", "08"],  # INEGI's 99: not specified
            event_date=["SIN DATO", "2015-03-01", "N/D"],
        ),
        "registro",
        report=report,
    )
    assert records["age"].tolist()[0] is None
    assert records["age"].tolist()[1:] == [0, 99]
    assert records["state"].tolist() == [None, None, "08"]
    assert records["sex"].tolist() == [None, "male", None]
    assert records["event_date"].tolist() == [None, "2015-03-01", None]
    assert report.placeholders["registro"] == {
        "sex": 2, "age": 1, "state": 2, "event_date": 2,
    }  # fmt: skip
    assert report.invalid_dates == {}  # "N/D" is a placeholder, not an impossible date


def test_an_impossible_date_is_read_as_unknown_unless_strict():
    from memoria.linkage.schema import CleaningReport

    data = frame(
        record_id=["1", "2", "3"],
        full_name=["Ana López", "Juan Pérez", "Eva Ruiz"],
        birth_date=["1999-02-29", "ayer", "2000-02-29"],
        event_date=["2014-09-31", "", "2014-09-26"],
    )
    with pytest.raises(InputError, match="1999-02-29"):
        read_source(data, "fiscalia", strict=True)
    report = CleaningReport()
    records = read_source(data, "fiscalia", strict=False, report=report)
    assert records["birth_date"].tolist() == [None, None, "2000-02-29"]  # 2000 was a leap year
    assert records["event_date"].tolist() == [None, None, "2014-09-26"]
    assert report.invalid_dates == {"fiscalia": {"birth_date": 2, "event_date": 1}}
    assert report.as_dict()["invalid_dates_read_as_unknown"] == 3
    assert "fiscalia row 1, birth_date='1999-02-29'" in report.examples[0]

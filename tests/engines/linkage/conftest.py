import pandas as pd
import pytest

from memoria.linkage import link_records
from memoria.linkage.synthetic import generate_lists

# Hand-written cases, each a pair (or trio) of records of one person written
# the way different lists write them, plus hard negatives. Record ids say
# which person they are: the part before the first "." is the person.
CASES_A = [
    # id, given, paternal, maternal, sex, birth_date, age, event_date, state, municipality
    (
        "swap.1",
        "Rosa María",
        "Quintanilla",
        "Zamudio",
        "F",
        "1985-03-12",
        "",
        "2015-06-01",
        "19",
        "19039",
    ),
    (
        "nick.1",
        "María Guadalupe",
        "Ibarrola",
        "Cisneros",
        "F",
        "1979-12-12",
        "",
        "2012-02-10",
        "14",
        "14039",
    ),
    ("chuy.1", "Jesús", "Olivares", "Tinajero", "M", "1990-01-20", "", "2016-08-15", "28", "28032"),
    (
        "nomat.1",
        "Everardo",
        "Villaseñor",
        "Bocanegra",
        "M",
        "1970-07-07",
        "",
        "2011-03-03",
        "16",
        "16053",
    ),
    (
        "typo.1",
        "Heriberto",
        "Vázquez",
        "Cervantes",
        "M",
        "1988-09-09",
        "",
        "2013-11-20",
        "30",
        "30087",
    ),
    ("dup.1", "Anselmo", "Huitrón", "Xolalpa", "M", "1975-05-05", "", "2010-10-10", "15", "15058"),
    ("dup.2", "Anselmo", "Huitron", "Xolalpa", "M", "1975-05-05", "", "2010-10-11", "15", "15058"),
    (
        "brother1.1",
        "Rigoberto",
        "Tecuapetla",
        "Mazatl",
        "M",
        "1986-04-02",
        "",
        "2017-05-05",
        "12",
        "12001",
    ),
    # Two more brothers taken together, both José: the press record below
    # ("José Cuautle Tzompa, 28") matches each of them.
    ("jl.1", "José Luis", "Cuautle", "Tzompa", "M", "1986-03-03", "", "2016-04-04", "21", "21114"),
    (
        "ja.1",
        "José Antonio",
        "Cuautle",
        "Tzompa",
        "M",
        "1990-08-08",
        "",
        "2016-04-04",
        "21",
        "21114",
    ),
]
CASES_B = [
    ("swap.2", "Rosa Maria", "Zamudio", "Quintanilla", "mujer", "", "30", "2015-06-03", "19", ""),
    ("nick.2", "Lupita", "Ibarrola", "Cisneros", "mujer", "", "32", "2012-02", "14", "14039"),
    ("chuy.2", "Chuy", "Olivares", "Tinajero", "hombre", "", "26", "2016-08-15", "28", ""),
    (
        "nomat.2",
        "EVERARDO",
        "VILLASENOR",
        "",
        "hombre",
        "1970-07-07",
        "",
        "2011-03-03",
        "16",
        "16053",
    ),
    ("typo.2", "Eriberto", "Basquez", "Servantes", "hombre", "", "25", "2013-11-20", "30", "30087"),
    # Rigoberto's brother, taken the same day from the same town.
    (
        "brother2.1",
        "Gilberto",
        "Tecuapetla",
        "Mazatl",
        "hombre",
        "1989-10-30",
        "",
        "2017-05-05",
        "12",
        "12001",
    ),
    ("jl-or-ja.1", "José", "Cuautle", "Tzompa", "hombre", "", "28", "2016-04-04", "21", "21114"),
]
FIELDS = (
    "record_id",
    "given_names",
    "paternal_surname",
    "maternal_surname",
    "sex",
    "birth_date",
    "age",
    "event_date",
    "state",
    "municipality",
)


def cases_frame(rows):
    return pd.DataFrame(rows, columns=FIELDS)


@pytest.fixture(scope="session")
def linked():
    """One run over a synthetic background plus the hand-written cases."""
    lists = generate_lists(1_200, seed=11)
    sources = {**lists.sources, "casos_a": cases_frame(CASES_A), "casos_b": cases_frame(CASES_B)}
    return link_records(sources, seed=1)

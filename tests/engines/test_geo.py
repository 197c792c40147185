from memoria.geo import fold, load_municipalities, load_states, state_as_code, state_code


def test_it_sums_to_the_census_2020_population():
    assert sum(s.population_total for s in load_states()) == 126_014_024
    assert sum(m.population_total for m in load_municipalities()) == 126_014_024


def test_it_has_every_state_and_municipality():
    states = load_states()
    assert len(states) == 32
    assert len(load_municipalities()) == 2478
    assert {s.code for s in states} == {f"{n:02d}" for n in range(1, 33)}
    assert len({s.iso_code for s in states}) == 32


def test_state_populations_add_up_by_sex():
    for state in load_states():
        assert state.population_male + state.population_female == state.population_total


def test_it_folds_accents_case_and_spaces():
    assert fold("  San Andrés   TUXTLA ") == "san andres tuxtla"
    assert fold("Ñuu Savi") == "nuu savi"


def test_it_reads_a_state_written_by_its_name_as_lists_write_it():
    written = {
        "Baja California Sur": "03", "VERACRUZ": "30", "Veracruz de Ignacio de la Llave": "30",
        "Edo. de México": "15", "Estado de Mexico": "15", "México": "15", "CDMX": "09",
        "Ciudad de México": "09", "ciudad de mexico": "09", "Distrito Federal": "09",
        "Coahuila": "05", "Coahuila de Zaragoza": "05", "Michoacán": "16",
        "MICHOACAN DE OCAMPO": "16", "Nuevo Leon": "19", "Estado de Jalisco": "14",
        " yucatán ": "31",
    }  # fmt: skip
    assert {name: state_code(name) for name in written} == written
    # Every state by its census name.
    assert all(state_code(state.name) == state.code for state in load_states())
    for unknown in ("Narnia", "", "Baja", "N/D", "Texas"):
        assert state_code(unknown) is None, unknown


def test_it_reads_the_abbreviations_of_official_forms():
    # As forms and registries abbreviate the states ("Jal.", "Tamps.", "Gto.").
    written = {
        "Ags.": "01", "B.C.": "02", "B.C.S.": "03", "Camp.": "04", "Coah.": "05", "Col.": "06",
        "Chis.": "07", "Chih.": "08", "CDMX": "09", "Dgo.": "10", "Gto.": "11", "Gro.": "12",
        "Hgo.": "13", "Jal.": "14", "Edo. Méx.": "15", "Mich.": "16", "Mor.": "17",
        "Nay.": "18", "N.L.": "19", "Oax.": "20", "Pue.": "21", "Qro.": "22", "Q. Roo": "23",
        "S.L.P.": "24", "Sin.": "25", "Son.": "26", "Tab.": "27", "Tamps.": "28",
        "Tlax.": "29", "Ver.": "30", "Yuc.": "31", "Zac.": "32",
    }  # fmt: skip
    assert {name: state_code(name) for name in written} == written


def test_a_list_cell_becomes_a_code_only_when_it_names_a_state():
    # The web and `memoria link` read a list's state column so; the engine reads codes.
    cells = {"Veracruz": "30", "Edo. de México": "15", "Chih.": "08", "CDMX": "09",
             "9": "9", "09": "09", "9.0": "9.0", "99": "99",
             "N/D": "N/D", "Gondor": "Gondor"}  # fmt: skip
    assert {cell: state_as_code(cell) for cell in cells} == cells

"""Messages say what is actually wrong, and labels say only what is true."""

from __future__ import annotations

from django.utils import translation

from memoria.cases import actions
from memoria.cases.io.importer import import_table
from memoria.cases.io.mapping import guess_mapping
from memoria.cases.io.readers import read_table
from tests.web.cases_fixtures import CaseFixtures, term, victim_data
from tests.web.test_cases_import import csv_bytes

PUBLISHED_CURP = "HEGG560427MVZRRL04"  # RENAPO's usual example, valid


class CurpMessageTests(CaseFixtures):
    def setUp(self):
        self.url = f"/o/{self.org.slug}/cases/{self.make_case().pk}/victims/new/"
        self.client.force_login(self.documenter)

    def curp_errors(self, curp: str) -> list[str]:
        response = self.client.post(self.url, victim_data(curp=curp))
        self.assertEqual(response.status_code, 200)
        return response.context["form"].errors["curp"]

    def test_it_says_which_check_of_the_curp_failed(self):
        cases = {
            PUBLISHED_CURP[:17] + "5": "su último dígito, el verificador, no corresponde",
            PUBLISHED_CURP[:17]: "una CURP tiene 18 caracteres y esta tiene 17",
            "HEGG560231MVZRRL04": "sus caracteres 5 a 10 (560231) son la fecha de nacimiento",
            "HEGG560427MXXRRL04": "sus caracteres 12 y 13 (XX) no son la clave de un estado",
            "1EGG560427MVZRRL04": "sus letras y números no están en su lugar",
        }
        for curp, expected in cases.items():
            with self.subTest(curp=curp):
                (message,) = self.curp_errors(curp)
                self.assertIn("no es una CURP válida", message)
                self.assertIn(expected, message)

    def test_it_does_not_count_characters_to_someone_who_typed_eighteen(self):
        (message,) = self.curp_errors(PUBLISHED_CURP[:17] + "5")
        self.assertNotIn("18 caracteres", message)

    def test_it_says_it_in_english_too(self):
        self.client.cookies["memoria_language"] = "en"
        (message,) = self.curp_errors(PUBLISHED_CURP[:17] + "5")
        self.assertIn("its last digit, the check digit, does not match", message)


class ImportMessageTests(CaseFixtures):
    HEADER = "Título,Fecha de los hechos,Estado,Nombre(s),Apellido paterno,Tipo de violación"

    def errors_of(self, *rows: str, language: str = "es-mx") -> list[str]:
        with translation.override(language):
            table = read_table(csv_bytes(*rows, header=self.HEADER), "casos.csv")
            report = import_table(table, guess_mapping(table.headers), self.org, self.documenter)
        self.assertFalse(report.committed)
        return [error.message for error in report.errors]

    def test_it_says_a_day_does_not_exist_when_the_date_is_written_right(self):
        (message,) = self.errors_of("Amenaza,31/02/2024,Chihuahua,Ana,Ruiz,threat")
        self.assertEqual(
            message, "«31/02/2024» es un día que no existe: febrero de 2024 tiene 29 días."
        )
        self.assertNotIn("Escríbela como", message)
        (message,) = self.errors_of("Amenaza,31/04/2019,Chihuahua,Ana,Ruiz,threat", language="en")
        self.assertEqual(
            message, "“31/04/2019” is a day that does not exist: April 2019 has 30 days."
        )

    def test_it_says_a_month_does_not_exist_and_how_to_write_the_date(self):
        (message,) = self.errors_of("Amenaza,03/25/2019,Chihuahua,Ana,Ruiz,threat")
        self.assertIn("«03/25/2019» no tiene mes 25: los meses van del 1 al 12.", message)

    def test_it_still_shows_how_to_write_what_is_no_date_at_all(self):
        (message,) = self.errors_of("Amenaza,ayer,Chihuahua,Ana,Ruiz,threat")
        self.assertIn("no es una fecha", message)

    def test_it_lists_the_accepted_values_of_a_vocabulary_with_labels_and_codes(self):
        (message,) = self.errors_of("Amenaza,2019,Chihuahua,Ana,Ruiz,lluvia")
        self.assertIn("«lluvia» no es uno de los valores aceptados", message)
        self.assertIn(
            "Desaparición forzada (por agentes del Estado) (enforced_disappearance)", message
        )
        self.assertIn("Homicidio (homicide)", message)
        (message,) = self.errors_of("Amenaza,2019,Chihuahua,Ana,Ruiz,lluvia", language="en")
        self.assertIn("Homicide (homicide); Femicide (femicide)", message)

    def test_it_says_which_check_of_an_imported_curp_failed(self):
        header = self.HEADER + ",CURP"
        with translation.override("es-mx"):
            table = read_table(
                csv_bytes(f"Amenaza,2019,Chihuahua,Ana,Ruiz,threat,{PUBLISHED_CURP[:17]}5",
                          header=header),
                "casos.csv",
            )  # fmt: skip
            report = import_table(table, guess_mapping(table.headers), self.org, self.documenter)
        (error,) = report.errors
        self.assertIn("el verificador, no corresponde", error.message)


class SearchLabelTests(CaseFixtures):
    def setUp(self):
        self.event = self.make_case()
        self.victim = self.add_victim(
            self.event, given_names="Ana", paternal_surname="Ríos", maternal_surname="Luna"
        ).victim
        actions.add_indirect_victim(
            self.event,
            self.documenter,
            self.victim,
            term("relationship", "mother"),
            {"given_names": "Rosa", "paternal_surname": "Luna", "maternal_surname": "Vega",
             "sex": "female"},
        )  # fmt: skip
        self.client.force_login(self.reader)

    def search(self, query: str, language: str = "es-mx") -> str:
        self.client.cookies["memoria_language"] = language
        response = self.client.post(f"/o/{self.org.slug}/people/", {"q": query})
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def test_it_says_whose_relative_a_person_is_and_in_which_case(self):
        number = self.event.number
        self.assertIn(f"Madre de Ana Ríos Luna, caso #{number}", self.search("Rosa Luna Vega"))
        self.assertIn(f"Mother of Ana Ríos Luna, case #{number}", self.search("Rosa Luna", "en"))

    def test_it_calls_a_victim_a_victim_and_not_a_relative(self):
        page = self.search("Ana Ríos Luna")
        self.assertIn(f"Víctima en el caso #{self.event.number}", page)
        self.assertNotIn("Familiar de una víctima", page)

    def test_it_calls_nobody_a_relative_who_is_not_recorded_as_one(self):
        act = self.victim.acts.get()
        actions.remove_record(act, self.documenter, act.version, kind="act")
        page = self.search("Ana Ríos Luna")
        self.assertIn("En ningún caso", page)
        self.assertNotIn("Familiar", page)

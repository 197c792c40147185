"""How often the commonest surnames occur in Mexican lists of victims.

A frequency table written by the Memoria team from general knowledge of
Mexican surname frequencies (it is not copied from any registry): relative
weights, per cent of surname draws before scaling, of about 140 surnames,
led by Hernández, García, Martínez, López and González. The synthetic lists
of ``memoria.linkage.synthetic`` and the demo cases of ``memoria.cases.demo``
both draw from it, scaling it so these surnames carry 61% of draws, as they
do in real lists. Entries of weight 0 are never drawn: being in the table
keeps them out of the long tail of other surnames too.
"""

# fmt: off
# Relative frequency (per cent of surname draws, before scaling) of the most
# common surnames in Mexican lists of victims. Written by us; see module doc.
COMMON_SURNAMES: dict[str, float] = {
    "Hernández": 5.6, "García": 4.3, "Martínez": 3.7, "López": 3.5, "González": 3.3,
    "Pérez": 2.4, "Rodríguez": 2.3, "Sánchez": 2.2, "Ramírez": 2.0, "Cruz": 1.6,
    "Flores": 1.5, "Gómez": 1.4, "Morales": 1.15, "Vázquez": 1.1, "Reyes": 1.1,
    "Jiménez": 1.0, "Torres": 1.0, "Díaz": 0.95, "Gutiérrez": 0.9, "Ruiz": 0.85,
    "Mendoza": 0.8, "Aguilar": 0.8, "Ortiz": 0.75, "Moreno": 0.7, "Castillo": 0.7,
    "Romero": 0.65, "Álvarez": 0.6, "Méndez": 0.6, "Chávez": 0.6, "Rivera": 0.55,
    "Juárez": 0.55, "Ramos": 0.5, "Domínguez": 0.5, "Herrera": 0.5, "Medina": 0.5,
    "Castro": 0.45, "Vargas": 0.45, "Guzmán": 0.45, "Velázquez": 0.45, "Muñoz": 0.4,
    "Rojas": 0.4, "Contreras": 0.4, "Salazar": 0.4, "Luna": 0.38, "Ortega": 0.38,
    "Santiago": 0.38, "Guerrero": 0.36, "Estrada": 0.36, "Bautista": 0.35, "Cortés": 0.35,
    "Soto": 0.34, "Alvarado": 0.34, "Espinoza": 0.33, "Lara": 0.33, "Ávila": 0.32,
    "Ríos": 0.32, "Cervantes": 0.31, "Silva": 0.31, "Delgado": 0.3, "Vega": 0.3,
    "Márquez": 0.3, "Sandoval": 0.29, "Fernández": 0.29, "León": 0.29, "Carrillo": 0.28,
    "Mejía": 0.28, "Solís": 0.28, "Núñez": 0.27, "Rosas": 0.27, "Valdez": 0.27,
    "Ibarra": 0.26, "Campos": 0.26, "Santos": 0.26, "Camacho": 0.25, "Navarro": 0.25,
    "Peña": 0.25, "Maldonado": 0.25, "Rosales": 0.24, "Acosta": 0.24, "Miranda": 0.24,
    "Trejo": 0.23, "Cabrera": 0.23, "Valencia": 0.23, "Nava": 0.23, "Castañeda": 0.22,
    "Pacheco": 0.22, "Robles": 0.22, "Molina": 0.22, "Rangel": 0.21, "Fuentes": 0.21,
    "Huerta": 0.21, "Meza": 0.21, "Aguirre": 0.2, "Cárdenas": 0.2, "Orozco": 0.2,
    "Padilla": 0.2, "Espinosa": 0.2, "Ayala": 0.19, "Salas": 0.19, "Valenzuela": 0.19,
    "Zúñiga": 0.19, "Ochoa": 0.18, "Salinas": 0.18, "Mejía Ruiz": 0.0, "Vázquez Mota": 0.0,
    "Osorio": 0.18, "Escobar": 0.18, "Zamora": 0.17, "Beltrán": 0.17, "Cuevas": 0.17,
    "Calderón": 0.17, "Villegas": 0.16, "Galván": 0.16, "Rubio": 0.16, "Montes": 0.16,
    "Velasco": 0.16, "Villanueva": 0.15, "Hidalgo": 0.15, "Figueroa": 0.15, "Trujillo": 0.15,
    "Pineda": 0.15, "Barrera": 0.14, "Arellano": 0.14, "Tapia": 0.14, "Duarte": 0.14,
    "Serrano": 0.14, "Gallegos": 0.14, "Ponce": 0.13, "Bravo": 0.13, "Franco": 0.13,
    "Andrade": 0.13, "Córdova": 0.13, "Benítez": 0.13, "Lozano": 0.12, "Montoya": 0.12,
    "Escamilla": 0.12, "Quintero": 0.12, "De la Cruz": 0.12, "Del Ángel": 0.11,
    "Zavala": 0.11, "Barrios": 0.11, "Esquivel": 0.11, "Sosa": 0.11,
}
# fmt: on

# Given names common in Mexico (civil forms, not nicknames), written by the
# Memoria team from general knowledge; used as evidence when deciding whether
# a word in a full name is a given name or a surname (``memoria.names.order``).
# Membership is what counts, not rank. Words that are both (Santiago, Jesús as
# in "de Jesús", Cruz, Guadalupe) are here and in the surname table alike.
# fmt: off
_GIVEN_NAMES_TEXT = """
jose juan luis jesus miguel francisco antonio alejandro carlos jorge pedro manuel ricardo
eduardo fernando roberto javier daniel guillermo ignacio salvador alberto sergio mario raul
martin arturo enrique victor rafael hector oscar gerardo angel adrian gustavo ruben alfredo
ernesto rodolfo joaquin gabriel andres alfonso agustin gregorio ramon armando felipe hugo
julio cesar marco marcos israel omar ivan abel efrain isidro leonardo bernardo lorenzo
santiago tomas emilio benjamin cristian christian brayan bryan kevin edgar jaime rogelio
nicolas pablo diego david samuel jonathan erick eric uriel alan alonso abraham adolfo
aurelio baltazar bartolo bonifacio camilo candido catarino celestino cirilo clemente
crescencio cristobal cuauhtemoc damian dario delfino demetrio domingo elias eliseo
eloy emiliano esteban eugenio eusebio ezequiel fabian faustino federico felix fidel
filiberto florentino gilberto gonzalo heriberto hilario horacio humberto inocencio
isaac isaias jacinto jeronimo jonas juventino lazaro leobardo leonel leopoldo lucio
macario marcelino marcelo margarito mateo matias mauricio maximino maximiliano moises
nestor noe norberto octavio orlando pascual patricio porfirio ramiro raymundo reynaldo
rigoberto rosendo saul sebastian silvestre simon teodoro timoteo tiburcio ulises
valentin vicente wilfrido zacarias everardo anselmo eleuterio crisoforo benito
maria guadalupe juana ana margarita rosa patricia leticia veronica elizabeth gabriela
alejandra teresa concepcion graciela rosario dolores socorro refugio consuelo yolanda
josefina beatriz alicia silvia martha marta lucia irma carmen esther adriana claudia
araceli norma sandra monica karla daniela brenda jessica itzel xochitl soledad catalina
isabel cecilia francisca antonia ignacia eufemia petra elena luz laura lorena fernanda
ximena gloria angelica angeles diana erika erica susana paula paola andrea mariana
valeria fatima estela estella ofelia olga raquel rocio ruth sara sofia susana tania
victoria virginia viviana yesenia yazmin jazmin abigail adela agustina alma amalia
amparo angela aurora blanca carolina cristina delia dora edith elisa elvira emma
esperanza eva evangelina felipa flor gisela gregoria hilda ines irene isela ivonne
jacqueline janet juliana julieta lidia liliana lourdes luisa magdalena manuela marcela
maricela marisol mercedes micaela miriam nancy natalia nayeli noemi pilar reyna rebeca
rosalba rosalia rufina sonia teodora trinidad vanesa yadira zenaida eugenia
"""
# fmt: on
COMMON_GIVEN_NAMES: frozenset[str] = frozenset(_GIVEN_NAMES_TEXT.split())

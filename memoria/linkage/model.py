"""The linkage model for Mexican person records: comparisons, blocking and the
training plan.

Each comparison is a ladder of levels from the strongest agreement to plain
disagreement. The levels reflect how Mexican lists differ for the same person:
surnames swapped or the maternal one missing, nicknames and compound given
names, age instead of birth date, an event date shifted by a few days, a
municipality replaced by the state.

The SQL uses only what DuckDB and Spark share (``levenshtein``, ``abs``,
arrays via Splink's dialect-aware level), so one model runs on both.
"""

from __future__ import annotations

from typing import Any

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator

DIALECT = "duckdb"


def _level(sql: str, label: str, **options: Any) -> cll.CustomLevel:
    level = cll.CustomLevel(sql, label_for_charts=label, base_dialect_str=DIALECT)
    if "tf_adjustment_column" in options:
        # Our levels are not single-column exact matches, so the term-frequency
        # adjustment is relative to this level's own u probability.
        options.setdefault("disable_tf_exact_match_detection", True)
    return level.configure(**options) if options else level


def _similar(level: Any, label: str, tf_column: str) -> Any:
    """A fuzzy level (Splink's, so each backend uses its own function) with a
    term-frequency adjustment relative to the level's own u probability."""
    return level.configure(
        label_for_charts=label,
        tf_adjustment_column=tf_column,
        disable_tf_exact_match_detection=True,
    )


def _null(sql: str) -> cll.CustomLevel:
    return _level(sql, "no data", is_null_level=True)


def surname_comparison() -> cl.CustomComparison:
    """Both surnames, swapped, a missing maternal surname, typos, one shared."""
    return cl.CustomComparison(
        output_column_name="surnames",
        comparison_levels=[
            _null("(pat_l IS NULL AND mat_l IS NULL) OR (pat_r IS NULL AND mat_r IS NULL)"),
            _level(
                "pat_l = pat_r AND mat_l = mat_r",
                "both surnames agree",
                tf_adjustment_column="pat",
                tf_adjustment_weight=0.5,
            ),
            _level("pat_ph_l = pat_ph_r AND mat_ph_l = mat_ph_r", "both surnames sound alike"),
            _level("pat_ph_l = mat_ph_r AND mat_ph_l = pat_ph_r", "surnames swapped"),
            # A three-word full name split the other way: "Juan Ángel | Jiménez"
            # against "Juan | Ángel Jiménez" (every name word agrees).
            _level("name_key_l = name_key_r", "the same name words, split differently"),
            # The same, when one list dropped the maternal surname: "Juan Ángel
            # Jiménez" read as Juan | Ángel | Jiménez, against Juan Ángel |
            # Jiménez | Negrete.
            _level(
                "name_key_l = given_pat_key_r OR given_pat_key_l = name_key_r",
                "the same name words split differently, maternal missing",
            ),
            _level(
                "(pat_ph_l = pat_ph_r OR levenshtein(pat_l, pat_r) <= 1)"
                " AND (mat_l IS NULL OR mat_r IS NULL)",
                "paternal agrees, maternal missing",
                tf_adjustment_column="pat",
            ),
            _level(
                "levenshtein(pat_l, pat_r) <= 2 AND levenshtein(mat_l, mat_r) <= 2",
                "both surnames with typos",
            ),
            _level(
                "levenshtein(pat_l, mat_r) <= 2 AND levenshtein(mat_l, pat_r) <= 2",
                "surnames swapped, with typos",
            ),
            # Typos that edit distance counts as many (transposed or doubled
            # letters in a long surname): Jaro-Winkler similarity, whose
            # weight falls for common surnames like an exact agreement's.
            _similar(
                cll.And(cll.JaroWinklerLevel("pat", 0.9), cll.JaroWinklerLevel("mat", 0.9)),
                "both surnames similar (Jaro-Winkler 0.9)",
                "pat",
            ),
            _similar(
                cll.And(
                    cll.JaroWinklerLevel("pat", 0.9),
                    _level("mat_l IS NULL OR mat_r IS NULL", "maternal missing"),
                ),
                "paternal similar (Jaro-Winkler 0.9), maternal missing",
                "pat",
            ),
            _level("pat_ph_l = pat_ph_r OR mat_ph_l = mat_ph_r", "one surname agrees"),
            # One list gives a single surname, the other's maternal one: the
            # person known by the mother's surname, or surnames swapped and the
            # second dropped ("Alfredo García" for Alfredo Flores García).
            _level(
                "(mat_l IS NULL AND (pat_ph_l = mat_ph_r OR levenshtein(pat_l, mat_r) <= 1)) OR "
                "(mat_r IS NULL AND (pat_ph_r = mat_ph_l OR levenshtein(pat_r, mat_l) <= 1))",
                "the only surname is the other's maternal",
            ),
            _level(
                "pat_ph_l = mat_ph_r OR mat_ph_l = pat_ph_r",
                "a surname in the other position",
            ),
            cll.ElseLevel().configure(label_for_charts="surnames differ"),
        ],
    )


def given_name_comparison() -> cl.CustomComparison:
    """Full given names, the first name with nicknames resolved, any shared
    name of a compound, sound-alikes, typos and initials."""
    shared = cll.ArrayIntersectLevel("given_tokens", min_intersection=1).configure(
        label_for_charts="shares a given name"
    )
    return cl.CustomComparison(
        output_column_name="given_name",
        comparison_levels=[
            _null("given_first_l IS NULL OR given_first_r IS NULL"),
            _level("given_l = given_r", "given names agree", tf_adjustment_column="given"),
            _level(
                "given_first_l = given_first_r",
                "first name agrees (nicknames resolved)",
                tf_adjustment_column="given_first",
            ),
            shared,
            _level("given_first_ph_l = given_first_ph_r", "first names sound alike"),
            _level(
                "given_letters_l = given_letters_r"
                " OR levenshtein(given_first_l, given_first_r) <= 1"
                " OR (levenshtein(given_first_l, given_first_r) <= 2"
                " AND length(given_first_l) >= 6)",
                "first names with a typo",
            ),
            _similar(
                cll.JaroWinklerLevel("given_first", 0.9),
                "first names similar (Jaro-Winkler 0.9)",
                "given_first",
            ),
            _level(
                "given_initial_l = given_initial_r AND "
                "(length(given_first_l) = 1 OR length(given_first_r) = 1)",
                "initial agrees",
            ),
            # A nickname outside the tables ("Mago" for Margarita, "Jerry" for
            # Gerardo): a known civil name against a short word the tables do
            # not know is weaker disagreement than two known names. Not the lowest
            # level, so the relatives guard (which holds back pairs whose
            # given names plainly differ) does not apply to it.
            _level(
                "(given_known_l AND NOT given_known_r AND length(given_first_r) <= 6)"
                " OR (given_known_r AND NOT given_known_l AND length(given_first_l) <= 6)",
                "a short given name the tables do not know (nickname?)",
            ),
            cll.ElseLevel().configure(label_for_charts="given names differ"),
        ],
    )


def birth_comparison() -> cl.CustomComparison:
    """Birth date, or birth year estimated from age: one piece of evidence."""
    return cl.CustomComparison(
        output_column_name="birth",
        comparison_levels=[
            _null("birth_year_l IS NULL OR birth_year_r IS NULL"),
            _level("birth_day_l = birth_day_r", "same birth date"),
            _level(
                "birth_day_l IS NOT NULL AND birth_day_r IS NOT NULL"
                " AND birth_year_l = birth_year_r",
                "same birth year, different day",
            ),
            _level(
                "(birth_from_age_l OR birth_from_age_r) AND abs(birth_year_l - birth_year_r) <= 1",
                "age agrees",
            ),
            _level("abs(birth_year_l - birth_year_r) <= 2", "birth years within 2"),
            # Families and the press give ages from memory, often a year or two
            # off, and an age turns into a birth year only to within a year.
            _level(
                "(birth_from_age_l OR birth_from_age_r) AND abs(birth_year_l - birth_year_r) <= 3",
                "age within 3 years",
            ),
            cll.ElseLevel().configure(label_for_charts="birth differs"),
        ],
    )


def event_comparison() -> cl.CustomComparison:
    """Event date windows: press and collectives shift dates by days or weeks.

    Dates are compared at the precision both lists give. Day windows need two
    full dates; a date known only to the month ("2014-09") agrees with any
    date in that month, and one known only to the year with any date in that
    year, each at its own level (and a month-only date with a date in the
    next or previous month at another), so that a vague date never counts as
    evidence as strong as two dates a few days apart.
    """
    days = "event_day_l IS NOT NULL AND event_day_r IS NOT NULL"
    diff = "abs(event_day_l - event_day_r)"
    partial = "(event_day_l IS NULL OR event_day_r IS NULL)"
    year_only = "(event_month_l IS NULL OR event_month_r IS NULL)"
    return cl.CustomComparison(
        output_column_name="event_date",
        comparison_levels=[
            _null("event_year_l IS NULL OR event_year_r IS NULL"),
            _level(f"{days} AND {diff} <= 3", "event within 3 days"),
            _level(f"{days} AND {diff} <= 45", "event within 45 days"),
            _level(
                f"{partial} AND event_month_l = event_month_r",
                "same month (a date gives only the month)",
            ),
            # Lists that shift dates by days or weeks also cross month ends:
            # "2014-09" for 2014-10-02 is the partial-date version of "within 45 days".
            _level(
                f"{partial} AND abs(event_month_l - event_month_r) <= 1",
                "adjacent months (a date gives only the month)",
            ),
            _level(
                f"{year_only} AND event_year_l = event_year_r",
                "same year (a date gives only the year)",
            ),
            _level(
                f"({days} AND {diff} <= 400)"
                f" OR ({partial} AND abs(event_month_l - event_month_r) <= 12)"
                f" OR ({year_only} AND abs(event_year_l - event_year_r) <= 1)",
                "event within about a year",
            ),
            cll.ElseLevel().configure(label_for_charts="events far apart"),
        ],
    )


def place_comparison() -> cl.CustomComparison:
    """Municipality, else state."""
    return cl.CustomComparison(
        output_column_name="place",
        comparison_levels=[
            _null("state_l IS NULL OR state_r IS NULL"),
            _level("municipality_l = municipality_r", "same municipality"),
            _level("state_l = state_r", "same state"),
            cll.ElseLevel().configure(label_for_charts="different state"),
        ],
    )


def exact_comparison(column: str, label: str) -> cl.CustomComparison:
    """Null / equal / different, for sex and CURP."""
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            _null(f"{column}_l IS NULL OR {column}_r IS NULL"),
            _level(f"{column}_l = {column}_r", f"same {label}"),
            cll.ElseLevel().configure(label_for_charts=f"different {label}"),
        ],
    )


# Candidate pairs: a pair is scored if any rule holds. Each rule targets one
# way real lists disagree, so that no single error hides a true match, and
# each asks for three agreeing keys: with Mexican surname frequencies a rule
# on two keys ("José" + "Hernández") makes blocks of thousands of records in a
# national list and hundreds of millions of pairs.
PREDICTION_BLOCKING_RULES = (
    # full name sounds alike: dates and places may differ
    "l.pat_ph = r.pat_ph AND l.mat_ph = r.mat_ph AND l.given_first_ph = r.given_first_ph",
    # surnames swapped
    "l.sur_lo = r.sur_lo AND l.sur_hi = r.sur_hi AND l.given_first_ph = r.given_first_ph",
    # the same name words split differently (a second given name or a surname)
    "l.name_key = r.name_key",
    # ... when one list dropped the maternal surname (both directions: a
    # dedupe rule holds for l.unique_id < r.unique_id only).
    "l.name_key = r.given_pat_key",
    "l.given_pat_key = r.name_key",
    # the given name is a nickname of the second name (María Guadalupe / Lupita)
    "l.sur_lo = r.sur_lo AND l.sur_hi = r.sur_hi AND l.event_year = r.event_year",
    "l.sur_lo = r.sur_lo AND l.sur_hi = r.sur_hi AND l.event_half_year = r.event_half_year",
    "l.pat_ph = r.pat_ph AND l.mat_ph = r.mat_ph AND l.birth_year = r.birth_year",
    # maternal surname missing or wrong
    "l.pat_ph = r.pat_ph AND l.given_first_ph = r.given_first_ph AND l.event_year = r.event_year",
    # ... the same across New Year (see features: event_half_year)
    "l.pat_ph = r.pat_ph AND l.given_first_ph = r.given_first_ph"
    " AND l.event_half_year = r.event_half_year",
    "l.pat_ph = r.pat_ph AND l.given_first_ph = r.given_first_ph AND l.birth_year = r.birth_year",
    "l.pat_ph = r.pat_ph AND l.given_first_ph = r.given_first_ph AND l.state = r.state",
    # paternal surname misspelled
    "l.mat_ph = r.mat_ph AND l.given_first_ph = r.given_first_ph AND l.event_year = r.event_year",
    "l.mat_ph = r.mat_ph AND l.given_first_ph = r.given_first_ph"
    " AND l.event_half_year = r.event_half_year",
    # the only surname given is the other list's maternal one
    "l.pat_ph = r.mat_ph AND l.given_first_ph = r.given_first_ph AND l.event_year = r.event_year"
    " AND l.mat_ph IS NULL",
    "l.mat_ph = r.pat_ph AND l.given_first_ph = r.given_first_ph AND l.event_year = r.event_year"
    " AND r.mat_ph IS NULL",
    # ... with the given name garbled: the same day instead
    "l.pat_ph = r.mat_ph AND l.event_day = r.event_day AND l.mat_ph IS NULL",
    "l.mat_ph = r.pat_ph AND l.event_day = r.event_day AND r.mat_ph IS NULL",
    # a surname in the other position (swapped, the other with a typo), in
    # the same state: the cross-position twin of "pat + given + state"
    "l.pat_ph = r.mat_ph AND l.given_first_ph = r.given_first_ph AND l.state = r.state",
    "l.mat_ph = r.pat_ph AND l.given_first_ph = r.given_first_ph AND l.state = r.state",
    # given name unrecognizable (unknown nickname, typo): surname + same day.
    # event_day is only set for full dates: "2014-09" is not the same day as
    # every date of September.
    "l.pat_ph = r.pat_ph AND l.event_day = r.event_day",
    # both surnames garbled
    "l.given_first_ph = r.given_first_ph AND l.event_day = r.event_day",
    # The same two cases when a date gives only the month: the month is thirty
    # times less selective than the day, and the state brings the blocks back
    # to the size of the same-day blocks.
    "l.pat_ph = r.pat_ph AND l.event_month = r.event_month AND l.state = r.state"
    " AND (l.event_day IS NULL OR r.event_day IS NULL)",
    "l.given_first_ph = r.given_first_ph AND l.event_month = r.event_month AND l.state = r.state"
    " AND (l.event_day IS NULL OR r.event_day IS NULL)",
    "l.given_first_ph = r.given_first_ph AND l.birth_day = r.birth_day",
    "l.given_first_ph = r.given_first_ph AND l.birth_year = r.birth_year AND l.state = r.state",
    # Nickname and a garbled or missing second surname: the paternal surname
    # with the birth year (or age) and the state.
    "l.pat_ph = r.pat_ph AND l.birth_year = r.birth_year AND l.state = r.state",
    # Nickname and a misspelled paternal surname: maternal surname + same day.
    "l.mat_ph = r.mat_ph AND l.event_day = r.event_day",
    # A typo that changes how the only surname (or the given name) sounds,
    # and an event date shifted by days: the same month, the sound of one
    # name and the first letter of the other (typists and scanners rarely
    # get the first letter wrong). The month keeps the blocks small.
    "l.given_first_ph = r.given_first_ph AND substr(l.pat, 1, 1) = substr(r.pat, 1, 1)"
    " AND l.event_month = r.event_month",
    "l.pat_ph = r.pat_ph AND l.given_initial = r.given_initial AND l.event_month = r.event_month",
    # Typos in every name (no sound or first letter agrees): the identifiers
    # a typist copies rather than spells, in small blocks. The same full
    # birth date with the state or the year of the event; the same event day
    # in the same municipality.
    "l.birth_day = r.birth_day AND l.state = r.state",
    "l.birth_day = r.birth_day AND l.event_year = r.event_year",
    "l.event_day = r.event_day AND l.municipality = r.municipality",
    # Given name and one surname garbled: the other surname with the month
    # and the place. (With the birth year and the state, or the half year,
    # instead of the month, four more rules met twice as many of these pairs
    # on the benchmark lists, but took a million records' candidate pairs
    # from 60 to 76 million: not kept.)
    "l.mat_ph = r.mat_ph AND l.event_month = r.event_month AND l.state = r.state",
    "l.pat_ph = r.pat_ph AND l.event_month = r.event_month AND l.municipality = r.municipality",
    "l.curp = r.curp",
)

# EM sessions. Each blocks on person-level identifiers so that EM estimates
# every comparison at least once, and none admits households: relatives share
# both surnames, a municipality and often the day they were taken, so a
# session blocked on surnames (+ place or date) makes EM learn "same family"
# instead of "same person". Siblings differ in given name and birth date.
TRAINING_BLOCKING_RULES = (
    # Same full birth date: trains names, event, place and sex.
    "l.birth_day = r.birth_day",
    # Same first name and both surnames: trains birth, event, place and sex.
    "l.given_first = r.given_first AND l.pat_ph = r.pat_ph AND l.mat_ph = r.mat_ph",
    # Same event day (full dates only) and birth year: trains names, place
    # and sex on lists without full birth dates too. The first session sees only records with a
    # full birth date, so it under-rates the name differences typical of the
    # lists that give ages (nicknames, a missing maternal surname). Siblings
    # taken together differ in birth year.
    "l.event_day = r.event_day AND l.birth_year = r.birth_year",
)
# Used instead of the first rule when too few records have a full birth date.
FALLBACK_TRAINING_RULE = "l.given_first = r.given_first AND l.birth_year = r.birth_year"

# Pairs that are surely the same person, to estimate how many matches exist.
DETERMINISTIC_RULES = (
    "l.given = r.given AND l.pat = r.pat AND l.mat = r.mat AND l.birth_year = r.birth_year",
    # Nickname and a garbled or missing second surname: the paternal surname
    # with the birth year (or age) and the state.
    "l.pat_ph = r.pat_ph AND l.birth_year = r.birth_year AND l.state = r.state",
    # Nickname and a misspelled paternal surname: maternal surname + same day.
    "l.mat_ph = r.mat_ph AND l.event_day = r.event_day",
    # A typo that changes how the only surname (or the given name) sounds,
    # and an event date shifted by days: the same month, the sound of one
    # name and the first letter of the other (typists and scanners rarely
    # get the first letter wrong). The month keeps the blocks small.
    "l.given_first_ph = r.given_first_ph AND substr(l.pat, 1, 1) = substr(r.pat, 1, 1)"
    " AND l.event_month = r.event_month",
    "l.pat_ph = r.pat_ph AND l.given_initial = r.given_initial AND l.event_month = r.event_month",
    "l.curp = r.curp",
)
# Recall of those rules: low, because in real lists exact agreement on full
# given names, both surnames and birth year is the exception (accents,
# nicknames, missing maternal surnames, age instead of birth date).
DETERMINISTIC_RECALL = 0.4


def build_settings(with_curp: bool = True) -> SettingsCreator:
    """Splink settings of Memoria's model (deduplicate and link in one pass).

    All sources are stacked in one table with a ``source`` column, so a
    single ``dedupe_only`` model finds duplicates inside each source and links
    across any number of sources at once.
    """
    comparisons = [
        surname_comparison(),
        given_name_comparison(),
        birth_comparison(),
        event_comparison(),
        place_comparison(),
        exact_comparison("sex", "sex"),
    ]
    if with_curp:
        comparisons.append(exact_comparison("curp", "CURP"))
    rules = [r for r in PREDICTION_BLOCKING_RULES if with_curp or "curp" not in r]
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=rules,
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=["source", "record_id", "event_date"],
        max_iterations=25,
        em_convergence=0.0001,
    )

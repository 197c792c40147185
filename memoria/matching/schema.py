"""Read the ante-mortem (missing.csv) and post-mortem (remains.csv) files.

The formats are those of ``docs/matching.md`` (the analysts' SCHEMA). Columns
are read by name; an empty cell means unknown. Reading is all-or-nothing:
:func:`read_missing` and :func:`read_remains` check every row and raise one
:class:`InputError` listing every value they could not read (row numbers
count the header as row 1), so a file can be fixed in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from memoria.matching import features

MISSING_COLUMNS = (
    "missing_id",
    "sex",
    "birth_date",
    "age_at_disappearance",
    "last_seen_date",
    "last_seen_state",
    "last_seen_municipality",
    "stature_cm",
    "build",
    "skin",
    "hair_color",
    "hair_length",
    "eye_color",
    "marks",
    "dental",
    "clothing",
    "notes",
)
REMAINS_COLUMNS = (
    "remains_id",
    "found_date",
    "found_state",
    "found_municipality",
    "sex_estimate",
    "age_min",
    "age_max",
    "stature_min_cm",
    "stature_max_cm",
    "marks",
    "dental",
    "clothing",
    "condition",
    "notes",
)
REQUIRED_MISSING = ("missing_id",)
REQUIRED_REMAINS = ("remains_id",)
CONDITIONS = ("complete", "partial", "skeletonized", "fragmented")
MAX_REPORTED_ERRORS = 20
_EPOCH = np.datetime64("1970-01-01", "D")


@dataclass(frozen=True)
class BadValue:
    row: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column} {self.value!r}: {self.reason}"


class InputError(ValueError):
    """A file does not follow the schema; ``problems`` lists every bad value."""

    def __init__(self, source: str, problems: list[BadValue] | str) -> None:
        if isinstance(problems, str):
            self.problems: list[BadValue] = []
            super().__init__(f"{source}: {problems}")
            return
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:MAX_REPORTED_ERRORS])
        more = len(problems) - MAX_REPORTED_ERRORS
        suffix = f"; and {more} more" if more > 0 else ""
        super().__init__(f"{source}: {len(problems)} value(s) cannot be read: {shown}{suffix}")


@dataclass
class Missing:
    """Ante-mortem records as arrays (one element per missing person)."""

    ids: np.ndarray
    sex: np.ndarray  # int8: 0 unknown, 1 female, 2 male
    seen_lo: np.ndarray  # int32 day number, first possible day last seen; -1 unknown
    seen_hi: np.ndarray  # last possible day
    age: np.ndarray  # float32 years at disappearance, NaN unknown
    stature: np.ndarray  # float32 cm, NaN unknown
    state: np.ndarray  # int16, 0 unknown
    municipality: np.ndarray  # int32, 0 unknown
    tattoo_groups: np.ndarray  # uint8 bit mask of body region groups with a tattoo
    marks_known: np.ndarray  # bool: the family described marks
    tokens: list[tuple[str, ...]]
    frame: pd.DataFrame

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class Remains:
    """Post-mortem records as arrays (one element per set of remains)."""

    ids: np.ndarray
    found: np.ndarray  # int32 day number
    state: np.ndarray
    municipality: np.ndarray
    sex: np.ndarray  # 0 undetermined
    age_min: np.ndarray  # float32, NaN unknown (0 if only age_max)
    age_max: np.ndarray  # float32, inf for "older than"
    stature_min: np.ndarray
    stature_max: np.ndarray
    condition: np.ndarray  # int8 index in CONDITIONS
    skin_seen: np.ndarray  # float32 chance a skin mark would be recorded if present
    tattoo_groups: np.ndarray
    any_tattoo: np.ndarray  # bool
    tokens: list[tuple[str, ...]]
    frame: pd.DataFrame

    def __len__(self) -> int:
        return len(self.ids)


def _read_csv(path_or_frame, source: str, columns: tuple[str, ...], required) -> pd.DataFrame:
    if isinstance(path_or_frame, pd.DataFrame):
        frame = path_or_frame.astype(str).replace({"nan": "", "None": "", "<NA>": ""})
    else:
        try:
            frame = pd.read_csv(path_or_frame, dtype=str, keep_default_na=False, encoding="utf-8")
        except UnicodeDecodeError:
            raise InputError(source, "not UTF-8 text") from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
            raise InputError(source, f"not a CSV file ({error})") from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(source, f"missing column(s) {', '.join(missing)}")
    for column in columns:
        if column not in frame.columns:
            frame[column] = ""
    frame = frame[list(columns)].copy()
    for column in columns:
        frame[column] = frame[column].fillna("").astype(str).str.strip()
    return frame.reset_index(drop=True)


def _rows(mask: np.ndarray) -> np.ndarray:
    return np.flatnonzero(mask) + 2  # the header is row 1


def _dates(frame, column, problems, required=False) -> tuple[np.ndarray, np.ndarray]:
    """Day numbers of the first and last day each (possibly partial) date covers."""
    values = frame[column]
    parts = values.str.extract(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
    empty = values == ""
    bad = ~empty & parts[0].isna()
    year = pd.to_numeric(parts[0], errors="coerce")
    month = pd.to_numeric(parts[1], errors="coerce")
    day = pd.to_numeric(parts[2], errors="coerce")
    lo = pd.to_datetime(
        {"year": year, "month": month.fillna(1), "day": day.fillna(1)}, errors="coerce"
    )
    hi_month = pd.to_datetime({"year": year, "month": month.fillna(12), "day": 1}, errors="coerce")
    hi = pd.to_datetime(
        {"year": year, "month": month.fillna(12), "day": day.fillna(1)}, errors="coerce"
    )
    hi = hi.where(day.notna(), hi_month + pd.offsets.MonthEnd(0))
    bad |= ~empty & (lo.isna() | hi.isna())
    bad |= ~empty & (year < 1900)
    if required:
        bad |= empty
    for row in _rows(bad.to_numpy()):
        value = values.iloc[row - 2]
        problems.append(BadValue(row, column, value, "not a date (YYYY-MM-DD, YYYY-MM or YYYY)"))
    ok = ~(empty | bad)
    lo_days = np.full(len(frame), -1, dtype=np.int32)
    hi_days = np.full(len(frame), -1, dtype=np.int32)
    lo_days[ok.to_numpy()] = (lo[ok].to_numpy().astype("datetime64[D]") - _EPOCH).astype(np.int32)
    hi_days[ok.to_numpy()] = (hi[ok].to_numpy().astype("datetime64[D]") - _EPOCH).astype(np.int32)
    return lo_days, hi_days


def _numbers(frame, column, problems, low, high) -> np.ndarray:
    values = frame[column]
    numbers = pd.to_numeric(values, errors="coerce")
    empty = values == ""
    bad = ~empty & (numbers.isna() | (numbers < low) | (numbers > high))
    for row in _rows(bad.to_numpy()):
        problems.append(
            BadValue(row, column, values.iloc[row - 2], f"not a number from {low} to {high}")
        )
    return numbers.where(~bad).to_numpy(dtype=np.float32)


def _codes(frame, column, problems, digits) -> np.ndarray:
    values = frame[column]
    empty = values == ""
    bad = ~empty & ~values.str.fullmatch(rf"\d{{{digits}}}")
    if digits == 2:
        bad |= ~empty & ~bad & ~pd.to_numeric(values, errors="coerce").between(1, 32)
    for row in _rows(bad.to_numpy()):
        problems.append(
            BadValue(row, column, values.iloc[row - 2], f"not a {digits}-digit INEGI code")
        )
    return pd.to_numeric(values.where(~bad & ~empty, "0")).to_numpy(dtype=np.int32)


def _choice(frame, column, problems, choices: dict[str, int], required=False) -> np.ndarray:
    values = frame[column].str.lower()
    empty = values == ""
    bad = ~values.isin(list(choices)) & (~empty | required)
    for row in _rows(bad.to_numpy()):
        allowed = " / ".join(k for k in choices if k)
        problems.append(BadValue(row, column, frame[column].iloc[row - 2], f"use {allowed}"))
    return values.map(choices).fillna(0).to_numpy(dtype=np.int8)


def _ids(frame, column, problems) -> np.ndarray:
    values = frame[column]
    for row in _rows((values == "").to_numpy()):
        problems.append(BadValue(row, column, "", "required"))
    duplicated = values.duplicated(keep="first") & (values != "")
    for row in _rows(duplicated.to_numpy()):
        problems.append(BadValue(row, column, values.iloc[row - 2], "appears twice"))
    return values.to_numpy(dtype=object)


def read_missing(path_or_frame, source: str = "missing.csv") -> Missing:
    """Read and check the ante-mortem file (a path or a DataFrame of strings)."""
    frame = _read_csv(path_or_frame, source, MISSING_COLUMNS, REQUIRED_MISSING)
    problems: list[BadValue] = []
    ids = _ids(frame, "missing_id", problems)
    sex = _choice(frame, "sex", problems, {"": 0, "female": 1, "male": 2})
    birth_lo, birth_hi = _dates(frame, "birth_date", problems)
    seen_lo, seen_hi = _dates(frame, "last_seen_date", problems)
    age = _numbers(frame, "age_at_disappearance", problems, 0, 120)
    stature = _numbers(frame, "stature_cm", problems, 40, 240)
    state = _codes(frame, "last_seen_state", problems, 2)
    municipality = _codes(frame, "last_seen_municipality", problems, 5)
    _choice(frame, "build", problems, {"": 0, "thin": 1, "medium": 2, "heavy": 3})
    _choice(frame, "skin", problems, {"": 0, "light": 1, "medium": 2, "dark": 3})
    if problems:
        raise InputError(source, sorted(problems, key=lambda p: p.row))
    # Age from the birth date when the family gave none.
    derive = np.isnan(age) & (birth_lo >= 0) & (seen_lo >= 0)
    mid_birth = (birth_lo + birth_hi) / 2
    mid_seen = (seen_lo + seen_hi) / 2
    age = np.where(derive, np.floor((mid_seen - mid_birth) / 365.25), age).astype(np.float32)
    age[age < 0] = np.nan
    tokens: list[tuple[str, ...]] = []
    groups = np.zeros(len(frame), dtype=np.uint8)
    known = np.zeros(len(frame), dtype=bool)
    for i, (m, d, c, hc, hl) in enumerate(
        zip(
            frame["marks"],
            frame["dental"],
            frame["clothing"],
            frame["hair_color"],
            frame["hair_length"],
            strict=True,
        )
    ):
        summary = features.marks(m)
        groups[i] = summary.tattoo_groups
        known[i] = summary.any_item
        tokens.append(
            tuple(
                dict.fromkeys(
                    (
                        *summary.tokens,
                        *features.dental(d),
                        *features.clothing(c),
                        *features.hair(hc, hl),
                    )
                )
            )
        )
    return Missing(
        ids=ids,
        sex=sex,
        seen_lo=seen_lo,
        seen_hi=seen_hi,
        age=age,
        stature=stature,
        state=state.astype(np.int16),
        municipality=municipality,
        tattoo_groups=groups,
        marks_known=known,
        tokens=tokens,
        frame=frame,
    )


# How likely a skin mark present in life is recorded, by condition.
SKIN_SEEN = {"complete": 0.8, "partial": 0.45, "skeletonized": 0.0, "fragmented": 0.0}


def read_remains(path_or_frame, source: str = "remains.csv") -> Remains:
    """Read and check the post-mortem file (a path or a DataFrame of strings)."""
    frame = _read_csv(path_or_frame, source, REMAINS_COLUMNS, REQUIRED_REMAINS)
    problems: list[BadValue] = []
    ids = _ids(frame, "remains_id", problems)
    found, _ = _dates(frame, "found_date", problems, required=True)
    state = _codes(frame, "found_state", problems, 2)
    municipality = _codes(frame, "found_municipality", problems, 5)
    sex = _choice(
        frame, "sex_estimate", problems, {"": 0, "undetermined": 0, "female": 1, "male": 2}
    )
    age_min = _numbers(frame, "age_min", problems, 0, 120)
    age_max = _numbers(frame, "age_max", problems, 0, 120)
    stature_min = _numbers(frame, "stature_min_cm", problems, 30, 240)
    stature_max = _numbers(frame, "stature_max_cm", problems, 30, 240)
    condition = _choice(
        frame, "condition", problems, {"": 1, **{c: i for i, c in enumerate(CONDITIONS)}}
    )
    reversed_age = age_min > age_max
    for row in _rows(reversed_age):
        problems.append(BadValue(row, "age_min", frame["age_min"].iloc[row - 2], "above age_max"))
    reversed_stature = stature_min > stature_max
    for row in _rows(reversed_stature):
        problems.append(
            BadValue(
                row,
                "stature_min_cm",
                frame["stature_min_cm"].iloc[row - 2],
                "above stature_max_cm",
            )
        )
    if problems:
        raise InputError(source, sorted(problems, key=lambda p: p.row))
    # Empty condition: treat as partial (some skin may have been seen).
    condition = np.where(frame["condition"].to_numpy() == "", 1, condition).astype(np.int8)
    has_min, has_max = ~np.isnan(age_min), ~np.isnan(age_max)
    age_min = np.where(has_max & ~has_min, 0, age_min).astype(np.float32)
    age_max = np.where(has_min & ~has_max, np.inf, age_max).astype(np.float32)
    stature_min = np.where(np.isnan(stature_min), stature_max, stature_min).astype(np.float32)
    stature_max = np.where(np.isnan(stature_max), stature_min, stature_max).astype(np.float32)
    seen_by_condition = np.array([SKIN_SEEN[c] for c in CONDITIONS], dtype=np.float32)
    skin_seen = seen_by_condition[condition]
    tokens: list[tuple[str, ...]] = []
    groups = np.zeros(len(frame), dtype=np.uint8)
    any_tattoo = np.zeros(len(frame), dtype=bool)
    for i, (m, d, c, n) in enumerate(
        zip(frame["marks"], frame["dental"], frame["clothing"], frame["notes"], strict=True)
    ):
        summary = features.marks(m)
        if summary.unassessable:
            skin_seen[i] = 0.0
        elif m == "" and skin_seen[i] > 0:
            skin_seen[i] = min(skin_seen[i], 0.3)  # nothing written: maybe not looked for
        groups[i] = summary.tattoo_groups
        any_tattoo[i] = summary.tattoo_groups != 0
        tokens.append(
            tuple(
                dict.fromkeys(
                    (
                        *summary.tokens,
                        *features.dental(d),
                        *features.clothing(c),
                        *features.hair_in_notes(n),
                    )
                )
            )
        )
    return Remains(
        ids=ids,
        found=found,
        state=state.astype(np.int16),
        municipality=municipality,
        sex=sex,
        age_min=age_min,
        age_max=age_max,
        stature_min=stature_min,
        stature_max=stature_max,
        condition=condition,
        skin_seen=skin_seen,
        tattoo_groups=groups,
        any_tattoo=any_tattoo,
        tokens=tokens,
        frame=frame,
    )

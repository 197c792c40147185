"""The CURP (Clave Única de Registro de Población): its format and its check digit.

One place for the rule, used by the case forms, the import and the demo data.
"""

from __future__ import annotations

import datetime
import re
from enum import StrEnum

CURP_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
# The two-letter codes of the 32 states, and NE for someone born abroad.
STATE_CODES = frozenset({
    "AS", "BC", "BS", "CC", "CL", "CM", "CS", "CH", "DF", "DG", "GT", "GR", "HG", "JC", "MC", "MN",
    "MS", "NT", "NL", "OC", "PL", "QT", "QR", "SP", "SL", "SR", "TC", "TS", "TL", "VZ", "YN", "ZS",
    "NE",
})  # fmt: skip
# Each part of a CURP and what it may hold, in order: the first check that fails is reported.
_PARTS = (
    (slice(0, 4), re.compile(r"[A-Z][AEIOUX][A-Z]{2}")),  # initials of the name
    (slice(4, 10), re.compile(r"\d{6}")),  # birth date, YYMMDD
    (slice(10, 11), re.compile(r"[HMX]")),  # sex
    (slice(13, 16), re.compile(r"[B-DF-HJ-NP-TV-Z]{3}")),  # inner consonants
    (slice(16, 17), re.compile(r"[A-Z\d]")),  # homonym key (a digit before 2000)
    (slice(17, 18), re.compile(r"\d")),  # check digit
)


def curp_check_digit(first17: str) -> int:
    """RENAPO's verification digit of the first 17 characters of a CURP."""
    total = sum(CURP_ALPHABET.index(char) * (18 - i) for i, char in enumerate(first17[:17]))
    return (10 - total % 10) % 10


class CurpProblem(StrEnum):
    """Which check a CURP fails, so a form can say what to correct."""

    LENGTH = "length"  # not 18 characters
    FORMAT = "format"  # letters and digits out of place
    DATE = "date"  # the six digits of the birth date are no real day
    STATE = "state"  # not one of the two-letter codes of the states (NE: born abroad)
    CHECK_DIGIT = "check_digit"  # the last digit does not match the other 17 characters


def curp_problem(curp: str) -> CurpProblem | None:
    """The first check ``curp`` (upper case) fails, or None for a valid CURP.

    >>> curp_problem("GOMJ800101HDFRRN00") is None
    True
    >>> curp_problem("GOMJ800101HDFRRN09")
    <CurpProblem.CHECK_DIGIT: 'check_digit'>
    """
    if len(curp) != 18:
        return CurpProblem.LENGTH
    for part, pattern in _PARTS:
        if not pattern.fullmatch(curp[part]):
            return CurpProblem.FORMAT
    century = 1900 if curp[16].isdigit() else 2000
    try:
        datetime.date(century + int(curp[4:6]), int(curp[6:8]), int(curp[8:10]))
    except ValueError:
        return CurpProblem.DATE
    if curp[11:13] not in STATE_CODES:
        return CurpProblem.STATE
    if int(curp[17]) != curp_check_digit(curp):
        return CurpProblem.CHECK_DIGIT
    return None


def is_valid_curp(curp: str) -> bool:
    """Whether ``curp`` (upper case) has the format, a real birth date and the right check digit."""
    return curp_problem(curp) is None

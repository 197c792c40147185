"""The CURP (Clave Única de Registro de Población): its format and its check digit.

One place for the rule, used by the case forms, the import and the demo data.
"""

from __future__ import annotations

import re

CURP_PATTERN = re.compile(
    r"^[A-Z][AEIOUX][A-Z]{2}\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])[HMX]"
    r"(AS|BC|BS|CC|CL|CM|CS|CH|DF|DG|GT|GR|HG|JC|MC|MN|MS|NT|NL|OC|PL|QT|QR|SP|SL|SR|TC|TS|TL"
    r"|VZ|YN|ZS|NE)[B-DF-HJ-NP-TV-Z]{3}[A-Z\d]\d$"
)
CURP_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"


def curp_check_digit(first17: str) -> int:
    """RENAPO's verification digit of the first 17 characters of a CURP."""
    total = sum(CURP_ALPHABET.index(char) * (18 - i) for i, char in enumerate(first17[:17]))
    return (10 - total % 10) % 10


def is_valid_curp(curp: str) -> bool:
    """Whether ``curp`` (upper case) has the format and the right check digit."""
    return bool(CURP_PATTERN.match(curp)) and int(curp[17]) == curp_check_digit(curp)

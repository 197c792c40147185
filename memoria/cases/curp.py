"""What is wrong with a CURP, said so that the person can correct it.

The rule itself lives in the names engine (``memoria.names.curp``); the
forms and the importer both say its verdict with these sentences.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from memoria.names.curp import CurpProblem, curp_problem


def curp_error(curp: str) -> str | None:
    """Why ``curp`` (upper case) is not a valid CURP, or None if it is one."""
    problem = curp_problem(curp)
    if problem is None:
        return None
    if problem == CurpProblem.LENGTH:
        return _(
            "This is not a valid CURP: a CURP has 18 characters, and this one has %(count)s."
        ) % {"count": len(curp)}
    if problem == CurpProblem.DATE:
        return _(
            "This is not a valid CURP: its characters 5 to 10 (%(digits)s) are the birth date "
            "as year, month and day, and that day does not exist."
        ) % {"digits": curp[4:10]}
    if problem == CurpProblem.STATE:
        return _(
            "This is not a valid CURP: its characters 12 and 13 (%(code)s) are not the code of a "
            "Mexican state (NE for someone born abroad)."
        ) % {"code": curp[11:13]}
    if problem == CurpProblem.CHECK_DIGIT:
        return _(
            "This is not a valid CURP: its last digit, the check digit, does not match the other "
            "17 characters. One of them is probably mistyped."
        )
    return _(
        "This is not a valid CURP: its letters and digits are out of place. A CURP is 4 letters, "
        "6 digits of the birth date, H, M or X, 2 letters of the state, 3 consonants, a letter "
        "or digit, and a last digit."
    )

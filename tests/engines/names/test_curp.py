"""The CURP rule, against the example RENAPO's format is usually shown with."""

from memoria.names.curp import curp_check_digit, is_valid_curp

# The CURP of Gloria Hernández García, born 27 April 1956 in Veracruz: the example
# Wikipedia's article on the CURP gives (check digit 4).
PUBLISHED = "HEGG560427MVZRRL04"


def test_it_accepts_the_published_example():
    assert curp_check_digit(PUBLISHED[:17]) == 4
    assert is_valid_curp(PUBLISHED)


def test_it_refuses_a_wrong_check_digit():
    assert not is_valid_curp(PUBLISHED[:17] + "5")


def test_it_refuses_an_unknown_state_and_an_impossible_date():
    assert not is_valid_curp("HEGG560427MXXRRL04")
    assert not is_valid_curp("HEGG561327MVZRRL04")


def test_it_names_the_first_check_a_curp_fails():
    from memoria.names.curp import CurpProblem, curp_problem

    assert curp_problem(PUBLISHED) is None
    assert curp_problem(PUBLISHED[:17] + "5") == CurpProblem.CHECK_DIGIT
    assert curp_problem(PUBLISHED[:17]) == CurpProblem.LENGTH
    assert curp_problem("HEGG560231MVZRRL04") == CurpProblem.DATE  # 31 February
    assert curp_problem("HEGG560427MXXRRL04") == CurpProblem.STATE
    assert curp_problem("HEGG560427QVZRRL04") == CurpProblem.FORMAT  # Q is no sex
    # The homonym key says the century: a letter after 2000, so 29/02/2000 exists, 29/02/1900 not.
    assert curp_problem("HEGG000229MVZRRLA" + str(curp_check_digit("HEGG000229MVZRRLA"))) is None
    assert curp_problem("HEGG000229MVZRRL04") == CurpProblem.DATE

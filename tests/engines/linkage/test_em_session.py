"""An EM session that underflows, retried shorter (memoria.linkage.pipeline._em_session).

Splink refuses an m probability below 1e-300; a session in which EM gets
there is run again with half the iterations. These tests stand in for
Splink with a linker whose session underflows after a set number of
iterations, so that they do not depend on which lists make EM underflow.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest

from memoria.linkage.pipeline import _em_session

UNDERFLOW = "m_probability value 1e-310 is below the minimum allowed value of 1e-300."


@dataclasses.dataclass
class Training:
    max_iterations: int = 25


class Linker:
    """A session trains ``model["trained"]`` once per iteration it runs and
    underflows when asked for more than ``underflows_after`` iterations,
    after leaving the model half trained (as Splink does)."""

    def __init__(self, underflows_after: int, error: str = UNDERFLOW):
        self._settings_obj = SimpleNamespace(
            core_model_settings={"trained": [], "comparisons": ["birth", "event"]},
            training_settings=Training(),
        )
        self.underflows_after = underflows_after
        self.error = error
        self.attempts: list[int] = []
        self.training = SimpleNamespace(
            estimate_parameters_using_expectation_maximisation=self._session
        )

    def _session(self, rule, **options):
        iterations = self._settings_obj.training_settings.max_iterations
        self.attempts.append(iterations)
        model = self._settings_obj.core_model_settings
        model["comparisons"] = ["event"]  # the blocked comparison left out
        if iterations > self.underflows_after:
            raise ValueError(self.error)
        model["comparisons"] = ["birth", "event"]
        model["trained"].append(iterations)


def test_a_session_that_ends_before_the_underflow_keeps_its_estimates():
    linker = Linker(underflows_after=30)
    assert _em_session(linker, "l.x = r.x") is None
    assert linker.attempts == [25]
    assert linker._settings_obj.core_model_settings["trained"] == [25]


def test_a_session_that_underflows_is_run_again_with_half_the_iterations():
    linker = Linker(underflows_after=2)
    note = _em_session(linker, "l.x = r.x")
    assert linker.attempts == [25, 12, 6, 3, 1]
    assert note == "EM on 'l.x = r.x' stopped after 1 iteration (probability underflow)"
    # Each retry starts from the model as it was before the session: the
    # failed attempts left nothing, and no comparison is missing.
    model = linker._settings_obj.core_model_settings
    assert model == {"trained": [1], "comparisons": ["birth", "event"]}
    assert linker._settings_obj.training_settings.max_iterations == 25


def test_the_note_says_how_many_iterations_the_session_ran():
    linker = Linker(underflows_after=10)
    note = _em_session(linker, "l.x = r.x")
    assert linker.attempts == [25, 12, 6]
    assert note == "EM on 'l.x = r.x' stopped after 6 iterations (probability underflow)"


def test_a_session_that_underflows_in_one_iteration_is_skipped():
    linker = Linker(underflows_after=0)
    note = _em_session(linker, "l.x = r.x")
    assert linker.attempts == [25, 12, 6, 3, 1]
    assert "skipped (probability underflow)" in note
    model = linker._settings_obj.core_model_settings
    assert model == {"trained": [], "comparisons": ["birth", "event"]}
    assert linker._settings_obj.training_settings.max_iterations == 25


def test_another_error_is_not_taken_for_an_underflow():
    linker = Linker(underflows_after=0, error="some other problem")
    with pytest.raises(ValueError, match="some other problem"):
        _em_session(linker, "l.x = r.x")
    assert linker.attempts == [25]
    assert linker._settings_obj.training_settings.max_iterations == 25

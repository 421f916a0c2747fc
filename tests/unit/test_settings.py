"""Settings that are checked when they are read (the generated secret key: tests/integration/test_keys.py)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from safe4c.kernel.settings import Settings

DEADLINES = {"P1": 60, "P2": 240, "P3": 1440, "P4": 4320}


@pytest.mark.parametrize("bad", [
    {"P1": 60, "P2": 240, "P3": 1440},  # a priority without a deadline
    {**DEADLINES, "P5": 10},  # a priority that does not exist
    {**DEADLINES, "P2": 0},
    {**DEADLINES, "P3": -5},
])
def test_triage_deadlines_need_a_positive_time_for_each_priority(bad):
    with pytest.raises(ValidationError, match="triage_deadline_minutes"):
        Settings(triage_deadline_minutes=bad)


def test_triage_deadlines_from_the_environment_are_checked(monkeypatch):
    monkeypatch.setenv("SAFE4C_TRIAGE_DEADLINE_MINUTES", '{"P1": 30}')
    with pytest.raises(ValidationError, match="triage_deadline_minutes"):
        Settings()
    monkeypatch.setenv("SAFE4C_TRIAGE_DEADLINE_MINUTES", '{"P1": 30, "P2": 60, "P3": 90, "P4": 120}')
    assert Settings().triage_deadline_minutes["P1"] == 30

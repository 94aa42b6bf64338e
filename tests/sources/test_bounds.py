"""Plausible ranges for upstream integers: out of range is None (counted) or rejects the record."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from service.sources import bounds


class Sample(BaseModel):
    followers: bounds.Count = None
    age: bounds.Age = None
    rank: bounds.Rank = None
    viewers: bounds.RequiredCount = 0


def test_values_in_range_pass_and_out_of_range_become_none() -> None:
    kept = Sample(followers=0, age=18, rank=1, viewers=10**9)
    assert (kept.followers, kept.age, kept.rank, kept.viewers) == (0, 18, 1, 10**9)
    with bounds.tally() as nulled:
        odd = Sample(followers=-5, age=999, rank=0)
    assert (odd.followers, odd.age, odd.rank) == (None, None, None)
    assert nulled.describe() == "3 out-of-range values nulled (age 1, followers 1, rank 1)"


def test_a_required_value_out_of_range_rejects_the_record_without_echoing_it() -> None:
    with pytest.raises(ValidationError) as caught:
        Sample(viewers=10**30)
    (error,) = caught.value.errors(include_input=False)
    assert error["msg"] == "Value error, outside the plausible range 0..1000000000"


def test_a_failed_block_adds_nothing_to_the_enclosing_tally() -> None:
    """A page parse that fails is redone record by record: its counts must not count twice."""
    with bounds.tally() as run:
        with pytest.raises(ValidationError), bounds.tally():
            Sample(age=999, viewers=-1)
        with bounds.tally():
            Sample(age=999)
    assert run.fields == {"age": 1}


def test_outside_a_tally_the_value_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    assert Sample(age=150).age is None
    assert "age=150 outside 18..99" in caplog.text

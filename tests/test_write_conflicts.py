"""Single-document writes that lose a race are run again, not turned into a 500."""

import pytest
from mongoengine.errors import OperationError
from pymongo.errors import OperationFailure

from sop.db import retry_write_conflicts


def test_a_write_conflict_is_retried_until_the_write_goes_through():
    calls = []

    def write():
        calls.append(1)
        if len(calls) < 3:
            try:  # mongoengine wraps the driver's error, as modify() does
                raise OperationFailure("WriteConflict", code=112)
            except OperationFailure as exc:
                raise OperationError("Update failed") from exc
        return "written"

    assert retry_write_conflicts(write) == "written"
    assert len(calls) == 3


def test_other_failures_and_endless_conflicts_are_raised():
    with pytest.raises(OperationFailure, match="bad"):
        retry_write_conflicts(lambda: (_ for _ in ()).throw(OperationFailure("bad", code=2)))
    with pytest.raises(OperationFailure):
        retry_write_conflicts(
            lambda: (_ for _ in ()).throw(OperationFailure("WriteConflict", code=112)),
            attempts=2)

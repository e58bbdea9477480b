"""The governance error tree: one base, leaf names ending in Error, a stable code each."""

from __future__ import annotations

import governance.errors as errors


def _error_classes() -> list[type[errors.GovernanceError]]:
    return [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, errors.GovernanceError)
    ]


def test_every_error_derives_from_the_base_and_ends_in_error() -> None:
    classes = _error_classes()
    assert len(classes) >= 5
    for cls in classes:
        assert cls.__name__.endswith("Error")
        assert cls.__doc__


def test_codes_are_distinct_strings() -> None:
    codes = [cls.code for cls in _error_classes()]
    assert all(type(code) is str and code for code in codes)
    assert len(set(codes)) == len(codes)


def test_invalid_ballot_code() -> None:
    assert errors.InvalidBallotError.code == "invalid_ballot"
    assert issubclass(errors.InvalidBallotError, errors.GovernanceError)


def test_the_docstring_draws_every_class() -> None:
    doc = errors.__doc__ or ""
    for cls in _error_classes():
        assert cls.__name__ in doc

"""Strict readers for ballot fields: exact keys, real ints (never bools), options in range.

Ballots arrive as decoded JSON, so every reader checks types at run time and raises
``InvalidBallotError`` with a message naming the offending field and value.
"""

from __future__ import annotations

from collections.abc import Mapping, Set

from governance.errors import InvalidBallotError, InvalidRulesError
from governance.tally.base import Rules


def check_option_rules(rules: Rules, method: str) -> None:
    """Raise ``InvalidRulesError`` unless ``rules`` suit a method that chooses among options."""
    if rules.n_options < 1:
        raise InvalidRulesError(f"{method} needs at least one option")
    if rules.tie_rule == "seeded" and not rules.seed:
        raise InvalidRulesError("the seeded tie rule needs a non-empty seed")


def read_fields(
    ballot: object, required: Set[str], optional: Set[str] = frozenset()
) -> Mapping[str, object]:
    """Return ``ballot`` if it is a mapping with all ``required`` keys and no others."""
    if not isinstance(ballot, Mapping):
        raise InvalidBallotError(f"a ballot must be a JSON object, not {type(ballot).__name__}")
    keys = set(ballot)
    missing = sorted(required - keys)
    if missing:
        raise InvalidBallotError(f"ballot is missing {', '.join(map(repr, missing))}")
    unknown = keys - required - optional
    if unknown:
        raise InvalidBallotError(f"ballot has unknown keys {sorted(map(repr, unknown))}")
    return ballot


def read_int(value: object, what: str) -> int:
    """Return ``value`` if it is an int; bools and floats are refused."""
    if type(value) is not int:
        raise InvalidBallotError(f"{what} must be an integer, not {type(value).__name__}")
    return value


def read_option(value: object, rules: Rules, what: str) -> int:
    """Return ``value`` if it is the index of an option."""
    option = read_int(value, what)
    if not 0 <= option < rules.n_options:
        raise InvalidBallotError(
            f"{what} {option} is not an option (options are 0 to {rules.n_options - 1})"
        )
    return option


def read_option_list(value: object, rules: Rules, what: str) -> tuple[int, ...]:
    """Return ``value`` if it is a list of option indices, none repeated."""
    if not isinstance(value, list | tuple):
        raise InvalidBallotError(f"{what} must be a list, not {type(value).__name__}")
    options = tuple(read_option(v, rules, f"{what} entry") for v in value)
    if len(set(options)) != len(options):
        repeated = sorted({o for o in options if options.count(o) > 1})
        raise InvalidBallotError(f"{what} lists option {repeated[0]} more than once")
    return options


def read_option_map(value: object, rules: Rules, what: str) -> dict[int, int]:
    """Return ``value`` as ``{option: non-negative int}``.

    Keys are option indices written as decimal strings without sign or leading zeros
    (``"0"``, ``"12"``), because the ballot travels as JSON.
    """
    if not isinstance(value, Mapping):
        raise InvalidBallotError(f"{what} must be a JSON object, not {type(value).__name__}")
    out: dict[int, int] = {}
    for key, amount in value.items():
        if not _is_index_string(key):
            raise InvalidBallotError(f"{what} key {key!r} is not an option index as a string")
        option = read_option(int(key), rules, f"{what} key")
        number = read_int(amount, f"{what} for option {option}")
        if number < 0:
            raise InvalidBallotError(f"{what} for option {option} is negative ({number})")
        out[option] = number
    return out


def _is_index_string(key: object) -> bool:
    """Return whether ``key`` is a short decimal string without sign or leading zeros."""
    if type(key) is not str or not 0 < len(key) <= 18:
        return False
    return key.isascii() and key.isdigit() and (key == "0" or not key.startswith("0"))

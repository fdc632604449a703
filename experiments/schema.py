"""The checks every experiment-like file goes through: one implementation, one kind of message.

Experiment files (``design``), their ``[map]`` and ``[sensitivity]`` tables (``scenario_map``,
``sensitivity``) and calibration targets files (``calibration``) are all TOML read into plain
tables. Every value is checked here, before any run starts, and a bad one raises one line::

    <file>: <key>: <what is wrong>; <what is allowed>

``error`` is the exception raised (``ExperimentError`` unless a caller has its own subclass, as
calibration's ``CalibrationError``). An unknown parameter name gets the model's own message
(``coprosim.model.Params``): the closest known names, never the list of all of them.
"""

from __future__ import annotations

import math
from typing import Any

from coprosim.model import ParameterError, Params


class ExperimentError(ParameterError):
    """A bad experiment file or request; the message is one line naming the file and the key."""


def fail(where: str, key: str, message: str, error: type = ExperimentError):
    """Raise ``error`` with the one-line message ``<where>: <key>: <message>``."""
    raise error(f"{where}: {key}: {message}" if key else f"{where}: {message}")


def only(where: str, key: str, table: dict, allowed: tuple[str, ...], what: str = "key",
         error: type = ExperimentError) -> None:
    """Every key of ``table`` is one of ``allowed``."""
    for name in table:
        if name not in allowed:
            fail(where, f"{key}.{name}" if key else name,
                 f"unknown {what}; allowed: {', '.join(allowed)}", error)


def table(where: str, key: str, value: Any, error: type = ExperimentError) -> dict:
    """A TOML table (a dict)."""
    if not isinstance(value, dict):
        fail(where, key, f"must be a table, got {value!r}", error)
    return value


def integer(where: str, key: str, value: Any, lo: int, hi: int,
            error: type = ExperimentError) -> int:
    """A whole number in [lo, hi] (``10.0`` is read as 10; ``true`` is not a number)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        fail(where, key, f"must be an integer in [{lo}, {hi}], got {value!r}", error)
    return value


def number(where: str, key: str, value: Any, error: type = ExperimentError) -> float:
    """A finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        fail(where, key, f"must be a finite number, got {value!r}", error)
    return float(value)


def fraction(where: str, key: str, value: Any, hi: float = 1.0,
             error: type = ExperimentError) -> float:
    """A number in (0, hi]."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= hi:
        fail(where, key, f"must be a number in (0, {hi:g}], got {value!r}", error)
    return float(value)


def boolean(where: str, key: str, value: Any, error: type = ExperimentError) -> bool:
    """``true`` or ``false``."""
    if not isinstance(value, bool):
        fail(where, key, f"must be true or false, got {value!r}", error)
    return value


def string(where: str, key: str, value: Any, error: type = ExperimentError) -> str:
    """A string."""
    if not isinstance(value, str):
        fail(where, key, f"must be a string, got {value!r}", error)
    return value


def name(where: str, value: Any, key: str = "experiment.name",
         error: type = ExperimentError) -> str:
    """A name usable as a folder: letters, digits, _ or -."""
    ok = isinstance(value, str) and value and all(ch.isalnum() or ch in "_-" for ch in value)
    if not ok:
        fail(where, key, f"must be a name of letters, digits, _ or -, got {value!r}", error)
    return value


def parameter_name(where: str, key: str, name: Any, error: type = ExperimentError) -> str:
    """A model parameter's name; an unknown one gets the closest known names."""
    try:
        Params.spec(name)
    except (ParameterError, KeyError, TypeError):
        message = unknown_parameter_message(name)
        if key.endswith(str(name)):
            message = message.split(": ", 1)[1]
        fail(where, key, message, error)
    return name


def unknown_parameter_message(name: Any) -> str:
    """The model's one-line message for an unknown parameter name (closest names, difflib)."""
    from coprosim.model import params

    return params._unknown_message(name)


def parameter_names(where: str, key: str, value: Any, error: type = ExperimentError) -> list[str]:
    """A list of model parameter names (duplicates dropped, order kept)."""
    if not isinstance(value, list):
        fail(where, key, f"must be a list of parameter names, got {value!r}", error)
    for i, item in enumerate(value):
        parameter_name(where, f"{key}[{i}]", item, error)
    return list(dict.fromkeys(value))


def parameter_value(where: str, key: str, name: str, value: Any,
                    error: type = ExperimentError) -> Any:
    """One parameter value checked against its range (``Params.spec``)."""
    parameter_name(where, key, name, error)
    try:
        return getattr(Params(**{name: value}), name)
    except ParameterError as exc:
        fail(where, key, str(exc).split(": ", 1)[1], error)


def parameter_ranges(where: str, key: str, ranges: dict,
                     error: type = ExperimentError) -> dict[str, tuple[float, float]]:
    """``name = [low, high]`` pairs, each end inside the parameter's allowed range."""
    result = {}
    for name_, pair in ranges.items():
        item = f"{key}.{name_}"
        parameter_name(where, item, name_, error)
        if not (isinstance(pair, list) and len(pair) == 2):
            fail(where, item, f"must be [low, high], got {pair!r}", error)
        lo = parameter_value(where, f"{item}[0]", name_, pair[0], error)
        hi = parameter_value(where, f"{item}[1]", name_, pair[1], error)
        if not lo < hi:
            fail(where, item, f"low must be below high, got [{lo}, {hi}]", error)
        result[name_] = (float(lo), float(hi))
    return result


def typed(name: str, value: float) -> Any:
    """A sampled value in its parameter's kind: integers are rounded."""
    kind = Params.spec(name)["kind"]
    return int(round(value)) if kind is int else float(value)

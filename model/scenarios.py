"""A preset as a Mesa ``Scenario`` (Mesa 3.5+), so a Mesa user meets the vocabulary they know.

Mesa 3.5 added ``mesa.experimental.scenarios.Scenario``: a bag of a model's parameters plus its
``rng``, given to the model as ``Model(scenario=...)``; a subclass's annotated class attributes are
its defaults (Mesa's own examples: ``WolfSheepScenario``, ``BoltzmannScenario``). Here each preset
is such a subclass, its defaults the preset's parameters::

    from coprosim.model.scenarios import as_mesa_scenario, params_of

    scenario = as_mesa_scenario("npm", rng=1, n_citizens=500)
    scenario.coproduction_share, scenario.n_citizens, scenario.rng   # 0.0, 500, 1
    params_of(scenario) == Params.preset("npm", n_citizens=500)      # True

``as_mesa_scenario`` checks every value as ``Params`` does (one-line ``ParameterError``). A
Scenario is mutable until its model runs; ``params_of`` checks it again. On Mesa 3.3.1 there is no
Mesa ``Scenario``: ``as_mesa_scenario`` says so in one line. docs/supported-versions.md says how
far a Mesa Scenario goes in coprosim and why presets stay ``Params``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import mesa

from .mesa_internals import MESA_3_5
from .params import PRESETS, ParameterError, Params


def _require_mesa_scenarios() -> type:
    """Mesa's ``Scenario`` class, or a one-line error on a Mesa without it."""
    if not MESA_3_5:
        raise ParameterError(f"scenario: Mesa's Scenario needs Mesa 3.5 or newer (Python 3.12+); "
                             f"installed: Mesa {mesa.__version__}; use Params.preset instead")
    from mesa.experimental.scenarios import Scenario

    return Scenario


def _check_preset(preset: str) -> None:
    if preset not in PRESETS:
        raise ParameterError(f"preset: unknown preset {preset!r}; allowed: {', '.join(PRESETS)}")


def class_name(preset: str) -> str:
    """``"npm_with_volunteers"`` -> ``"NpmWithVolunteersScenario"``."""
    return "".join(part.capitalize() for part in preset.split("_")) + "Scenario"


@cache
def scenario_class(preset: str) -> type:
    """The Mesa ``Scenario`` subclass of one preset: one annotated default per model parameter,
    the preset's value (``Params.preset(preset)``); ``preset`` names it (a class attribute, not a
    parameter). One class per preset, made once."""
    _check_preset(preset)
    scenario = _require_mesa_scenarios()
    values = Params.preset(preset).as_dict()
    kinds = {name: Params.spec(name)["kind"] for name in values}
    namespace: dict[str, Any] = {
        "__annotations__": kinds,
        **values,
        "preset": preset,
        "__doc__": f"coprosim's preset {preset!r} as a Mesa Scenario: {PRESETS[preset]['description']}",
        "__module__": __name__,
    }
    return type(class_name(preset), (scenario,), namespace)


def as_mesa_scenario(preset: str = "coproduction", rng=None, **overrides: Any):
    """The preset as a Mesa ``Scenario`` with ``rng`` (a seed) and parameter overrides, checked."""
    _check_preset(preset)
    _require_mesa_scenarios()
    Params.preset(preset, **overrides)  # every value checked now: a one-line error naming the field
    return scenario_class(preset)(rng=rng, **overrides)


def params_of(scenario) -> Params:
    """The model parameters a Mesa ``Scenario`` holds (its ``rng`` aside), checked as ``Params``."""
    values = {name: value for name, value in scenario if name != "rng"}
    return Params.from_dict(values)


def preset_and_params(scenario, params: Params | None = None,
                      overrides: dict[str, Any] | None = None) -> tuple[str | None, Params]:
    """The preset name and the parameters of a model given a Mesa ``Scenario``.

    The scenario holds every parameter, so ``params`` or overrides beside it are refused (one line
    naming them) rather than silently winning over it or losing to it. A plain Mesa ``Scenario``
    (not made by ``as_mesa_scenario``) has no preset name: ``None``.
    """
    if params is not None or overrides:
        given = "params" if params is not None else ", ".join(sorted(overrides or {}))
        raise ParameterError(f"scenario: a Mesa Scenario holds every parameter; give them in it, "
                             f"not beside it (got {given})")
    return getattr(scenario, "preset", None), params_of(scenario)

"""Where coprosim depends on how a Mesa version works inside, each behind one function.

coprosim supports two Mesa lines (docs/supported-versions.md): Mesa 3.3.1 on Python 3.11 and
Mesa 3.5+ on Python 3.12 and newer. What differs between them and touches the model is here:

- ``seed_arguments``: Mesa 3.5 deprecates ``Model(seed=...)`` (a ``FutureWarning`` on every model)
  in favour of ``rng=``; Mesa 3.3.1 documents ``seed=``. Both seed ``model.rng`` with
  ``numpy.random.default_rng(seed)`` and ``model.random`` with ``random.Random(seed)``, so one seed
  gives the same random numbers on both.
- ``network_arguments``: Mesa 3.5's ``Network`` lays the graph out in space
  (``networkx.spring_layout``) unless told not to: seconds per model for 1,000 citizens, and draws
  from numpy's global generator. The model's network is a social one, with no positions.
- ``network_cells``: node -> cell of a ``Network`` (Mesa keeps them in ``_cells``, both versions).
- ``forget_model``: Mesa 3.3.1's class-level ``Agent._ids`` keeps every model alive; Mesa 3.5
  numbers agents per model (``Model.agent_id_counter``) and has no such registry.

``tests/test_mesa_versions.py`` checks each of these against the installed Mesa, so a Mesa
release that changes one fails loudly there instead of silently somewhere in the week.
"""

from __future__ import annotations

import re

import mesa

from .params import ParameterError


def _version(text: str) -> tuple[int, int]:
    """(major, minor) of a version string such as ``"3.5.1"`` or ``"3.6.0.dev0"``."""
    match = re.match(r"(\d+)\.(\d+)", text)
    if match is None:
        raise RuntimeError(f"cannot read Mesa's version from {text!r}")
    return int(match.group(1)), int(match.group(2))


MESA_VERSION = _version(mesa.__version__)
# Mesa 3.5: rng= replaces seed=, Model.scenario is Mesa's, Network lays graphs out, no Agent._ids.
MESA_3_5 = MESA_VERSION >= (3, 5)


def seed_arguments(seed, rng, scenario=None) -> dict:
    """Keyword arguments that seed ``mesa.Model.__init__`` the way the installed Mesa expects.

    ``seed`` (an int) or ``rng`` (a seed or a numpy ``Generator``), not both; with neither, Mesa
    seeds from the operating system. ``scenario`` (Mesa 3.5+ only) is a Mesa ``Scenario``, which
    carries its own ``rng``: a ``seed`` or ``rng`` given beside it must be the same.
    """
    if seed is not None and rng is not None:
        raise ParameterError(f"seed: give seed or rng, not both (got seed={seed!r} and an rng)")
    given = seed if seed is not None else rng
    if scenario is not None:
        if not MESA_3_5:
            raise ParameterError(f"scenario: a Mesa Scenario needs Mesa 3.5 or newer "
                                 f"(installed: Mesa {mesa.__version__})")
        if given is not None and given is not scenario.rng and given != scenario.rng:
            raise ParameterError(f"seed: the scenario has rng={scenario.rng!r}; "
                                 f"give the seed once (got {given!r})")
        return {"scenario": scenario}
    if MESA_3_5:
        return {"rng": given}
    # Mesa 3.3.1: seed= keeps model._seed (used by Model.reset_randomizer); a Generator goes in rng=.
    return {"rng": rng} if rng is not None else {"seed": seed}


def network_arguments() -> dict:
    """Extra keyword arguments for ``mesa.discrete_space.Network``: no spatial layout on Mesa 3.5+."""
    return {"layout": None} if MESA_3_5 else {}


def network_cells(network) -> dict:
    """Node -> cell of a ``mesa.discrete_space.Network`` (Mesa keeps them in ``_cells``)."""
    return network._cells


def forget_model(model) -> None:
    """Drop Mesa 3.3.1's class-level registry entry for ``model`` (``Agent._ids``), which otherwise
    keeps every model alive. Mesa 3.5 has no such registry: nothing to drop."""
    if MESA_3_5:
        return
    from mesa.agent import Agent

    Agent._ids.pop(model, None)

"""The two places where coprosim relies on Mesa 3.3.1 internals, each behind one function.

``tests/test_model.py`` checks both against the installed Mesa, so an upgrade that changes them
fails loudly there instead of silently somewhere in the week.
"""

from __future__ import annotations


def network_cells(network) -> dict:
    """Node -> cell of a ``mesa.discrete_space.Network`` (Mesa keeps them in ``_cells``)."""
    return network._cells


def forget_model(model) -> None:
    """Drop Mesa's class-level registry entry for ``model`` (``Agent._ids``), which otherwise keeps
    every model alive (a Mesa 3.3.1 leak, fixed upstream in later releases)."""
    from mesa.agent import Agent

    Agent._ids.pop(model, None)


def seed_arguments(seed, rng) -> dict:
    """Keyword arguments that seed ``mesa.Model.__init__`` the way the installed Mesa expects."""
    return {"seed": seed, "rng": rng}

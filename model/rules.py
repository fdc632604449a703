"""The rules of each mode, as pairs ``(customer, co-creating)`` named after their parameters.

A rule is what an organisation could write down: what is permitted, expected, rewarded, and how
much time a case gets. ``CoproductionModel.rules.<name>`` holds the pair of parameter values
listed in ``params.MODE_RULES[<name>]``, so ``rules.invitation`` is
``(customer_invitation, cocreating_invitation)``. What staff and citizens actually do is their own
state (docs/ODD.md, section 3.3).
"""

from __future__ import annotations

from dataclasses import dataclass

from .params import MODE_RULES, Params


@dataclass(frozen=True, slots=True)
class ModeRules:
    """Each mode's rules: ``(customer mode, co-creating mode)`` pairs of parameter values."""

    voice: tuple[float, float]  # voice_bias, elite_capture: weight of voice in the queue
    need_priority: tuple[float, float]  # customer_need_priority, cocreating_need_priority
    invitation: tuple[float, float]  # customer_invitation, cocreating_invitation
    dialogue: tuple[float, float]  # customer_dialogue_overhead, dialogue_overhead
    targets: tuple[float, float]  # target_strength, cocreating_target_strength
    reflection: tuple[float, float]  # customer_reflection_learning, reflection_learning
    routine_learning: tuple[float, float]  # routine_learning, cocreating_routine_learning

    @classmethod
    def of(cls, params: Params) -> ModeRules:
        """The pairs of ``params``' values, one per entry of ``MODE_RULES``."""
        return cls(**{name: (getattr(params, customer), getattr(params, cocreating))
                      for name, (customer, cocreating) in MODE_RULES.items()})

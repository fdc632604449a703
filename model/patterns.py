"""The documented regions where each pattern appears (docs/ODD.md, section 5).

Pattern-oriented modelling (Grimm et al. 2005): each pattern is claimed only inside a region of the
parameter space, named here once so that the tests, the dashboard's lessons and the docs use the
same settings. A region is a set of overrides of the presets it compares; everything else is at its
default. These are not tuned results: they are the conditions the literature names for each
pattern (e.g. co-destruction: untrained staff, no reflection, low trust), and the tests check that
the pattern appears there. Where a pattern does not hold, the tests say so with an xfail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Region:
    """A pattern's region: what it shows, which presets it compares, and the overrides."""

    number: int
    title: str
    claim: str
    scenarios: tuple[str, ...]
    overrides: dict[str, Any] = field(default_factory=dict)
    n_citizens: int = 500
    steps: int = 150

    def settings(self, **more: Any) -> dict[str, Any]:
        """Overrides for ``CoproductionModel`` (population included), plus any ``more``."""
        return {"n_citizens": self.n_citizens, **self.overrides, **more}


# Co-destruction's conditions (Järvi et al. 2018; Engen et al. 2021): untrained staff, no
# training or reflection, low trust.
_UNTRAINED_LOW_TRUST = {"initial_coproduction_skill": 0.05, "training_hours": 0.0,
                        "reflection_learning": 0.0, "trust_level": 0.2}

REGIONS: dict[str, Region] = {
    "matthew": Region(
        1, "Matthew effect, and outreach against it",
        "Co-production without outreach, with unequal resources and scarce staff, widens the equity "
        "gap; outreach narrows it (Jakobsen & Andersen 2013).",
        ("coproduction_no_outreach", "coproduction"),
        {"resource_inequality": 1.5, "staff_per_1000": 10.0}),
    "withness": Region(
        7, "Trust through withness",
        "Where the citizen's input adds nothing to production (staff alone produce) and staff time "
        "is ample, co-production reduces about as much need as NPM; its trust is higher only where "
        "no encounter goes wrong (at the usual chance of co-destruction the trust its failures cost "
        "outweighs withness, and it ends a little below NPM's); without withness co-production's "
        "trust falls further behind NPM's ('withness-thinking').",
        ("npm", "coproduction"),
        {"substitution": 1.0, "staff_weight": 1.0, "staff_per_1000": 25.0}),
    "npm_wins_on_routine": Region(
        11, "NPM wins on routine",
        "With mostly simple needs, substitutable inputs, costly dialogue and scarce staff, NPM gives "
        "more public value per paid hour than co-production.",
        ("npm", "coproduction"),
        {"wicked_share": 0.05, "substitution": 1.0, "dialogue_overhead": 1.0, "staff_per_1000": 8.0}),
    "codestruction": Region(
        12, "Co-destruction",
        "With untrained staff, no reflection and low trust, co-production's public value and trust "
        "fall below NPM's, and it destroys more value.",
        ("npm", "coproduction"), dict(_UNTRAINED_LOW_TRUST)),
    "matthew_beyond_npm": Region(
        13, "Matthew effect beyond NPM",
        "Co-production without outreach, with high resource inequality and costly participation, ends "
        "with a wider equity gap than NPM with a queue by need.",
        ("coproduction_no_outreach", "npm"),
        {"resource_inequality": 1.5, "participation_cost": 1.0, "voice_bias": 0.0,
         "customer_need_priority": 1.0}),
    "volunteer_overload": Region(
        14, "Volunteer overload",
        "A volunteering programme that asks a few volunteers to join most encounters burns them out: "
        "their number stays far below that of a programme with a light load.",
        ("coproduction",), {"max_volunteer_share": 0.03, "volunteer_demand": 0.8}),
    "targets_on_routine": Region(
        15, "Targets help on routine work",
        "With simple needs and scarce staff, moderate targets raise throughput and public value "
        "(Gerrish 2016: a small positive average effect).",
        ("npm",), {"wicked_share": 0.05, "staff_per_1000": 8.0, "target_strength": 0.3}),
    "targets_on_wicked": Region(
        15, "Strong targets hurt on wicked needs",
        "With mostly wicked needs, strong targets lower public value and staff motivation against "
        "moderate ones (gaming and crowding-out: Bevan & Hood 2006; Deci et al. 1999).",
        ("npm",), {"wicked_share": 0.7, "target_strength": 1.0}),
    "emergence_positive": Region(
        16, "Emergence, the good way",
        "Where trust and skill are high, emergent value is positive and grows.",
        ("coproduction",), {"trust_level": 0.6, "initial_coproduction_skill": 0.6}),
    "emergence_negative": Region(
        16, "Emergence, the bad way",
        "Where co-destruction spreads (untrained staff, low trust, failures unnoticed, distrust "
        "contagious) and community channels are weak, emergent value turns negative.",
        ("coproduction",),
        {**_UNTRAINED_LOW_TRUST, "p_codestruction": 0.6, "codestruction_harm": 1.0,
         "distrust_contagion": 0.1, "accountability_diffusion": 1.0, "spillover": 0.25,
         "prevention": 0.15}),
    "neutral": Region(
        17, "Mechanism-on null",
        "With equal rules in both modes and every behavioural mechanism on, the two modes are "
        "equivalent: any difference would be keyed to a label.",
        ("neutral_npm", "neutral_coproduction"), {}, steps=100),
}

"""The ideas of Jensen & Thomassen (2020) and Thomassen & Jensen (2020), mapped to the model's
mechanisms and parameters, for students.

The two chapters: Jensen & Thomassen, "Organizing learning processes of co-production: a theoretical
view" (key terms: experience, reflection, emergence, contextualization, learning in organizations,
action research; the NPM critique), and "Knowledge building and learning in the public sector
through co-creation and 'withness-thinking'" (withness, wicked problems, action research).
Every parameter named here is checked against ``Params`` by the tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FIRST = "Jensen & Thomassen (2020)"
SECOND = "Thomassen & Jensen (2020)"
# The two works, named in full where the page introduces them.
WORKS = ("Jensen & Thomassen (2020), *Organizing learning processes of co-production: a "
         "theoretical view*, and Thomassen & Jensen (2020), *Knowledge building and learning in "
         "the public sector through co-creation and 'withness-thinking'*, both in *Processual "
         "Perspectives on the Co-Production Turn in Public Sector Organizations* (IGI Global)")


@dataclass(frozen=True)
class Idea:
    """One idea: what the chapters say, what the model does with it, and what to try.

    ``setup`` is the 'Try this' experiment as a one-click setup for
    ``settings.apply_setup`` (scenario or compared pair, and parameter values).
    """

    name: str
    chapters: str
    mechanism: str
    parameters: tuple[str, ...]
    try_this: str
    setup: dict[str, Any] = field(default_factory=dict)
    source: str = FIRST  # the work the idea is taken from


IDEAS: list[Idea] = [
    Idea(
        "Experience",
        "Learning, reflection and habits grow out of what people actually do, in a given social "
        "setting.",
        "Citizens who take part learn by doing: their skill and their sense of agency (efficacy) "
        "grow, with diminishing returns, and their habit of taking part moves toward what they "
        "practised. Without practice the habit fades.",
        ("learning_rate", "efficacy_gain", "habit_rate", "habit_decay"),
        "Run co-production for 100 weeks, then set learning by doing to 0 and press Reset: the "
        "first run stays as a faint ghost on the charts. Compare efficacy (More charts).",
        {"scenario": "coproduction", "overrides": {"learning_rate": 0.0}},
    ),
    Idea(
        "Reflection",
        "Bringing basic assumptions and habits into attention so that thinking, acting and "
        "interacting can change.",
        "Every few weeks co-creating teams hold a review: they look at which group of citizens "
        "is worst off and point their outreach there, and their co-production skill and "
        "interactional habits move toward co-creation. Under NPM rules the review is a "
        "performance review instead: a target that was met is raised.",
        ("reflection_interval", "reflection_learning", "target_ratchet"),
        "Run co-production, then set the reflection interval to 0 (no reviews) and Reset: "
        "compare participation with the ghost of the first run.",
        {"scenario": "coproduction", "overrides": {"reflection_interval": 0}},
    ),
    Idea(
        "Emergence",
        "Planned and unplanned change, which can create unexpected value.",
        "An encounter sometimes produces an innovation, more often when those present "
        "contribute in diverse ways and trust each other. It gives a lasting local gain that "
        "spreads to neighbours who take part. Its value is emergent value, with a chart of its "
        "own: it is not planned and differs from seed to seed.",
        ("p_innovation", "innovation_size", "innovation_spread"),
        "Run co-production with seeds 1, 2 and 3 (type the seed, Enter): how much does the "
        "Emergent value chart differ from its ghost?",
        {"scenario": "coproduction", "seed": 2},
    ),
    Idea(
        "Contextualization",
        "The conditions under which social processes play out shape what comes out of them.",
        "The same rules give different results in different settings: how unequal resources are, "
        "how many problems are wicked, whether staff can do the job alone (substitutes) or "
        "nothing happens without the citizen (complements).",
        ("resource_inequality", "wicked_share", "substitution", "network_rewiring"),
        "Side by side, set substitution to 1 (substitutes) and Reset: does co-production "
        "still win on wellbeing?",
        {"compare": True, "left": "npm", "right": "coproduction",
         "overrides": {"substitution": 1.0}},
    ),
    Idea(
        "Learning in organizations",
        "A meaningful change of interactional habits that creates conditions for new experience "
        "and practice.",
        "Each staff member has an interactional habit, from customer service (0) to co-creating "
        "(1), which drifts toward the mode they work in and is moved by reflection cycles. "
        "Skilled, co-creating staff make citizens' effort count for more.",
        ("coproduction_share", "reflection_learning", "initial_coproduction_skill"),
        "Try the hybrid scenario: habits settle half-way.",
        {"scenario": "hybrid"},
    ),
    Idea(
        "Withness",
        "'Withness-thinking': public staff work with citizens, as partners, not on them or for "
        "them.",
        "Trust rises when a request is met, and rises further when the citizen was treated as a "
        "partner, in proportion to the part they played in the encounter.",
        ("withness", "trust_gain"),
        "Run co-production for 100 weeks, then set withness to 0 and press Reset: the first "
        "run stays as a faint ghost, so the Trust chart shows how much is left.",
        {"scenario": "coproduction", "overrides": {"withness": 0.0}},
        source=SECOND,
    ),
    Idea(
        "Citizens as customers, pacified (NPM critique)",
        "NPM language and logic treat citizens as customers or consumers, which can pacify them.",
        "In the customer mode staff invite and use only part of what the citizen offers to a "
        "standard service. Receiving help passively slowly erodes a citizen's sense of agency.",
        ("customer_invitation", "pacification"),
        "Run NPM and watch efficacy (More charts), then set pacification to 0 and Reset: "
        "compare with the ghost.",
        {"scenario": "npm", "overrides": {"pacification": 0.0}},
    ),
    Idea(
        "Alienated citizens (NPM critique)",
        "Citizens can become alienated from public institutions.",
        "After several unmet requests, a citizen whose trust is low stops asking for help. The "
        "need does not go away: it becomes hidden need, and the citizen turns vermilion in the "
        "network.",
        ("withdraw_after", "withdraw_trust", "trust_loss", "p_return"),
        "Side by side, play 50 weeks: count the vermilion triangles (withdrawn) in each network "
        "and compare the dashed line of the Trust chart.",
        {"compare": True, "left": "npm", "right": "coproduction"},
    ),
    Idea(
        "Serving resourceful citizens first (NPM critique)",
        "Staff reduced to 'service providers' for resourceful citizens.",
        "Under customer rules requests are queued by voice (resources times efficacy) rather "
        "than need, and performance targets push staff toward quick cases (cream-skimming). "
        "Target pressure also crowds out staff's own motivation.",
        ("voice_bias", "target_strength", "crowding_out"),
        "Run NPM for 100 weeks, then set voice bias to 0 and Reset; compare the equity gap "
        "(More charts) with the ghost.",
        {"scenario": "npm", "overrides": {"voice_bias": 0.0}},
    ),
    Idea(
        "Weak citizens left behind (NPM critique)",
        "The same system limits the flourishing of citizens in weak social positions.",
        "Taking part costs more time for those with few resources, so co-production alone can "
        "widen gaps (the Matthew effect). Outreach reserves part of co-creating time for "
        "citizens with few resources and lowers their cost of taking part.",
        ("participation_cost", "outreach_share", "outreach_support"),
        "Side by side: co-production against co-production without outreach, with unequal "
        "resources (resource inequality 1.5) and scarce staff (10 per 1,000 citizens); at the "
        "defaults outreach has little to do. Watch the equity gap and hidden need (More "
        "charts).",
        {"compare": True, "left": "coproduction", "right": "coproduction_no_outreach",
         "overrides": {"resource_inequality": 1.5, "staff_per_1000": 10.0}},
    ),
    Idea(
        "Wicked problems",
        "Welfare tasks that are complex and need several actors to solve.",
        "A share of new needs is wicked. One actor alone loses productivity on them; encounters "
        "where staff, citizen and volunteers all contribute lose none.",
        ("wicked_share", "wicked_penalty"),
        "Run co-production, then raise the share of wicked problems to 0.8 and Reset; compare "
        "public value (More charts) with the ghost.",
        {"scenario": "coproduction", "overrides": {"wicked_share": 0.8}},
        source=SECOND,
    ),
    Idea(
        "Action research",
        "Research done with the actors concerned, aiming at value-creating change of practice: "
        "plan, act, observe, reflect.",
        "The teams' reflection cycle is such a loop inside the model. This dashboard is one for "
        "you: state what you expect, run, observe the panels, reflect, change one parameter, run "
        "again with the same seed.",
        ("reflection_interval",),
        "Write down a prediction before pressing Play.",
    ),
]


def idea_markdown(idea: Idea, label_of, meaning_of) -> str:
    """The card text of one idea: ``label_of(name)`` is a parameter's readable name and
    ``meaning_of(name)`` its one-line meaning. Parameters the model no longer has are left out."""
    params = "\n".join(f"- **{label_of(name)}** (`{name}`): {meaning_of(name)}"
                       for name in idea.parameters if meaning_of(name) is not None)
    return (f"**{idea.source}.** {idea.chapters}\n\n"
            f"**In the model.** {idea.mechanism}\n\n"
            f"**Parameters.**\n\n{params}\n\n"
            f"**Try this.** {idea.try_this}")

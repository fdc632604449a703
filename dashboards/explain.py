"""The ideas of Jensen & Thomassen (2020) and Thomassen & Jensen (2020), mapped to the model's
mechanisms and parameters, for students.

The two works: Jensen & Thomassen (2020), "Organizing learning processes of co-production: a
theoretical view" (key terms: experience, reflection, emergence, contextualization, learning in
organizations, action research; the NPM critique), and Thomassen & Jensen (2020), "Knowledge
building and learning in the public sector through co-creation and 'withness-thinking'"
(withness, wicked problems, action research). Every parameter named here is checked against
``Params`` by the tests.

Each idea's 'Try this' is an experiment with a one-click setup (``setup``) and, for most, a
second run (``then``: the parameter values it changes, the first run kept as the faint ghost).
What a 'Try this' tells students to look for is written as data (``effects``, the lessons'
``Effect``): ``tests/test_dashboard_ideas.py`` checks on seeds the cards were not written for that
each is visible (at least 5%, paired p < 1%; ``python -m coprosim.dashboards.lesson_check
--ideas`` prints the same lines), and docs/lessons_check.md records the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from coprosim.dashboards.lessons import Effect, Measure

FIRST = "Jensen & Thomassen (2020)"
SECOND = "Thomassen & Jensen (2020)"
# The two works, named in full where the page introduces them.
WORKS = ("Jensen & Thomassen (2020), *Organizing learning processes of co-production: a "
         "theoretical view*, and Thomassen & Jensen (2020), *Knowledge building and learning in "
         "the public sector through co-creation and 'withness-thinking'*, both in *Processual "
         "Perspectives on the Co-Production Turn in Public Sector Organizations* (IGI Global)")
WEEKS = 100  # how long a 'Try this' asks the class to play (each run)


@dataclass(frozen=True)
class Idea:
    """One idea: what the work says (``theory``), what the model does with it (``mechanism``), its
    parameters, and what to try.

    ``setup`` is the 'Try this' experiment's first run as a one-click setup for
    ``settings.apply_setup`` (scenario or compared pair, and parameter values); ``then`` (optional)
    the parameter values the second run changes, its button labelled ``then_label``. ``effects``
    are what the 'Try this' tells students to look for, in the lessons' terms (stage "setup" is
    the first run, "then" the second), each measured over runs of ``weeks`` weeks. The same
    attributes as a lesson (``key``, ``stages``, ``setup_of``), so that ``lesson_check`` checks
    an idea as it checks a lesson.
    """

    name: str
    theory: str
    mechanism: str
    parameters: tuple[str, ...]
    try_this: str
    setup: dict[str, Any] = field(default_factory=dict)
    source: str = FIRST  # the work the idea is taken from
    then: dict[str, Any] = field(default_factory=dict)
    then_label: str = ""
    effects: tuple[Effect, ...] = ()
    weeks: int = WEEKS

    @property
    def key(self) -> str:
        return self.name

    @property
    def stages(self) -> tuple[str, ...]:
        return ("setup", "then") if self.then else ("setup",)

    def setup_of(self, stage: str) -> dict[str, Any]:
        """The one-click setup of the first run ("setup") or of the second ("then": the first
        run's setup with ``then``'s values on top)."""
        if stage == "then" and self.then:
            return {**self.setup, "overrides": {**self.setup.get("overrides", {}), **self.then}}
        return self.setup


def rises(text: str, metric: str, scenario: str, start: int = -50,
          stop: int | None = None) -> Effect:
    """The second run's ``metric`` ends above the first run's (the ghost)."""
    return Effect(text, metric, Measure(scenario, "then", start, stop),
                  Measure(scenario, "setup", start, stop))


def falls(text: str, metric: str, scenario: str, start: int = -50,
          stop: int | None = None) -> Effect:
    """The second run's ``metric`` ends below the first run's (the ghost)."""
    return Effect(text, metric, Measure(scenario, "setup", start, stop),
                  Measure(scenario, "then", start, stop))


def above(text: str, metric: str, more: str, less: str, stage: str = "setup", start: int = -50,
          stop: int | None = None) -> Effect:
    """Side by side: ``more``'s ``metric`` ends above ``less``'s."""
    return Effect(text, metric, Measure(more, stage, start, stop),
                  Measure(less, stage, start, stop))


def gains_on(text: str, metric: str, regime: str, other: str) -> Effect:
    """Side by side: in the second run ``regime``'s ``metric`` is further above ``other``'s
    (or less far below) than in the first."""
    return Effect(text, metric, Measure(regime, "then", minus=Measure(other, "then")),
                  Measure(regime, "setup", minus=Measure(other, "setup")))


def about_equal(text: str, metric: str, scenario: str, within: float) -> Effect:
    """The second run's ``metric`` differs from the first run's by less than ``within`` of it."""
    return Effect(text, metric, Measure(scenario, "then"), Measure(scenario, "setup"),
                  equal_within=within)


IDEAS: list[Idea] = [
    Idea(
        "Experience",
        "Learning, reflection and habits grow out of what people actually do, in a given social "
        "setting.",
        "Citizens who take part learn by doing: their skill grows with the part they played and "
        "their sense of agency (efficacy) with the value they saw created, both with diminishing "
        "returns. Their habit of taking part moves toward what they practised and fades without "
        "practice, and what taking part brought them sets the benefit they expect of it next "
        "time. Skill makes their input count for more, so more of their need is met and taking "
        "part seems more worth it, to them and, through the network, to their neighbours.",
        ("learning_rate", "efficacy_gain", "habit_rate", "habit_decay", "benefit_memory"),
        "Set this up (co-production) and play 100 weeks. Then, back on this card, press 'Then: no "
        "learning by doing' (learning by doing 0) and play 100 weeks again: the first run stays "
        "on the charts as a faint ghost. Compare Participation, and Hidden need (More charts), "
        "with the ghost.",
        {"scenario": "coproduction"},
        then={"learning_rate": 0.0}, then_label="Then: no learning by doing",
        effects=(
            falls("Without learning by doing fewer citizens take part.", "participation_rate",
                  "coproduction"),
            rises("Without learning by doing more need is hidden.", "hidden_need",
                  "coproduction"),
        ),
    ),
    Idea(
        "Reflection",
        "Bringing basic assumptions and habits into attention so that thinking, acting and "
        "interacting can change.",
        "Every few weeks the team holds a review. Where staff work in the co-creating mode it "
        "is a reflection cycle: the team looks at which group of citizens is worst off and "
        "points its outreach there, staff become better facilitators, and each staff member's "
        "invitation of citizens' input moves with the evidence of what encounters with and "
        "without that input achieved. Under customer rules the review is a performance review "
        "instead: the first sets a stretch target, a target that was met is raised, and "
        "pressure follows the gap.",
        ("reflection_interval", "reflection_learning", "reflection_hours", "target_ratchet"),
        "Set this up (co-production) and play 100 weeks. Then, back on this card, press 'Then: no "
        "reviews' (reflection interval 0) and play again: compare Participation, and Hidden need "
        "(More charts), with the ghost of the first run.",
        {"scenario": "coproduction"},
        then={"reflection_interval": 0}, then_label="Then: no reviews",
        effects=(
            falls("Without reviews fewer citizens take part.", "participation_rate",
                  "coproduction"),
            rises("Without reviews more need is hidden.", "hidden_need", "coproduction"),
        ),
    ),
    Idea(
        "Emergence",
        "Planned and unplanned change, which can create unexpected value.",
        "Value nobody planned. Neighbours with co-production skill and the habit of taking part "
        "help each other along their ties, and so prevent some new needs; an encounter "
        "sometimes produces an innovation, more often when those present contribute in diverse "
        "ways and trust each other, and innovations spread to neighbours who take part. "
        "Encounters that go wrong destroy value (co-destruction). The Emergent value chart adds "
        "innovations, help between neighbours and needs prevented, less the value destroyed: it "
        "can go below zero, and it differs from seed to seed.",
        ("tie_help", "prevention", "spillover", "p_innovation", "innovation_size",
         "innovation_spread", "p_codestruction"),
        "Set this up (co-production) and play 100 weeks. Then, back on this card, press 'Then: no "
        "help along ties' (tie help 0) and play again: what is left of the Emergent value chart "
        "without help between neighbours? Last, press 'Set this up' again and try seeds 1, 2 "
        "and 3 (type the seed, Enter): how much does emergent value differ from seed to seed?",
        {"scenario": "coproduction"},
        then={"tie_help": 0.0}, then_label="Then: no help along ties",
        effects=(
            falls("Without help along ties emergent value ends far lower.", "emergent_value",
                  "coproduction"),
        ),
    ),
    Idea(
        "Contextualization",
        "The conditions under which social processes play out shape what comes out of them.",
        "The same rules give different results in different settings: how unequal resources "
        "are, how many problems are wicked, whether staff could do the job alone (substitutes) "
        "or nothing happens without the citizen (complements), and the social network that "
        "carries behaviour. Taking part spreads as a complex contagion: engaged neighbours add "
        "to a citizen's pull to take part only once enough of them set an example; help between "
        "neighbours travels only along ties.",
        ("resource_inequality", "wicked_share", "substitution", "network_rewiring",
         "neighbour_influence", "peer_threshold"),
        "Set this up (NPM and co-production side by side) and play 100 weeks: which regime "
        "leads on wellbeing, and by how much? Then, back on this card, press 'Then: staff could "
        "do it alone' (substitution 1: staff's and citizens' inputs are substitutes) and play "
        "again: which leads now? Each regime's first run stays as its ghost.",
        {"compare": True, "left": "npm", "right": "coproduction"},
        then={"substitution": 1.0}, then_label="Then: staff could do it alone",
        effects=(
            gains_on("Where staff could do the job alone, co-production gains on NPM in "
                     "wellbeing.", "mean_wellbeing", "coproduction", "npm"),
        ),
    ),
    Idea(
        "Learning in organizations",
        "A meaningful change of interactional habits that creates conditions for new experience "
        "and practice.",
        "Each staff member has their own habit of inviting citizens' input, from none (0) to "
        "all they offer (1), and learns it: from their own encounters (one that brought more "
        "relief than they have come to expect makes them invite more, one that went wrong makes "
        "them wary; under target pressure relief counts less and dialogue time more), from "
        "colleagues (team culture), from the evidence reviews look at, and from what the rule of "
        "their mode expects, which only pulls. Training and reflection make them better "
        "facilitators, so citizens' effort counts for more.",
        ("invitation_learning", "aspiration_memory", "failure_aversion", "team_influence",
         "norm_pull", "initial_invitation", "training_hours", "reflection_learning"),
        "Set this up (co-production) and play 100 weeks. Then, back on this card, press 'Then: "
        "the rule stops pulling' (norm pull 0: staff learn only from their encounters, colleagues "
        "and reviews) and play again: compare Emergent value, and Value destroyed on the Public "
        "value chart, with the ghost.",
        {"scenario": "coproduction"},
        then={"norm_pull": 0.0}, then_label="Then: the rule stops pulling",
        effects=(
            falls("Without the rule's pull emergent value ends lower.", "emergent_value",
                  "coproduction"),
            falls("Without the rule's pull less value is destroyed (staff wary of failures "
                  "invite less).", "value_destroyed", "coproduction"),
        ),
    ),
    Idea(
        "Withness",
        "'Withness-thinking': public staff work with citizens, as partners, not on them or for "
        "them.",
        "Trust rises when a request is met, with the share of the need met, and rises further "
        "when the citizen was treated as a partner, with the part they played in the "
        "encounter. An encounter that goes wrong costs trust, the citizen's and their "
        "neighbours'.",
        ("withness", "trust_gain", "codestruction_trust_loss", "distrust_contagion"),
        "Set this up (co-production) and play 100 weeks. Then, back on this card, press 'Then: no "
        "withness' (withness 0) and play again: how much of co-production's trust did being a "
        "partner build? Read the Trust numbers, not only the lines, which lie close together: is "
        "withness a large part of trust, or a small one? (Lesson 4 compares the two regimes where "
        "they meet about the same need.)",
        {"scenario": "coproduction"},
        then={"withness": 0.0}, then_label="Then: no withness",
        effects=(
            about_equal("Without withness trust ends within 5% of the first run's: a small "
                        "part of trust.", "mean_trust", "coproduction", 0.05),
        ),
        source=SECOND,
    ),
    Idea(
        "Citizens as customers, pacified (NPM critique)",
        "NPM language and logic treat citizens as customers or consumers, which can pacify them.",
        "Customer rules expect staff to invite only part of what the citizen offers into a "
        "standard service; each staff member's own invitation is pulled toward that expectation "
        "and learned from their encounters. A citizen who is served passively, their effort "
        "not invited, slowly loses their sense of agency (pacification).",
        ("customer_invitation", "norm_pull", "pacification"),
        "Set this up (NPM) and play 100 weeks. Then, back on this card, press 'Then: no "
        "pacification' (pacification 0) and play again: compare Efficacy (More charts) with the "
        "ghost.",
        {"scenario": "npm"},
        then={"pacification": 0.0}, then_label="Then: no pacification",
        effects=(
            rises("Without pacification NPM's citizens end with more efficacy.",
                  "mean_efficacy", "npm"),
        ),
    ),
    Idea(
        "Alienated citizens (NPM critique)",
        "Citizens can become alienated from public institutions.",
        "After several unmet requests, a citizen whose trust is low stops asking for help. The "
        "need does not go away: it becomes hidden need, and the citizen turns vermilion in the "
        "network. Withdrawal follows unmet requests, whichever rules leave them unmet.",
        ("withdraw_after", "withdraw_trust", "trust_loss", "p_return"),
        "Side by side, play 50 weeks: in which network are there more vermilion triangles "
        "(withdrawn)? Waiting time (More charts) tells why: co-production's longer encounters "
        "leave more requests waiting. The critique is aimed at NPM: back on this card, press "
        "'Then: fewer staff' (10 staff per 1,000 citizens) and play 50 weeks again. Does NPM "
        "still keep its citizens asking?",
        {"compare": True, "left": "npm", "right": "coproduction"},
        then={"staff_per_1000": 10.0}, then_label="Then: fewer staff",
        effects=(
            above("At the usual staffing more citizens withdraw under co-production than under "
                  "NPM.", "withdrawn_share", "coproduction", "npm", start=-10),
            above("At the usual staffing co-production's citizens wait longer.", "waiting_time",
                  "coproduction", "npm", start=-10),
            rises("With fewer staff NPM's citizens withdraw too.", "withdrawn_share", "npm",
                  start=-10),
        ),
        weeks=50,
    ),
    Idea(
        "Serving resourceful citizens first (NPM critique)",
        "Staff reduced to 'service providers' for resourceful citizens.",
        "Under customer rules the queue weighs voice, resources times efficacy (voice bias), "
        "rather than need or turn, and target pressure puts quick cases first (cream-skimming) "
        "and crowds out staff's own motivation. Voice decides only where staff cannot serve "
        "every request: at the usual staffing NPM's staff have hours to spare.",
        ("voice_bias", "customer_need_priority", "target_strength", "crowding_out"),
        "Set this up (NPM, unequal resources: resource inequality 1.5, and scarce staff: 10 per "
        "1,000 citizens) and play 100 weeks. Then, back on this card, press 'Then: no voice in "
        "the queue' (voice bias 0: requests taken in turn) and play again: compare the Equity gap "
        "(More charts) with the ghost.",
        {"scenario": "npm", "overrides": {"resource_inequality": 1.5, "staff_per_1000": 10.0}},
        then={"voice_bias": 0.0}, then_label="Then: no voice in the queue",
        effects=(
            falls("Without voice in the queue the equity gap ends narrower.", "equity_gap",
                  "npm"),
        ),
    ),
    Idea(
        "Weak citizens left behind (NPM critique)",
        "The same system limits the flourishing of citizens in weak social positions.",
        "Taking part costs more time for those with few resources, and their encounters take "
        "longer, so co-production alone can widen gaps (the Matthew effect). Outreach reserves "
        "part of staff time for one group of citizens (at first those with the fewest "
        "resources; reflection cycles move it to the group worst off), reaches them before "
        "they ask, and lowers their cost of taking part.",
        ("participation_cost", "disadvantage_extra_time", "outreach_share", "outreach_support"),
        "Side by side: co-production against co-production without outreach, with unequal "
        "resources (resource inequality 1.5) and scarce staff (10 per 1,000 citizens); at the "
        "defaults outreach has little to do. Play 100 weeks and watch the Equity gap and Hidden "
        "need (More charts).",
        {"compare": True, "left": "coproduction", "right": "coproduction_no_outreach",
         "overrides": {"resource_inequality": 1.5, "staff_per_1000": 10.0}},
        effects=(
            above("Without outreach the equity gap ends wider.", "equity_gap",
                  "coproduction_no_outreach", "coproduction"),
            above("Without outreach more need is hidden.", "hidden_need",
                  "coproduction_no_outreach", "coproduction"),
        ),
    ),
    Idea(
        "Wicked problems",
        "Welfare tasks that are complex and need several actors to solve.",
        "A share of new needs is wicked: they take longer, and an encounter loses productivity "
        "on them unless staff, citizen and volunteers all contribute (the more diverse the "
        "inputs, the less it loses). Under strong targets staff also hold back effort from "
        "wicked, unmeasured need (gaming).",
        ("wicked_share", "wicked_penalty", "wicked_extra_time", "target_gaming"),
        "Set this up (co-production, mostly wicked needs: share of wicked problems 0.7) and play "
        "100 weeks. Then, back on this card, press 'Then: no wicked penalty' (penalty on wicked "
        "needs 0: one actor alone does as well as several) and play again: compare Public value "
        "on wicked needs (More charts) with the ghost. That difference is what working alone "
        "costs on wicked problems. Does NPM lose more of it, or less? Try the same side by side.",
        {"scenario": "coproduction", "overrides": {"wicked_share": 0.7}},
        then={"wicked_penalty": 0.0}, then_label="Then: no wicked penalty",
        effects=(
            rises("Without the wicked penalty more value is created on wicked needs.",
                  "wicked_value", "coproduction"),
        ),
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
    return (f"**{idea.source}.** {idea.theory}\n\n"
            f"**In the model.** {idea.mechanism}\n\n"
            f"**Parameters.**\n\n{params}\n\n"
            f"**Try this.** {idea.try_this}")

"""The "Explain the ideas" tab: each idea of Jensen & Thomassen (2020) and Thomassen & Jensen
(2020) as a mechanism of the model, with its parameters and a one-click experiment."""

from __future__ import annotations

import solara
from coprosim.dashboards.components.base import Prose
from coprosim.dashboards.explain import IDEAS, WORKS, idea_markdown
from coprosim.dashboards.settings import parameter_label
from coprosim.model import Params


@solara.component
def ExplainView(on_setup):
    """The ideas of Jensen & Thomassen (2020) and Thomassen & Jensen (2020), each mapped to its
    mechanism and parameters, in plain words, with a button that sets up its experiment and, for
    most, a second that runs it again with one thing changed (the first run as the ghost)."""
    Prose(
        "### From the theory to the model\n"
        f"The ideas come from two works: {WORKS}. Each idea is a mechanism in the model, and "
        "each mechanism has a parameter that sets its strength. Change one, keep the seed, "
        "press Reset: the run before stays on the charts as a faint ghost, so you can see what "
        "the change did. Each 'Try this' has a button that sets it up and, for most, a second "
        "(back on the card) that changes one thing and runs again with the first run as the "
        "ghost.")
    known = set(Params.field_names())

    def meaning(name):
        if name not in known:
            return None
        spec = Params.spec(name)
        return f"{spec['meaning']} ({spec['unit']})"

    with solara.ColumnsResponsive(default=12, large=6):
        for idea in IDEAS:
            with solara.Card(idea.name):
                Prose(idea_markdown(idea, parameter_label, meaning))
                if idea.setup:
                    with solara.Row(gap="8px"):
                        solara.Button("Set this up", color="primary", outlined=True,
                                      on_click=lambda setup=idea.setup: on_setup(setup))
                        if idea.then:
                            # the second run: the first (played) stays on the charts as the ghost
                            then = idea.setup_of("then")
                            solara.Button(idea.then_label, color="primary", outlined=True,
                                          on_click=lambda then=then: on_setup(then))


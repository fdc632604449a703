"""coprosim's teaching dashboard (Solara): one regime, or two side by side from the same seed.

Start it with ``coprosim dashboard`` or ``solara run dashboards/app.py``. Everything a session
needs (its models, its pictures, its settings) lives in component state created per browser
session, so several students can use one server at once. The page draws with matplotlib only and
loads nothing from the internet.

Layout for a classroom projector: the page fills the window without scrolling at 1366x768 (run
controls; the network or the twin networks; the headline numbers; the four key charts) and
grows with a larger window; more charts open below on request. Settings live in the address
bar, so a link or a reload reproduces the setup (and replays to the week it was paused at).

This module only puts the page together; its parts live in ``dashboards/components/`` by area
(state, controls, charts, table, lessons, explain; see that package's docstring). Two hooks let
other packages add to the page without editing it:

- ``TAB_PROVIDERS``: tabs after the built-in ones, each (label, module, component name); a tab
  whose module cannot be imported is left out. ``dashboards/classroom``'s ``ClassTab`` is one;
  it is called as ``ClassTab(state=state)`` with the tab's ``DashboardState``.
- ``ROUTE_PROVIDERS``: extra pages of the server, each (module, attribute) naming a list of
  ``solara.Route`` (for instance a ``/join`` page for students); ``routes`` is what Solara serves,
  with ``/worksheets`` (every lesson as a printable one-page worksheet) built in.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import solara
import solara.lab

try:
    import coprosim  # noqa: F401  (the package is installed editable in the project's venv)
except ModuleNotFoundError:  # run from a plain checkout: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coprosim.dashboards.components.base import div as _div
from coprosim.dashboards.components.bridge import Bridge
from coprosim.dashboards.components.charts import SimulationView
from coprosim.dashboards.components.controls import TITLE, Controls  # noqa: F401
from coprosim.dashboards.components.explain import ExplainView
from coprosim.dashboards.components.lessons import LessonsView, load_lessons  # noqa: F401
from coprosim.dashboards.components.state import TABS, DashboardState, use_dashboard_state
from coprosim.dashboards.components.style import CSS
from coprosim.dashboards.components.table import HEADLINES  # noqa: F401  (tests read it here)
from coprosim.dashboards.components.worksheets import WorksheetsPage
from coprosim.dashboards.session import Session

SESSION_CULL = "2m"  # a closed tab's session is freed after this (Solara's default: 24 h)

# Tabs other packages add after Simulation, Explain the ideas and Lessons:
# (label, module, component); the component is called with state=DashboardState.
TAB_PROVIDERS: list[tuple[str, str, str]] = [
    ("Class", "coprosim.dashboards.classroom", "ClassTab"),
]
# Pages other packages add to the server: (module, attribute holding a list of solara.Route).
ROUTE_PROVIDERS: list[tuple[str, str]] = [
    ("coprosim.dashboards.classroom", "routes"),
]


def _classroom_server_settings() -> None:
    """No 'This website runs on Solara' badge (it covers a chart on a projector), and sessions
    freed soon after their tab closes, unless the environment says otherwise."""
    import os

    try:
        import solara.server.settings as server_settings

        server_settings.theme.show_banner = False
        if "SOLARA_KERNEL_CULL_TIMEOUT" not in os.environ:
            server_settings.kernel.cull_timeout = SESSION_CULL
    except (ImportError, AttributeError):  # pragma: no cover - older or newer Solara
        pass


_classroom_server_settings()


def _provided(module: str, name: str):
    """``module.name`` if the module imports and has it, else None (an optional part)."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def extra_tabs() -> list[tuple[str, object]]:
    """(label, component) of each provided tab whose package is importable."""
    tabs = []
    for label, module, name in TAB_PROVIDERS:
        component = _provided(module, name)
        if component is not None:
            tabs.append((label, component))
    return tabs


@solara.component
def MainTabs(state: DashboardState):
    """Simulation, Explain the ideas, Lessons (if any), then the provided tabs (Class, ...).
    Only the tab shown is built: every element on the page costs time whenever it renders."""
    tab = state.tab
    extra = solara.use_memo(extra_tabs, [])
    with solara.lab.Tabs(value=tab):
        with solara.lab.Tab("Simulation"):
            with _div("cp-tabbody"):
                SimulationView(state.session, state.version, state.more, state.sizes,
                               state.key_measures())
        with solara.lab.Tab("Explain the ideas"):
            if tab.value == TABS["explain"]:
                with _div("cp-tabbody", "height: calc(100vh - 50px)"):
                    ExplainView(state.set_up_idea)
        if state.lessons:
            with solara.lab.Tab("Lessons"):
                if tab.value == TABS["lessons"]:
                    with _div("cp-tabbody", "height: calc(100vh - 50px)"):
                        LessonsView(state.lessons, state.start_lesson, state.lesson_shown.value,
                                    state.lesson_shown.set)
        first = TABS["lessons"] + 1 if state.lessons else TABS["lessons"]
        for offset, (label, component) in enumerate(extra):
            with solara.lab.Tab(label):
                if tab.value == first + offset:
                    with _div("cp-tabbody", "height: calc(100vh - 50px)"):
                        component(state=state)


@solara.component
def Dashboard(session_factory=Session, query: str | None = None, on_location=None):
    """The whole page. ``session_factory`` lets tests hold on to the session they render;
    ``query`` is the address bar's query string (settings and week), ``on_location`` is called
    with a new one whenever the run's settings or paused week change."""
    state = use_dashboard_state(session_factory, query, on_location)
    bridge = solara.use_memo(lambda: make_bridge(state), [])
    solara.Style(CSS)
    with _div("cp-page cp-present" if state.present.value else "cp-page"):
        with _div("cp-controls"):
            Controls(state)
        with _div("cp-main"):
            MainTabs(state)
        solara.v.Html(tag="div", children=[bridge], style_="display: none")


def make_bridge(state: DashboardState) -> Bridge:
    """The page's browser side: keys go to ``state.on_key``, picture sizes to ``state.sizes``;
    the state sets the address and full screen through it."""
    bridge = Bridge(query=state.query(), fullscreen=False)
    bridge.observe(lambda change: change["new"] and state.on_key(change["new"].split(":")[0]),
                   "key")
    bridge.observe(lambda change: state.sizes.set(dict(change["new"] or {})), "sizes")
    state.bridge = bridge
    return bridge


@solara.component
def Page():
    """The dashboard with its settings from and to the address bar (the address is kept current
    by the page's ``Bridge``, without a history entry per week)."""
    solara.Title("coprosim dashboard")
    router = solara.use_router()
    query = solara.use_memo(lambda: router.search or "", [])
    Dashboard(query=query)


@solara.component
def Layout(children=[]):  # noqa: B006 (Solara API)
    """No app bar and no navigation between pages: each page is the whole window."""
    return children[0] if len(children) == 1 else solara.Column(children=children)


def build_routes() -> list:
    """The dashboard at ``/``, then the pages other packages provide (``ROUTE_PROVIDERS``)."""
    found = [solara.Route(path="/", component=Page, label="Dashboard", layout=Layout),
             solara.Route(path="worksheets", component=WorksheetsPage, label="Worksheets",
                          layout=Layout)]
    for module, name in ROUTE_PROVIDERS:
        found += list(_provided(module, name) or [])
    return found


routes = build_routes()

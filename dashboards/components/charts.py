"""The Simulation tab: the week, the network(s), the headline numbers and the charts.

A new week does not render the page again: the parts that change every week (the week, the
pictures, the network's counts, the headline numbers) are widgets held for the life of a run and
updated in place (``WeeklyParts``), so a Step costs the model's step, the drawing and a few small
messages to the browser.
"""

from __future__ import annotations

import html
import threading

import ipywidgets
import solara
from coprosim.dashboards.charts import KEY_CHARTS, MORE_CHARTS, ChartSpec, available_charts
from coprosim.dashboards.components.base import div as _div
from coprosim.dashboards.components.base import html_element as _html
from coprosim.dashboards.components.describe import (
    Describe,
    chart_description,
    network_description,
    picture_class,
)
from coprosim.dashboards.components.table import headlines_html, network_legend_html
from coprosim.dashboards.figures import ChartPicture, HoursPicture, NetworkPicture, regime_colour
from coprosim.dashboards.session import Session, Snapshot, ledger_columns


def _draw(make):
    """PNG bytes, or the error message as text if drawing failed (shown instead of a blank)."""
    try:
        return make()
    except Exception as exc:  # a drawing bug must show on the page, not blank it
        return f"Could not draw this picture: {type(exc).__name__}: {exc}"


DEFAULT_SIZES = {"net": (520, 520), "chart": (360, 240), "hours": (560, 260)}  # CSS px


class Picture:
    """One picture of the page: the image widget that shows it, and how to draw it from a
    snapshot (a matplotlib figure kept for the life of the run, drawn at ``size``: the width and
    height it is shown at and the screen's pixel ratio, as the browser reports them; None until
    it has). ``error`` is a one-line message when the picture could not be made or drawn; the
    page shows it instead."""

    def __init__(self, name: str, make, kind: str = "png", size: tuple | None = None):
        self.name = name
        self.widget = ipywidgets.Image(format=kind, _dom_classes=["cp-fill", f"cp-pic-{name}"])
        self.make = make  # size -> draw(snap) -> bytes
        self.size = size
        self.error: str | None = None
        self.week: int | None = None
        self.draw = None
        self._build()

    def _build(self) -> None:
        try:
            self.draw = self.make(self.size)
        except Exception as exc:  # a drawing bug must show on the page, not blank it
            self.draw = None
            self.error = f"Could not draw this picture: {type(exc).__name__}: {exc}"

    def resize(self, size: tuple | None) -> bool:
        """Draw at a new size from now on (the next ``render`` draws afresh); False if the
        size is the same."""
        if size is None or size == self.size:
            return False
        self.size = size
        self.week = None
        self._build()
        return True

    def render(self, snap: Snapshot):
        """The picture of the snapshot's week (bytes, or an error message), or None if it is
        already shown; ``show`` puts it on the page."""
        if self.draw is None or snap.week == self.week:
            return None
        self.week = snap.week
        return _draw(lambda: self.draw(snap))

    def show(self, image) -> None:
        if isinstance(image, bytes):
            self.error = None
            self.widget.value = image
        elif image is not None:
            self.error = image

    def paint(self, snap: Snapshot) -> None:
        self.show(self.render(snap))

    def close(self) -> None:
        self.widget.close()


def _pixels(size: tuple | None, default: tuple[int, int]) -> tuple[tuple[int, int], float]:
    """((width, height) in CSS pixels, pixel ratio) of a reported size, else the default."""
    if not size:
        return default, 1.0
    width, height, ratio = size
    return (max(40, int(width)), max(40, int(height))), float(min(max(ratio, 0.5), 4.0))


class WeeklyParts:
    """What changes on the simulation view from week to week, as widgets made once per run and
    updated in place: the week, the network(s) and their counts, the headline numbers and the
    chart pictures (key charts, and the others while they are open).

    A new week costs the model's step, drawing the pictures (only their changing lines, see
    ``figures``) and one small message per widget. The page's components are not rendered
    again for it: Solara's renderer walks every element of the page (some 270, mostly the
    controls) whenever a component re-renders, which took longer than drawing.

    ``sizes``: the size each picture is shown at (name -> (width, height, pixel ratio), from the
    browser; see ``bridge``); ``resize`` redraws the pictures whose size changed.
    ``highlight``: the lesson's key measures, marked in the headline numbers.
    """

    def __init__(self, session: Session, sizes: dict | None = None,
                 highlight: tuple[str, ...] = ()):
        self.session = session
        self.sizes = dict(sizes or {})
        self.highlight = tuple(highlight)
        self.lock = threading.RLock()
        with session.lock:
            self.generation = session.generation
            self.snap = session.snapshot()
        one = len(self.snap.runs) == 1
        self.week = solara.widgets.HTML(tag="span", attributes={"class": "cp-week"})
        self.legend = solara.widgets.HTML(tag="div", attributes={"class": "cp-legend"})
        self.headlines = solara.widgets.HTML(tag="div",
                                             attributes={"class": "cp-tiles" if one else "cp-tablebox"})
        self.networks = [self._network(index) for index in range(len(session.runs))]
        self.charts: dict[str, Picture] = {}
        self.hours: dict[int, Picture] = {}
        self.hours_legends: dict[int, str] = {}
        self.closed = False
        self._paint(self.snap)

    def _size(self, name: str) -> tuple | None:
        size = self.sizes.get(name)
        return tuple(size) if size else None

    def _network(self, index: int) -> Picture:
        def make(size):
            (width, height), ratio = _pixels(size, DEFAULT_SIZES["net"])
            picture = NetworkPicture(self.session.runs[index].model, size_px=min(width, height),
                                     ratio=ratio)
            return lambda snap: picture.draw(snap.networks[index])
        name = f"net{index}"
        return Picture(name, make, "jpeg", self._size(name))

    def chart(self, spec: ChartSpec) -> Picture:
        """The picture of a chart, made (and drawn at the current week) on first use."""
        with self.lock:
            if spec.key not in self.charts:
                def make(size):
                    pixels, ratio = _pixels(size, DEFAULT_SIZES["chart"])
                    picture = ChartPicture(spec, self.snap.runs,
                                           [run.model.params for run in self.session.runs],
                                           self.session.ghost, size_px=pixels, ratio=ratio)
                    return lambda snap: picture.draw(snap.series)
                self.charts[spec.key] = Picture(spec.key, make, size=self._size(spec.key))
                self.charts[spec.key].paint(self.snap)
            return self.charts[spec.key]

    def hours_chart(self, index: int) -> Picture:
        """'Where the hours go' of one run, made on first use."""
        with self.lock:
            if index not in self.hours:
                columns = ledger_columns()
                labels = {c: c.removeprefix("hours_").replace("_", " ") for c in columns}
                self.hours_legends[index] = hours_legend_html(
                    HoursPicture(labels).legend_items(self.snap.series[index]))

                def make(size):
                    pixels, ratio = _pixels(size, DEFAULT_SIZES["hours"])
                    picture = HoursPicture(labels, size_px=pixels, ratio=ratio)
                    return lambda snap: picture.draw(snap.series[index])
                name = f"hours{index}"
                self.hours[index] = Picture(name, make, size=self._size(name))
                self.hours[index].paint(self.snap)
            return self.hours[index]

    def set_highlight(self, highlight: tuple[str, ...]) -> None:
        """Mark other key measures in the headline numbers (a lesson began or ended)."""
        with self.lock:
            self.highlight = tuple(highlight)
            if not self.closed:
                self.headlines.unsafe_innerHTML = headlines_html(self.session, self.snap,
                                                                 self.highlight)

    def pictures(self) -> list[Picture]:
        return [*self.networks, *self.charts.values(), *self.hours.values()]

    def descriptions(self, specs: list[ChartSpec], hours: tuple[int, ...]) -> dict[str, str]:
        """Each picture's alt text by its CSS class: the networks, the charts ``specs`` (one
        line per regime and measure) and the "Where the hours go" charts ``hours``."""
        runs = [label for _, label in self.snap.runs]
        found = {picture_class(f"net{i}"): network_description(label if len(runs) > 1 else "")
                 for i, label in enumerate(runs)}
        for spec in specs:
            lines = [f"{line.label} ({label})" if len(runs) > 1 else line.label
                     for line in spec.lines for label in runs]
            found[picture_class(spec.key)] = chart_description(spec.heading, spec.definition,
                                                               lines)
        for index in hours:
            found[picture_class(f"hours{index}")] = chart_description(
                f"Where the hours go: {runs[index]}", "Hours per citizen each week, stacked by "
                "what they were spent on (they add up to the cost).")
        return found

    def resize(self, sizes: dict) -> None:
        """The browser reports the size each picture is shown at: redraw those that changed."""
        with self.lock:
            if self.closed:
                return
            self.sizes = dict(sizes or {})
            changed = [p for p in self.pictures() if p.resize(self._size(p.name))]
            if changed:
                self._paint(self.snap)

    def retain(self, charts: tuple[str, ...], hours: tuple[int, ...]) -> None:
        """Close the pictures no longer on the page (the other charts, once hidden)."""
        with self.lock:
            for key in [k for k in self.charts if k not in charts]:
                self.charts.pop(key).close()
            for index in [i for i in self.hours if i not in hours]:
                self.hours.pop(index).close()

    def _paint(self, snap: Snapshot) -> None:
        """Draw everything first, then send it: the browser gets the week's changes together
        (one or two frames to lay out and paint instead of one per picture)."""
        suffix = " (both regimes)" if len(snap.runs) > 1 else ""
        week = f"Week {snap.week}{suffix}"
        legend = network_legend_html(snap)
        headlines = headlines_html(self.session, snap, self.highlight)
        pictures = self.pictures()
        images = [picture.render(snap) for picture in pictures]
        self.week.unsafe_innerHTML = week
        self.legend.unsafe_innerHTML = legend
        self.headlines.unsafe_innerHTML = headlines
        for picture, image in zip(pictures, images, strict=True):
            picture.show(image)

    def update(self) -> None:
        """Show the session's current week (called for every new week)."""
        with self.lock:
            if self.closed:
                return
            with self.session.lock:
                if self.session.generation != self.generation:
                    return  # a new run: the page makes new parts for it
                snap = self.session.snapshot()
            self.snap = snap
            self._paint(snap)

    def errors(self) -> tuple[str, ...]:
        """The pictures' drawing errors (the page shows each instead of its picture)."""
        with self.lock:
            return tuple(p.error for p in self.pictures() if p.error)

    def close(self) -> None:
        with self.lock:
            self.closed = True
            for widget in (self.week, self.legend, self.headlines):
                widget.close()
            for picture in self.pictures():
                picture.close()
            self.charts, self.hours = {}, {}


def _picture(picture: Picture):
    """A picture's widget as a child of the page (or its drawing error)."""
    if picture.error:
        return solara.Error(picture.error)
    return picture.widget


def _chart(spec_key: str, heading: str, definition: str, legend: str, picture: Picture,
           key: bool = False):
    """One chart: title, one-line definition and legend (HTML), the lines as a picture; the
    lesson's key chart is marked."""
    return solara.v.Html(tag="div", class_="cp-chart cp-keychart" if key else "cp-chart",
                         attributes={"data-chart": spec_key}, children=[
        _html(html.escape(heading), ["t"], attributes={"title": definition}),
        _html(html.escape(definition), ["d"]),
        _html(legend, ["cp-chartlegend"]), _picture(picture)])


def hours_legend_html(items: list[tuple[str, str]]) -> str:
    return "".join(f'<span><span class="sw" style="border-radius:0;background:{colour}"></span>'
                   f"{html.escape(label)}</span>" for colour, label in items)


def chart_legend(session: Session, snap: Snapshot, short: bool = False) -> str:
    """The regimes' colours (and the ghost). ``short``: one line under each chart's title."""
    parts = [f'<span><span class="sw" style="border-radius:0;height:5px;'
             f'background:{regime_colour(s, i)}"></span>'
             f"{html.escape(label.split(' (')[0] if short else label)}</span>"
             for i, (s, label) in enumerate(snap.runs)]
    ghost = session.ghost
    if ghost is not None:
        kind = "pinned run" if ghost.pinned else "last run"
        what = f"faint: {kind}" if short else (f"faint: {kind} ({html.escape(ghost.description)}, "
                                               f"{ghost.week} weeks)")
        parts.append(f'<span class="cp-ghostkey"><span class="sw" style="border-radius:0;'
                     f'height:8px;background:#bbb"></span>{what}</span>')
    return "".join(parts)


def layout_key(session: Session, parts: WeeklyParts) -> tuple:
    """What the simulation view's layout shows besides the weekly parts: the run (its
    generation rises with every new run, pin and cleared ghost), its error, drawing errors."""
    return (session.generation, session.error, parts.errors())


def lesson_charts(measures: tuple[str, ...], metrics: set[str]) -> list[ChartSpec]:
    """The four charts on screen: one for each of the lesson's key measures that has a chart
    (a measure's own chart first), then the usual key charts, four in all."""
    every = available_charts(KEY_CHARTS, metrics) + available_charts(MORE_CHARTS, metrics)
    chosen: list[ChartSpec] = []
    for measure in measures:
        for spec in every:
            if any(line.metric == measure for line in spec.lines) and spec not in chosen:
                chosen.append(spec)
                break
    for spec in available_charts(KEY_CHARTS, metrics):
        if spec not in chosen:
            chosen.append(spec)
    return chosen[:len(KEY_CHARTS)]


@solara.component
def SimulationView(session: Session, version: solara.Reactive, more: solara.Reactive,
                   sizes: solara.Reactive | None = None, highlight: tuple[str, ...] = ()):
    """Error (if any), week and what runs, networks, headline numbers, the key charts.

    ``version`` rises with every new week or run. This component does not read it while
    rendering: it follows it, and a new week updates the weekly parts (``WeeklyParts``) in
    place; the layout renders again only when the run changes (or ``more`` does). ``sizes``
    (the pictures' sizes on screen) is followed the same way. ``highlight``: the lesson's key
    measures: their charts come first and the first is marked.
    """
    _, set_layouts = solara.use_state(0)  # counts the layout's changes (to re-render it)
    parts = solara.use_memo(
        lambda: WeeklyParts(session, sizes.value if sizes is not None else None, highlight),
        [session.generation])
    if parts.highlight != tuple(highlight):  # a lesson began or ended on this run
        parts.set_highlight(highlight)
    shown = solara.use_ref(None)
    shown.current = layout_key(session, parts)

    def follow_weeks():
        def on_version(_value):
            parts.update()
            key = layout_key(session, parts)
            if key != shown.current:  # a new run, an error: the layout changes
                shown.current = key
                set_layouts(lambda count: count + 1)
        unsubscribe = version.subscribe(on_version)
        unsubscribe_sizes = sizes.subscribe(parts.resize) if sizes is not None else None

        def cleanup():
            unsubscribe()
            if unsubscribe_sizes is not None:
                unsubscribe_sizes()
            parts.close()
        return cleanup

    solara.use_effect(follow_weeks, [parts])
    snap = parts.snap
    metrics = set(snap.series[0]) if snap.series else set()
    key = lesson_charts(highlight, metrics)
    others = [spec for spec in available_charts(KEY_CHARTS + MORE_CHARTS, metrics)
              if spec not in key] if more.value else []
    hours = (tuple(range(len(snap.runs)))
             if more.value and any(c in metrics for c in ledger_columns()) else ())
    charts = tuple(spec.key for spec in key + others)
    solara.use_effect(lambda: parts.retain(charts, hours), [parts, charts, hours])
    runs = len(snap.runs)
    short_legend = chart_legend(session, snap, short=True)
    marked = highlight[0] if highlight else None
    with _div("cp-sim"):
        solara.v.Html(tag="div", style_="display: none", children=[Describe.element(
            pictures=parts.descriptions(key + others, hours))])
        description = session.settings.describe() if session.settings else ""
        status = [parts.week, _html(f"Running: {html.escape(description)}", ["cp-running"],
                                    tag="span", attributes={"title": description})]
        if session.error:
            status.append(solara.Error(session.error, dense=True))
        solara.v.Html(tag="div", class_="cp-status", children=status)
        top = []
        for index, (scenario, label) in enumerate(snap.runs):
            network = [_picture(parts.networks[index])]
            if runs > 1:
                network.insert(0, _html(
                    f'<span style="color:{regime_colour(scenario, index)}">&#9632;</span> '
                    f"{html.escape(label)}", ["cp-net-title"]))
            top.append(solara.v.Html(tag="div", class_="cp-net", children=network))
        if runs > 1:
            top.append(parts.legend)  # under the twin networks
        side = [parts.legend, parts.headlines] if runs == 1 else [parts.headlines]
        top.append(solara.v.Html(tag="div", class_="cp-side", children=side))
        solara.v.Html(tag="div", class_="cp-top two" if runs > 1 else "cp-top one", children=top)
        with _div("cp-legendrow"):
            # each chart has its own legend; this line names the ghost in full
            _html(chart_legend(session, snap) if session.ghost is not None else "",
                  ["cp-legend"])
            solara.Button("Hide more charts" if more.value else "More charts below ▾",
                          on_click=lambda: more.set(not more.value), text=True, small=True,
                          classes=["cp-morebutton"])
        with _div("cp-charts"):
            for spec in key:
                _chart(spec.key, spec.heading, spec.definition, short_legend,
                       parts.chart(spec), key=marked is not None and any(
                           line.metric == marked for line in spec.lines))
    if more.value:
        with _div("cp-more"):
            for spec in others:
                _chart(spec.key, spec.heading, spec.definition, short_legend, parts.chart(spec))
            for index in hours:
                _chart(f"hours{index}", f"Where the hours go: {snap.runs[index][1]}",
                       "Hours per citizen this week, by what they were spent on (they add up "
                       "to the cost).", parts.hours_legends.get(index, ""),
                       parts.hours_chart(index))

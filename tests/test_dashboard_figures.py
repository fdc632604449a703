"""The dashboard's pictures and chart list, on their own (no page)."""

from __future__ import annotations

import numpy as np
from coprosim.dashboards.charts import DERIVED, KEY_CHARTS, MORE_CHARTS, available_charts
from coprosim.dashboards.figures import ChartPicture, Ghost, NetworkPicture, NetworkSnapshot
from coprosim.dashboards.session import Session
from coprosim.dashboards.settings import Settings
from coprosim.model import METRICS


def _session(weeks: int) -> Session:
    session = Session(Settings(overrides={"n_citizens": 150}))
    session.step(weeks)
    return session


def test_a_new_year_on_the_time_axis_does_not_redraw_the_chart_background():
    """The yearly axis change redraws only the lines and tick labels (fast), not the chart."""
    session = _session(50)
    spec = KEY_CHARTS[0]
    picture = ChartPicture(spec, session.snapshot().runs, [r.model.params for r in session.runs])
    picture.draw(session.snapshot().series)
    background = picture.blitter.background
    session.step(10)  # past week 52: the axis grows to two years
    picture.draw(session.snapshot().series)
    assert picture.ticks.end == 104
    assert picture.blitter.background is background
    assert {t.get_text() for t in picture.ticks.labels if t.get_visible()} >= {"0", "100"}


def test_a_chart_grows_its_range_when_the_data_leave_it():
    session = _session(3)
    spec = next(c for c in KEY_CHARTS if c.key == "emergent")
    picture = ChartPicture(spec, session.snapshot().runs, [r.model.params for r in session.runs])
    series = session.snapshot().series
    series[0]["emergent_value"] = np.array([0.0, 0.5, 0.1, 0.0])
    picture.draw(series)
    assert picture.ylim[1] >= 0.5 * spec.scale


def test_the_ghost_is_drawn_and_widens_the_range():
    session = _session(4)
    snap = session.snapshot()
    ghost_series = [{k: v * 0 + 0.99 for k, v in snap.series[0].items()}]
    ghost = Ghost(snap.runs, ghost_series, "earlier", 4)
    spec = next(c for c in KEY_CHARTS if c.key == "trust")
    picture = ChartPicture(spec, snap.runs, [session.runs[0].model.params], ghost)
    assert len(picture.ghost_lines) == len(spec.lines)
    assert picture.draw(snap.series).startswith(b"\x89PNG")


def test_network_states_are_counted_once_each():
    session = _session(8)
    snap = NetworkSnapshot.of(session.runs[0].model)
    counts = snap.counts()
    states = ("taking part", "asking", "no need", "withdrawn")
    assert sum(counts[s] for s in states) == 150
    assert counts["withdrawn"] == int(snap.withdrawn.sum())
    image = NetworkPicture(session.runs[0].model).draw(snap)
    assert image[:2] == b"\xff\xd8"


def test_charts_follow_the_metrics_the_model_reports():
    everything = set(METRICS) | set(DERIVED)
    assert len(available_charts(KEY_CHARTS, everything)) == 4
    without = available_charts(MORE_CHARTS, everything - {"value_destroyed"})
    value = next(c for c in without if c.key == "value")
    assert [line.metric for line in value.lines] == ["public_value"]
    assert not available_charts(KEY_CHARTS, set())
    for spec in KEY_CHARTS:
        for line in spec.lines:
            assert line.metric in everything, f"key chart {spec.key} needs {line.metric}"


def test_a_chart_picture_is_a_lossless_png_of_the_drawn_chart():
    """The fast PNG writer keeps every pixel of what matplotlib drew (no legibility lost)."""
    import io

    from PIL import Image

    session = _session(20)
    picture = ChartPicture(KEY_CHARTS[3], session.snapshot().runs,
                           [r.model.params for r in session.runs])
    image = Image.open(io.BytesIO(picture.draw(session.snapshot().series)))
    image.load()
    drawn = np.asarray(picture.blitter.canvas.buffer_rgba())[:, :, :3]
    assert image.mode == "RGB" and image.size == (drawn.shape[1], drawn.shape[0])
    assert np.array_equal(np.asarray(image), drawn)
    assert len(np.unique(drawn.reshape(-1, 3), axis=0)) > 20, "lines, labels and grid drawn"

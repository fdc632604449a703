"""Small helpers shared by the dashboard's components: HTML elements and server-side Markdown."""

from __future__ import annotations

import markdown
import solara


@solara.component
def Prose(text: str):
    """Markdown rendered on the server to plain HTML (solara.Markdown would fetch KaTeX from a
    CDN, which fails with no internet)."""
    solara.HTML(tag="div", unsafe_innerHTML=markdown.markdown(text, extensions=["tables"]),
                classes=["cp-prose"])


def html_element(text: str, classes: list[str] | None = None, tag: str = "div",
                 attributes: dict | None = None):
    """Raw HTML as a widget element (no component layer: fewer components make a faster render
    of the page)."""
    return solara.widgets.HTML.element(
        tag=tag, unsafe_innerHTML=text,
        attributes={"class": " ".join(classes or []), **(attributes or {})})


def div(classes: str, style: str = "", attributes: dict | None = None):
    """A plain ``<div>`` with classes, to hold other elements (``with div(...):``)."""
    return solara.v.Html(tag="div", class_=classes, style_=style, attributes=attributes or {})

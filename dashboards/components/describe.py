"""Words for what a screen reader would otherwise announce as nothing, or as a symbol.

Some of what the pages show is drawn by widgets that take no accessible text from Python:

- **Pictures**: the charts and networks are ``<img>`` elements of ipywidgets' ``Image``, which has
  no ``alt`` attribute. Each picture carries a class ``cp-pic-<name>``; ``Describe`` sets the
  ``alt`` of every ``img`` with that class to the text given for it (what the picture shows, in
  the words of its title and definition), and keeps it set when the picture is replaced.
- **Buttons named by a symbol or an icon**: Mesa's own controller labels its play button "▶" and, while
  playing, "❚❚" (``mesa.visualization.solara_viz.ModelController``); a screen reader reads
  "black right-pointing triangle". ``Describe`` gives every button whose whole text is one of
  ``buttons``'s keys the ``aria-label`` given for it ("Play", "Pause"), and follows the text as
  it changes; ``icons`` does the same for buttons that show only an icon (Solara's app bar).

One ``Describe`` per page, hidden; it watches the page (a ``MutationObserver``) and only writes
attributes. Web Content Accessibility Guidelines 2.2, success criteria 1.1.1 (non-text content)
and 4.1.2 (name, role, value).
"""

from __future__ import annotations

import ipyvue
import traitlets

TEMPLATE = r"""
<template><span class="cp-describe" style="display:none"></span></template>
<script>
module.exports = {
  mounted() {
    this.apply = () => {
      const pictures = this.pictures || {};
      Object.keys(pictures).forEach((name) => {
        document.querySelectorAll('img.' + name).forEach((img) => {
          if (img.getAttribute('alt') !== pictures[name]) img.setAttribute('alt', pictures[name]);
        });
      });
      const buttons = this.buttons || {};
      const icons = this.icons || {};
      const iconLabel = (button) => {
        const icon = button.querySelector('i.v-icon');
        if (!icon || (button.textContent || '').trim()) return undefined;
        const found = Object.keys(icons).find((name) => Array.from(icon.classList)
          .some((c) => c.startsWith(name)));
        return found === undefined ? undefined : icons[found];
      };
      document.querySelectorAll('button').forEach((button) => {
        let label = buttons[(button.textContent || '').trim()];
        if (label === undefined) label = iconLabel(button);
        if (label !== undefined) {
          if (button.getAttribute('aria-label') !== label) button.setAttribute('aria-label', label);
          button.dataset.cpDescribed = '1';
        } else if (button.dataset.cpDescribed) {  // its text changed to words of its own
          button.removeAttribute('aria-label');
          delete button.dataset.cpDescribed;
        }
      });
    };
    this.observer = new MutationObserver(() => this.apply());
    this.observer.observe(document.body, {childList: true, subtree: true, characterData: true});
    this.apply();
  },
  destroyed() { if (this.observer) this.observer.disconnect(); },
  watch: {
    pictures() { this.apply(); },
    buttons() { this.apply(); },
    icons() { this.apply(); },
  },
};
</script>
"""

# Mesa's ModelController names its play/pause button by a symbol (Mesa 3.3 to 3.5).
MESA_BUTTONS = {"▶": "Play", "❚❚": "Pause"}
# Solara's app bar (around SolaraViz) shows two buttons with only an icon: the menu that shows
# or hides the side bar of settings, and the theme switch (its icon follows the theme).
APP_BAR_ICONS = {"mdi-menu": "Show or hide the settings",
                 "mdi-brightness": "Switch the colour theme (light, dark or automatic)"}


class Describe(ipyvue.VueTemplate):
    """Alt text for pictures (``pictures``: CSS class ``cp-pic-<name>`` -> text) and names for
    buttons labelled by a symbol (``buttons``: the button's text -> its name); see the module's
    docstring; ``icons``: a Material Design icon's class, or the start of it (``mdi-menu``) ->
    the name of a button that shows only that icon)."""

    template = traitlets.Unicode(TEMPLATE).tag(sync=True)
    pictures = traitlets.Dict({}).tag(sync=True)
    buttons = traitlets.Dict({}).tag(sync=True)
    icons = traitlets.Dict({}).tag(sync=True)


def picture_class(name: str) -> str:
    """The CSS class that marks the picture called ``name`` (``cp-pic-<name>``)."""
    return f"cp-pic-{name}"


def chart_description(heading: str, definition: str, lines: list[str] | tuple[str, ...] = ()
                      ) -> str:
    """A chart's alt text: its title, what it measures, and what its lines are."""
    text = f"Chart: {heading.rstrip('.')}. {definition.strip()}"
    if lines:
        text += f" Lines: {', '.join(lines)}."
    return text


def network_description(label: str = "") -> str:
    """A network picture's alt text: what its dots, ties, colours and marks stand for."""
    from coprosim.dashboards.figures import STATE_LABELS

    states = "; ".join(STATE_LABELS.values())
    under = f" under {label}" if label else ""
    return (f"The citizens' network{under}: each dot is a citizen, each line a tie between "
            f"citizens who know each other. Colours show what each citizen does this week "
            f"({states}, drawn as triangles); ringed dots are volunteers. The counts are "
            f"given in words beside the picture.")

"""The page's one bit of browser-side code (``Bridge``): keys, full screen, the address bar and
the size pictures are shown at.

Solara runs the page in Python; a few things only the browser knows or can do:

- **Keys**: Space plays or pauses, the right arrow steps, R resets, P switches presentation mode
  (not while typing in a field, and not when a focused button or slider takes the key itself).
  Each key press reaches Python as ``key`` ("play:<time>").
- **Full screen**: ``fullscreen`` asks the browser for it (the request follows the click or key
  press that caused it, so the browser allows it) and leaves it when set back.
- **The address bar**: ``query`` replaces the address's query without a new history entry, so the
  address follows a playing run week by week and a reload resumes where it was.
- **Picture sizes**: every picture (an ``<img>`` with the class ``cp-pic-<name>``) reports the
  size of the box it is shown in, in CSS pixels, and the screen's pixel ratio (2 on a retina
  screen, 1.25 at 125% zoom): Python draws each picture at exactly that size, so text and lines
  are sharp and as large as they were meant to be (``sizes``: name -> [width, height, ratio]).
- **The address**: ``origin`` is the page's address as the browser sees it (for a QR code).
"""

from __future__ import annotations

import ipyvue
import traitlets

TEMPLATE = r"""
<template><span class="cp-bridge" style="display:none"></span></template>
<script>
module.exports = {
  mounted() {
    this.origin = window.location.origin + window.location.pathname;
    this.onKey = (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
      const t = e.target || document.body;
      const tag = (t.tagName || '').toLowerCase();
      if (tag === 'input' || tag === 'textarea' || tag === 'select' || t.isContentEditable) return;
      const role = t.getAttribute && t.getAttribute('role');
      let name = null;
      if (e.key === ' ' || e.key === 'Spacebar') {
        if (tag === 'button' || tag === 'a' || role === 'button' || role === 'tab'
            || role === 'slider' || role === 'option' || role === 'switch') return;
        name = 'play';
      } else if (e.key === 'ArrowRight') {
        if (role === 'slider' || role === 'tab' || role === 'option') return;
        name = 'step';
      } else if (e.key === 'r' || e.key === 'R') { name = 'reset'; }
      else if (e.key === 'p' || e.key === 'P') { name = 'present'; }
      if (name === null) return;
      e.preventDefault();
      this.key = name + ':' + Date.now();
    };
    document.addEventListener('keydown', this.onKey);
    this.reported = {};
    this.measure = () => {
      this.timer = null;
      const ratio = window.devicePixelRatio || 1;
      const sizes = {};
      document.querySelectorAll('img.cp-fill').forEach((img) => {
        const name = Array.from(img.classList).find((c) => c.startsWith('cp-pic-'));
        const box = img.parentElement && img.parentElement.getBoundingClientRect();
        if (!name || !box || box.width < 40 || box.height < 40) return;
        sizes[name.slice(7)] = [Math.round(box.width), Math.round(box.height), ratio];
      });
      const changed = Object.keys(sizes).some((k) => {
        const old = this.reported[k];
        return !old || Math.abs(old[0] - sizes[k][0]) > 2 || Math.abs(old[1] - sizes[k][1]) > 2
          || old[2] !== sizes[k][2];
      });
      if (changed) { this.reported = sizes; this.sizes = sizes; }
    };
    this.soon = () => { if (!this.timer) this.timer = setTimeout(this.measure, 150); };
    this.resizes = new ResizeObserver(this.soon);
    this.watchImages = () => {
      document.querySelectorAll('img.cp-fill').forEach((img) => {
        if (img.parentElement && !img.parentElement.__cpObserved) {
          img.parentElement.__cpObserved = true;
          this.resizes.observe(img.parentElement);
        }
      });
    };
    this.mutations = new MutationObserver(() => { this.watchImages(); this.soon(); });
    this.mutations.observe(document.body, {childList: true, subtree: true});
    window.addEventListener('resize', this.soon);
    this.watchImages();
    this.soon();
  },
  destroyed() {
    document.removeEventListener('keydown', this.onKey);
    window.removeEventListener('resize', this.soon);
    if (this.mutations) this.mutations.disconnect();
    if (this.resizes) this.resizes.disconnect();
  },
  watch: {
    query(value) {
      if (value === null || value === undefined) return;
      const address = window.location.pathname + (value ? '?' + value : '');
      if (address !== window.location.pathname + window.location.search) {
        window.history.replaceState(window.history.state, '', address);
      }
    },
    fullscreen(value) {
      try {
        if (value && !document.fullscreenElement && document.documentElement.requestFullscreen) {
          document.documentElement.requestFullscreen().catch(() => {});
        } else if (!value && document.fullscreenElement && document.exitFullscreen) {
          document.exitFullscreen().catch(() => {});
        }
      } catch (err) { /* a browser that refuses: large type still applies */ }
    },
  },
};
</script>
"""


class Bridge(ipyvue.VueTemplate):
    """The browser side of the page (see the module's docstring); one per page."""

    template = traitlets.Unicode(TEMPLATE).tag(sync=True)
    key = traitlets.Unicode("").tag(sync=True)
    query = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    fullscreen = traitlets.Bool(False).tag(sync=True)
    sizes = traitlets.Dict({}).tag(sync=True)
    origin = traitlets.Unicode("").tag(sync=True)

"""What a screen reader would get from a page, as checks run in the browser (Playwright's
``page.evaluate``): shared by the browser tests of the dashboard, the Mesa page and class mode.

- ``UNNAMED``: visible controls (buttons, links, sliders, tabs, fields, selects) whose accessible
  name is empty or has no letter or digit: a symbol such as "▶" is read out as "black
  right-pointing triangle", not as what the button does.
- ``UNDESCRIBED``: visible pictures without a text alternative: an ``<img>`` with no ``alt`` text
  (an empty ``alt`` would mark it as decoration), an ``<svg>`` that is neither hidden from
  screen readers nor named (``role="img"`` and ``aria-label``), a ``<canvas>`` without a label.

WCAG 2.2 success criteria 1.1.1 (non-text content) and 4.1.2 (name, role, value).
"""

from __future__ import annotations

_VISIBLE = """
  const visible = (el) => {
    const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden'
      && !el.closest('[aria-hidden=true]');
  };"""

UNNAMED = """() => {""" + _VISIBLE + """
  const name = (el) => {
    if (el.getAttribute('aria-label')) return el.getAttribute('aria-label');
    const by = el.getAttribute('aria-labelledby');
    if (by) return by.split(' ').map(id => (document.getElementById(id) || {}).textContent || '')
      .join(' ');
    if (el.id) { const l = document.querySelector(`label[for="${el.id}"]`);
                 if (l && l.textContent.trim()) return l.textContent; }
    const wrap = el.closest('label'); if (wrap && wrap.textContent.trim()) return wrap.textContent;
    return (el.textContent || '').trim() || el.getAttribute('title') || el.getAttribute('alt')
      || el.getAttribute('placeholder') || '';
  };
  const sel = 'button, a[href], [role=button], [role=slider], [role=tab], [role=combobox], '
            + '[role=switch], select, textarea, input:not([type=hidden])';
  return [...document.querySelectorAll(sel)].filter(visible)
    .filter(el => !/[\\p{L}\\p{N}]/u.test(String(name(el))))
    .map(el => el.outerHTML.slice(0, 120));
}"""

UNDESCRIBED = """() => {""" + _VISIBLE + """
  const named = (el) => (el.getAttribute('aria-label') || '').trim()
    || (el.getAttribute('aria-labelledby') || '').trim();
  const images = [...document.querySelectorAll('img')].filter(visible)
    .filter(el => !(el.getAttribute('alt') || '').trim());
  const svgs = [...document.querySelectorAll('svg')].filter(visible)
    .filter(el => !el.parentElement.closest('svg'))
    .filter(el => !(el.getAttribute('role') === 'img' && named(el)));
  const canvases = [...document.querySelectorAll('canvas')].filter(visible)
    .filter(el => !named(el));
  return [...images, ...svgs, ...canvases].map(el => el.outerHTML.slice(0, 120));
}"""

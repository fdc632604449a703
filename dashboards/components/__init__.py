"""The teaching dashboard's parts, by area of the page (``dashboards/app.py`` puts them together).

- ``state``: what one browser tab's dashboard holds (its session, the settings shown and applied,
  Play, the lesson running) and what the controls do to it (``DashboardState``).
- ``controls``: the left column: run buttons, view, scenario, seed, sliders, take-home files.
- ``charts``: the Simulation tab: the network(s), the headline numbers and the charts, updated in
  place every week (``WeeklyParts``).
- ``table``: the headline numbers (tiles for one regime, a table side by side) and the network's
  legend, as HTML.
- ``lessons``: the Lessons tab and the strip that says which lesson runs.
- ``explain``: the "Explain the ideas" tab.
- ``reality``: the "Is it real?" card (the runs themselves: ``dashboards/reality.py``).
- ``worksheets``: the printable worksheets page (``/worksheets``).
- ``bridge``: the page's browser side: keys, full screen, the address, the pictures' sizes.
- ``describe``: words for screen readers: the pictures' alt text, names for buttons that show a
  symbol or an icon (also used by the Mesa page).
- ``base`` and ``style``: small helpers and the page's stylesheet (presentation mode included).

A "Class" tab is not here: ``app.TAB_PROVIDERS`` adds ``dashboards/classroom``'s ``ClassTab`` when
that package is importable.
"""

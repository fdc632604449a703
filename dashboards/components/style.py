"""The dashboard's stylesheet: a classroom projector first (1366x768, read from the back)."""

CSS = """
.solara-content-main, .v-application--wrap > div { padding: 0 !important; }
div:has(> b > a[href="https://solara.dev"]) { display: none !important; }
.cp-page { display: grid; grid-template-columns: 290px minmax(0, 1fr); gap: 10px;
           height: 100vh; padding: 6px 10px; box-sizing: border-box;
           font-size: clamp(15px, 1.05vw, 21px); }
.cp-controls { overflow-y: auto; min-height: 0; padding-right: 4px; }
.cp-controls .v-card { margin-bottom: 8px !important; }
.cp-main { display: flex; flex-direction: column; min-height: 0; min-width: 0; }
.cp-main > .v-tabs { flex: 1 1 auto; min-height: 0; display: flex; flex-direction: column; }
.cp-main .v-tabs > .v-tabs-bar { flex: 0 0 auto; }
.cp-main .v-tabs > .v-window { flex: 1 1 auto; min-height: 0; }
.cp-main .v-tabs .v-tab { font-size: 15px; min-width: 0; padding: 0 14px; }
.cp-main .v-tabs-bar { height: 36px !important; }
.cp-main .v-window__container, .cp-main .v-window-item { height: 100%; }
.cp-tabbody { flex: 1 1 auto; min-height: 0; overflow-y: auto; overflow-x: hidden; }
.cp-sim { height: calc(100vh - 56px); display: grid; min-height: 0;
          grid-template-rows: auto minmax(0, 55fr) auto minmax(0, 45fr); gap: 4px; }
.cp-legendrow { display: flex; justify-content: space-between; align-items: center; }
.cp-status { display: flex; gap: 18px; align-items: baseline; flex-wrap: nowrap; min-width: 0; }
.cp-status > * { flex: 0 0 auto; }
/* one line whatever runs: the rest is in its tooltip, never pushing content off screen */
.cp-status > .cp-running { flex: 1 1 auto; min-width: 0; overflow: hidden; white-space: nowrap;
                           text-overflow: ellipsis; }
.cp-week { font-size: clamp(26px, 2vw, 40px); font-weight: 700; }
.cp-running { font-size: 1.05em; color: #333; }
.cp-top { display: grid; gap: 10px; min-height: 0; }
.cp-top.one { grid-template-columns: auto minmax(300px, 1fr); grid-template-rows: 100%; }
.cp-top.one > .cp-net { height: 100%; aspect-ratio: 1 / 1; max-width: 60vw; }
.cp-top.two { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr) minmax(300px, 0.9fr);
              grid-template-rows: minmax(0, 1fr) auto; }
.cp-top.two > .cp-side { grid-column: 3; grid-row: 1 / span 2; }
.cp-top.two > .cp-legend { grid-column: 1 / span 2; grid-row: 2; font-size: 0.9em; }
.cp-net { display: flex; flex-direction: column; min-height: 0; min-width: 0; }
.cp-net-title { font-weight: 700; font-size: 1.1em; line-height: 1.2; }
/* a picture fills what its cell leaves (the image widget sits in a wrapper div) */
.cp-net > div:has(> img), .cp-chart > div:has(> img) { flex: 1 1 0; min-height: 0;
                                                       position: relative; }
.cp-net img.cp-fill, .cp-chart img.cp-fill { position: absolute; inset: 0; width: 100%;
           height: 100%; object-fit: contain; object-position: left top; }
.cp-side { overflow-y: auto; min-height: 0; display: flex; flex-direction: column; gap: 6px; }
.cp-legend { display: flex; flex-wrap: wrap; gap: 2px 14px; font-size: 1em; align-items: center; }
.cp-legend .sw { display: inline-block; width: 14px; height: 14px; border-radius: 50%;
                 margin-right: 5px; vertical-align: -2px; }
.cp-tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(8.5em, 1fr));
            gap: 6px; }
.cp-tile { padding: 3px 10px; border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,0.25); }
.cp-tile .k { font-size: 0.93em; color: #444; line-height: 1.2; }
.cp-tile .v { font-size: 1.6em; font-weight: 700; line-height: 1.2; }
.cp-tile .g { font-size: 0.87em; color: #666; }
.cp-tablebox { min-height: 0; }
.cp-table { border-collapse: separate; border-spacing: 0; font-size: 1em; width: 100%;
            line-height: 1.2; }
.cp-table th, .cp-table td { padding: 1px 6px; border-bottom: 1px solid #ddd; }
.cp-table tbody th { font-weight: 400; text-align: left; }
.cp-table thead th { position: sticky; top: 0; background: #fff; z-index: 1;
                     vertical-align: bottom; line-height: 1.15; }
.cp-table caption { caption-side: bottom; text-align: left; font-size: 0.85em; color: #555; }
.cp-table td:not(:first-child), .cp-table th:not(:first-child) { text-align: right; }
.cp-table tr.cp-key th, .cp-table tr.cp-key td { background: #fff3c4; font-weight: 700; }
.cp-table tr.cp-watch th, .cp-table tr.cp-watch td { background: #fffaf0; }
.cp-tile.cp-key { outline: 3px solid #e69f00; }
.cp-tile.cp-watch { outline: 2px dashed #e69f00; }
.cp-keychart { outline: 3px solid #e69f00; outline-offset: 2px; border-radius: 2px; }
.cp-chartlegend { display: flex; flex-wrap: wrap; gap: 0 10px; font-size: 0.8em; color: #333;
                  line-height: 1.2; }
.cp-chartlegend .sw, .cp-legend .sw { display: inline-block; width: 14px; height: 14px;
                  margin-right: 4px; vertical-align: middle; }
.cp-ghostkey { opacity: 0.8; }
.cp-table td.n { font-weight: 700; font-size: 1.12em; white-space: nowrap; }
.cp-table .g { color: #666; font-size: 0.8em; font-weight: 400; }
.cp-charts { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 10px;
             min-height: 0; }
.cp-chart { display: flex; flex-direction: column; min-height: 0; min-width: 0; }
.cp-chart .t { font-weight: 700; font-size: 1.07em; line-height: 1.2; }
.cp-chart .d { font-size: 0.87em; color: #444; line-height: 1.2; min-height: 3.6em; }
.cp-chart .t, .cp-chart .d, .cp-chart .cp-chartlegend { flex: 0 0 auto; }
/* the four key charts share their rows (title, definition, legend, picture): the pictures line
   up and are the same size whatever the length of a definition */
.cp-charts { grid-template-rows: auto auto auto minmax(0, 1fr); }
.cp-charts > .cp-chart { display: grid; grid-row: span 4; grid-template-rows: subgrid;
                         row-gap: 0; }
.cp-charts > .cp-chart .d { min-height: 0; }
.cp-more { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr));
           gap: 12px; padding: 8px 0 30px 0; }
.cp-more .cp-chart { height: 300px; }
.cp-caption { font-size: 14px; color: #555; line-height: 1.25; margin-bottom: 4px; }
.cp-why { font-size: 14px; color: #8a3b00; line-height: 1.25; margin-bottom: 4px; }
/* no label overflows its button: long labels wrap inside it */
.cp-page .v-btn { max-width: 100%; }
.cp-page .v-btn:not(.v-btn--icon) { height: auto !important; min-height: 28px; }
.cp-page .v-btn .v-btn__content { white-space: normal; flex: 1 1 auto; min-width: 0;
                                  line-height: 1.2; padding: 3px 0; }
.cp-morebutton { text-transform: none !important; font-size: 15px !important; }
.cp-presentbutton { text-transform: none !important; letter-spacing: 0 !important; }
.cp-title { flex: 1 1 auto; min-width: 0; }
.cp-question { border-left: 5px solid #e69f00; padding: 4px 8px; }
.cp-slider .v-input__slot > .v-label { display: none; }
/* presentation mode: full screen, large type (nothing under 16 px at 1366x768), the run only */
.cp-present { grid-template-columns: 280px minmax(0, 1fr); font-size: clamp(17px, 1.3vw, 26px); }
.cp-present .v-btn-toggle { flex-wrap: wrap; height: auto !important; }
.cp-present .cp-runbuttons .v-btn, .cp-present .v-btn-toggle .v-btn { padding: 0 10px !important; }
.cp-page.cp-present .cp-table { line-height: 1.1; font-size: 16px !important;
                                table-layout: fixed; }
.cp-page.cp-present .cp-table td.n { font-size: 17px; }
.cp-page.cp-present .cp-table tr > :first-child { width: 46%; }
.cp-present .cp-sim { grid-template-rows: auto minmax(0, 58fr) auto minmax(0, 42fr); }
/* on the projector the teacher explains: a chart's definition is its title's tooltip */
.cp-present .cp-charts .cp-chart .d { display: none; }
.cp-present .cp-table th, .cp-present .cp-table td { padding: 1px 4px; }
.cp-present .cp-caption, .cp-present .cp-why, .cp-present .cp-label,
.cp-present .cp-chart .d, .cp-present .cp-chartlegend, .cp-present .cp-legend,
.cp-present .cp-table, .cp-present .cp-table .g, .cp-present .cp-table caption,
.cp-present .cp-tile .k, .cp-present .cp-tile .g, .cp-present .v-label,
.cp-present .v-select__selection, .cp-present input, .cp-present .v-btn,
.cp-present .v-tab, .cp-present .cp-running, .cp-present .v-alert,
.cp-present .cp-lessons, .cp-present .cp-lesson-nav .v-btn, .cp-present .cp-prose
{ font-size: max(16px, 1em) !important; }
.cp-present .cp-chart .d { min-height: 0; }
.cp-present .cp-title { display: none; }
.cp-runbuttons { flex-wrap: wrap; }
.cp-present .cp-table td.n { font-size: 1.1em; }
.cp-label { font-size: 14px; font-weight: 600; margin-top: 4px; }
.cp-prose table { border-collapse: collapse; font-size: 16px; }
.cp-prose code { font-size: 0.85em; color: #6a3d9a; background: #f4f0f8; }
.cp-prose { font-size: 16px; }
/* lessons: read from the back of a classroom */
.cp-lessons { display: grid; grid-template-columns: minmax(11em, 15em) minmax(0, 1fr); gap: 14px;
              padding: 6px 4px 30px 0; font-size: clamp(16px, 1.2vw, 24px); line-height: 1.35; }
.cp-lesson-nav { display: flex; flex-direction: column; gap: 2px; }
.cp-lesson-nav .v-btn { text-transform: none; justify-content: flex-start; white-space: normal;
                        height: auto !important; min-height: 32px; padding: 4px 8px;
                        text-align: left; font-size: 0.9em; letter-spacing: 0; }
.cp-lesson-nav .v-btn .v-btn__content { white-space: normal; flex: 1 1 auto; }
.cp-lesson-nav .cp-nav-on { background: #e3eefa; font-weight: 700; }
.cp-lesson-head .n { font-size: 0.85em; color: #555; }
.cp-lesson-head h2 { font-size: 1.5em; margin: 0 0 2px 0; line-height: 1.2; }
.cp-lesson-head .idea { font-size: 0.95em; color: #333; font-style: italic; margin-bottom: 6px; }
.cp-lesson-body { display: grid; grid-template-columns: repeat(auto-fit, minmax(21em, 1fr));
                  gap: 6px 22px; }
.cp-lesson-col { display: flex; flex-direction: column; gap: 6px; align-items: flex-start; }
.cp-lesson-col > div { width: 100%; }
.cp-step .h { font-weight: 700; font-size: 1.1em; color: #0b5394; margin-top: 6px; }
.cp-step p, .cp-then p, .cp-explain p { margin: 2px 0 6px 0; }
.cp-step ul, .cp-then ul, .cp-explain ul { margin: 2px 0 6px 0; padding-left: 1.2em; }
.cp-step.predict { background: #fff6dd; border-left: 5px solid #e69f00; padding: 2px 10px 4px; }
.cp-step .hint, .cp-hint { color: #555; font-size: 0.9em; }
.cp-params { list-style: none; padding-left: 0 !important; }
.cp-explain { background: #eef5ee; border-left: 5px solid #009e73; padding: 4px 10px; }
.cp-lessonstrip { border-left: 5px solid #e69f00; }
"""

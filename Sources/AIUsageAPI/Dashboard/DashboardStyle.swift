extension DashboardPage {
    /// The page's one style sheet (inline; its hash is in the Content-Security-Policy).
    /// Colours pass WCAG AA for text in both schemes: body text about 15:1, muted text at least
    /// 5.9:1, links and focus rings at least 4.5:1.
    static let style = #"""
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1b1b1f; --muted: #545460; --line: #d5d5dc; --panel: #f4f4f7;
  --accent: #0b57d0; --accent-fg: #ffffff; --error-bg: #fdecea; --error-fg: #8a1c12;
  --bar-track: #e3e3ea; --heat: 11, 87, 208;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #131317; --fg: #ececf1; --muted: #a9a9b8; --line: #3a3a44; --panel: #1d1d23;
    --accent: #8ab4f8; --accent-fg: #0b1a33; --error-bg: #3b1511; --error-fg: #ffb4a8;
    --bar-track: #2c2c35; --heat: 138, 180, 248;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); }
header, main { max-width: 1100px; margin: 0 auto; padding: 0 16px; }
header { padding-top: 16px; }
h1 { font-size: 1.5rem; margin: 0 0 4px; }
h2 { font-size: 1.1rem; margin: 24px 0 8px; }
p { margin: 0; }
.muted { color: var(--muted); }
form { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: flex-end; margin: 16px 0;
  padding: 12px; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; }
fieldset { border: 0; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
legend { font-weight: 600; padding: 0; margin-bottom: 4px; }
label { display: flex; flex-direction: column; gap: 2px; font-size: 0.85rem; color: var(--muted); }
input, select, button { font: inherit; color: var(--fg); background: var(--bg); border: 1px solid var(--line);
  border-radius: 6px; padding: 6px 8px; min-height: 36px; }
input[type="date"] { min-width: 9.5rem; }
button { cursor: pointer; }
button.primary { background: var(--accent); color: var(--accent-fg); border-color: var(--accent); font-weight: 600; }
button.link { border: 0; background: none; color: var(--accent); padding: 0; min-height: 0; text-align: left;
  text-decoration: underline; text-underline-offset: 2px; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
details { font-size: 0.9rem; }
#status { margin: 12px 0; padding: 10px 12px; border-radius: 6px; background: var(--panel); }
#status[data-state="error"] { background: var(--error-bg); color: var(--error-fg); font-weight: 600; }
p.error { background: var(--error-bg); color: var(--error-fg); font-weight: 600; padding: 8px 12px; border-radius: 6px; }
#status[data-state="ready"] { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
.totals { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; margin: 0; }
.totals div { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.totals dt { font-size: 0.85rem; color: var(--muted); }
.totals dd { margin: 2px 0 0; font-size: 1.35rem; font-weight: 650; font-variant-numeric: tabular-nums; }
.chart-wrap { overflow-x: auto; }
svg { display: block; width: 100%; height: auto; }
#chart svg { min-width: 560px; }
.heat { overflow-x: auto; }
.heat svg { min-width: 480px; }
svg text { fill: var(--muted); font-size: 11px; }
svg .axis { stroke: var(--line); }
svg .day-bar { cursor: pointer; }
svg .day-bar:hover rect, svg .day-bar:focus rect { opacity: 0.8; }
svg .day-bar:focus { outline: none; }
svg .day-bar:focus .hit { stroke: var(--accent); stroke-width: 2; }
svg .hit { fill: transparent; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 14px; list-style: none; padding: 0; margin: 8px 0 0; font-size: 0.9rem; }
.legend li { display: flex; align-items: center; gap: 6px; }
.swatch { width: 12px; height: 12px; border-radius: 3px; display: inline-block; }
.heat .cell { stroke: var(--line); }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 440px), 1fr)); gap: 0 24px; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { padding: 6px 8px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
th.num, td.num { text-align: right; }
th button { border: 0; background: none; padding: 0; min-height: 0; font-weight: 600; color: var(--fg); }
th[aria-sort] button::after { content: " ▾"; color: var(--muted); }
th[aria-sort="ascending"] button::after { content: " ▴"; }
.budget { margin: 8px 0 16px; }
.budget .meta { font-size: 0.9rem; }
.budget .over { color: var(--error-fg); font-weight: 600; }
.budget svg .track { fill: var(--bar-track); }
.budget svg .spend { fill: var(--accent); }
.budget svg .spend.over { fill: #c5221f; }
.budget svg .mark { stroke: var(--fg); stroke-width: 2; }
.budget svg .projected { stroke: var(--muted); stroke-width: 2; stroke-dasharray: 4 3; }
[hidden] { display: none !important; }
footer { max-width: 1100px; margin: 24px auto; padding: 0 16px 24px; font-size: 0.85rem; color: var(--muted); }
@media (max-width: 480px) {
  form { padding: 10px; }
  label { flex: 1 1 140px; }
  .totals dd { font-size: 1.15rem; }
}
"""#
}

/**
 * The live dashboard page (`GET /` of the live server): a header with the
 * run's step counter, policy version, events received and events the server
 * dropped for this page, and the charts of the chart module (the same as
 * report.html), updated as events arrive. Self-contained (no network but
 * its own server's /history and /events).
 */
import { pageAssets, scriptText } from './assets.js';

/** The live dashboard as one self-contained HTML page (charts, step counter, drops), reading `/history` and `/events` of its own server. */
export function dashboardHtml(): string {
  const a = pageAssets();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>lamer live</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${a.uplotCss}
body{font-family:system-ui,sans-serif;margin:24px;max-width:960px}
header{position:sticky;top:0;background:#fff;padding:8px 0;border-bottom:1px solid #ddd;z-index:1}
h1{font-size:20px;margin:0 0 6px}
.counters span{margin-right:18px}.counters b{font-variant-numeric:tabular-nums}
.chart{margin:20px 0}</style>
</head><body data-status="connecting">
<header>
<h1 id="title">lamer live</h1>
<div class="counters">
<span>step <b id="step">0</b><b id="steps"></b></span>
<span>policy v<b id="version">0</b></span>
<span>events <b id="events">0</b></span>
<span>dropped for this page <b id="dropped">0</b></span>
<span id="status">connecting</span>
</div>
</header>
<div id="charts"></div>
<script>${scriptText(a.uplotJs)}</script>
<script>${scriptText(a.chartsJs)}</script>
<script>${scriptText(a.liveJs)}</script>
</body></html>
`;
}

/**
 * The browser code the pages inline, so they open offline: uPlot (MIT,
 * read from node_modules) and the chart module (assets/charts.js) that the
 * live dashboard and report.html share, plus the dashboard's connection
 * script (assets/live.js). Read once per process.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export interface PageAssets {
  uplotJs: string;
  uplotCss: string;
  chartsJs: string;
  liveJs: string;
}

let cached: PageAssets | null = null;

export function pageAssets(): PageAssets {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const uplot = join(require.resolve('uplot/package.json'), '..', 'dist');
  const own = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
  cached = {
    uplotJs: readFileSync(join(uplot, 'uPlot.iife.min.js'), 'utf8'),
    uplotCss: readFileSync(join(uplot, 'uPlot.min.css'), 'utf8'),
    chartsJs: own('charts.js'),
    liveJs: own('live.js'),
  };
  return cached;
}

/** Text safe inside a <script> element. */
export const scriptText = (s: string): string => s.replace(/<\/script/gi, '<\\/script');

/** JSON safe inside a <script> element. */
export const scriptJson = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c');

export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch]!);

/**
 * `lamer train --live` as a person uses it: the real command in a child process, its dashboard in real
 * headless Chromium (Debian's `chromium`, driven by playwright-core; `.ci/run` installs it), a client that
 * connects late, and one that connects and never reads. Skipped only outside CI on a machine without
 * /usr/bin/chromium.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { LiveEvent } from '../../src/live/events.js';
import { readHistory } from '../../src/train/history.js';
import { tinyTrainInput } from '../fixtures/tiny-train.js';

const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM) || process.env.CI === 'true';

const root = mkdtempSync(join(tmpdir(), 'lamer-live-e2e-'));
// A CI-sized run, a few steps longer than the smoke test's so the page sees it move.
const config = tinyTrainInput(join(root, 'warm'), { steps: 4 });
const configPath = join(root, 'config.json');
writeFileSync(configPath, JSON.stringify(config));

let browser: Browser | null = null;
let child: ChildProcess | null = null;
afterAll(async () => {
  child?.kill();
  await browser?.close();
});

/** The command's stdout so far, and a promise of its exit code. */
function train(out: string, extra: string[]) {
  const p = spawn(
    process.execPath,
    ['bin/lamer.js', 'train', '--env', 'minesweeper', '--config', configPath, '--out', out, ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child = p;
  const text = { out: '', err: '' };
  p.stdout!.on('data', (d: Buffer) => {
    text.out += d.toString();
  });
  p.stderr!.on('data', (d: Buffer) => {
    text.err += d.toString();
  });
  const exited = new Promise<number>((resolve) => p.on('exit', (code) => resolve(code ?? -1)));
  return { text, exited };
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined> | T | null | undefined) {
  for (let i = 0; i < 1200; i++) {
    const v = await probe();
    if (v !== null && v !== undefined && v !== false) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The part of the page's DOM the test reads (the test compiles without the DOM typings). */
interface PageDocument {
  getElementById(id: string): { textContent: string | null } | null;
  querySelector(selector: string): { getAttribute(name: string): string | null } | null;
  body: { dataset: Record<string, string | undefined> };
}

describe.skipIf(!available)('lamer train --live in headless Chromium', () => {
  it('the page counts steps and its charts gain points while the run goes; a late client gets the whole stream; a stalled client holds nothing up', async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-gpu',
        '--no-first-run',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const out = join(root, 'live');
    const run = train(out, ['--live', '0']);
    const url = await until(
      'the live URL',
      () => /live metrics: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(run.text.out)?.[1],
    );
    const port = Number(new URL(url).port);

    // a client that connects at once and never reads
    const stalled = connect(port, '127.0.0.1');
    stalled.pause();
    stalled.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');

    const page = await browser.newPage();
    await page.goto(url);
    const read = () =>
      page.evaluate(() => {
        const document = (globalThis as unknown as { document: PageDocument }).document;
        const points = document.querySelector('[data-chart="turns"]')?.getAttribute('data-points');
        return {
          step: Number(document.getElementById('step')!.textContent),
          points: Number(points ?? 0),
          status: document.body.dataset.status ?? '',
        };
      });
    // while the run goes: the step counter advances and the per-batch chart gains points
    const first = await until('step 1 on the page', async () => {
      const r = await read();
      return r.step >= 1 && r.points > 0 ? r : null;
    });
    expect(first.status).toBe('running');
    const later = await until('a later step on the page', async () => {
      const r = await read();
      return r.step > first.step ? r : null;
    });
    expect(later.points).toBeGreaterThan(first.points);
    const svgOrCanvas = await page.locator('[data-chart="turns"] canvas').count();
    expect(svgOrCanvas).toBeGreaterThan(0);

    // a client that connects late reads the whole stream from the first event to the end
    const late = await fetch(`${url}events`).then((r) => r.text());
    const events = late
      .split('\n\n')
      .filter((m) => m.startsWith('id: '))
      .map((m) => JSON.parse(/^data: (.*)$/m.exec(m)![1]!) as LiveEvent);
    expect(await run.exited).toBe(0);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    expect(events[0]).toMatchObject({ kind: 'run', run: { command: 'train', steps: 4 } });
    expect(events.at(-1)).toMatchObject({ kind: 'end' });
    expect(events.at(-1)).not.toHaveProperty('error');
    const history = await readHistory(join(out, 'history.jsonl'));
    const steps = events.flatMap((e) => (e.kind === 'step' ? [e.entry] : []));
    expect(steps).toEqual(history.filter((h) => h.train));
    expect(events.filter((e) => e.kind === 'step').map((e) => [e.step, e.policyVersion])).toEqual(
      history.filter((h) => h.train).map((h) => [h.step, h.train!.policyVersion]),
    );
    // the page finished with every event
    await until('the page to finish', async () => ((await read()).status === 'finished' ? true : null));
    expect(
      await page.evaluate(() => (globalThis as unknown as { lamerLive: { last: number } }).lamerLive.last),
    ).toBe(events.length - 1);
    // the stalled client was held open through the run (the closing line counts the connections) and the
    // run finished every step regardless; what a client that falls behind loses is counted (server.test.ts)
    const served = /live metrics: (\d+) events, (\d+) SSE connection\(s\), (\d+) events dropped/.exec(
      run.text.out,
    );
    expect(Number(served?.[1])).toBe(events.length);
    expect(Number(served?.[2])).toBeGreaterThanOrEqual(3); // the stalled client, the page, the late client
    expect(history.filter((h) => h.train).map((h) => h.step)).toEqual([1, 2, 3, 4]);
    expect(stalled.destroyed).toBe(false);
    stalled.destroy();
  }, 240_000);
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const sessionCore = new URL('../../src/learner/session-core.ts', import.meta.url).href;

// A child process that creates an onnxruntime session (from bytes that are no model: onnxruntime sets up
// its environment, telemetry included, before it parses them) after importing `importFirst`, in its own
// TMPDIR, with no CI variable (onnxruntime stays quiet under CI); prints ORT_DISABLE_TELEMETRY as it was.
function runChild(importFirst: string, env: Record<string, string>): { files: string[]; value: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ort-telemetry-'));
  dirs.push(dir);
  const code = [
    `await import(${JSON.stringify(importFirst)});`,
    "const ort = await import('onnxruntime-node');",
    'await ort.InferenceSession.create(new Uint8Array([1, 2, 3])).catch(() => {});',
    "process.stdout.write(String(process.env.ORT_DISABLE_TELEMETRY ?? '(unset)'));",
  ].join('\n');
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, TMPDIR: dir };
  for (const k of ['CI', 'GITHUB_ACTIONS', 'TF_BUILD', 'JENKINS_URL']) delete childEnv[k];
  if (!('ORT_DISABLE_TELEMETRY' in env)) delete childEnv.ORT_DISABLE_TELEMETRY;
  const value = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    env: childEnv,
    encoding: 'utf8',
  });
  // onnxruntime's files only (tsx keeps its cache there too)
  const files = readdirSync(dir).filter((f) => f === '.ses' || f.startsWith('mat-debug-'));
  return { files, value };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("onnxruntime's telemetry", () => {
  it('is off in a process that loads our sessions: no device id or log files are written', () => {
    const ours = runChild(sessionCore, {});
    expect(ours.value).toBe('1');
    expect(ours.files).toEqual([]);
    // control: onnxruntime alone, in the same conditions, writes them (else this test proves nothing)
    const bare = runChild('onnxruntime-node', {});
    expect(bare.value).toBe('(unset)');
    expect(bare.files).toContain('.ses');
    expect(bare.files.some((f) => f.startsWith('mat-debug-'))).toBe(true);
  });

  it('keeps a value the user set', () => {
    expect(runChild(sessionCore, { ORT_DISABLE_TELEMETRY: '0' }).value).toBe('0');
  });
});

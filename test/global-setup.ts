/**
 * One temporary folder per test run, removed when the run ends: every test that makes a scratch
 * folder with `tmpdir()` (and every CLI child process a test starts) gets it inside this one, so a
 * run leaves nothing behind in the system's temporary folder (they used to pile up, ~20 MB a run).
 * Set LAMER_KEEP_TEST_TMP=1 to keep it for a look after a failure (its path is printed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'lamer-test-run-'));
  process.env.TMPDIR = root; // read by os.tmpdir() at each call; workers and child processes inherit it
  return () => {
    if (process.env.LAMER_KEEP_TEST_TMP === '1') console.log(`test scratch folders kept in ${root}`);
    else rmSync(root, { recursive: true, force: true });
  };
}

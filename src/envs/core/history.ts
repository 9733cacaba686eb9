/**
 * The history formatter of the reference's grid envs (`memory.py::fetch`):
 * the last `historyLength` records as `Action k: ...\nObservation k:\n...`,
 * observations older than the last `obsLength` replaced by `...`, numbering
 * continuing from the attempt's first turn, and rendering stopping at the
 * first record whose `done` is true.
 */
import type { HistoryRecord } from './types.js';

/** How much of an attempt's history a prompt shows. */
export interface HistoryWindow {
  /** How many of the most recent records are shown (reference default 7). */
  historyLength: number;
  /** How many of the shown records print their observation (others print `...`). */
  obsLength: number;
}

/**
 * The windows of the reference's grid envs (Sokoban, MineSweeper; `build_text_obs`
 * and `memory.py::fetch` defaults): play shows the last 7 turns with the last 2
 * observations, reflect shows all 7 observations, past attempts in memory blocks use
 * the play window.
 */
export const GRID_WINDOWS = {
  play: { historyLength: 7, obsLength: 2 },
  reflect: { historyLength: 7, obsLength: 7 },
  past: { historyLength: 7, obsLength: 2 },
} as const satisfies Record<string, HistoryWindow>;

/** The last `historyLength` records as `Action k: ... / Observation k: ...` lines; only the last `obsLength` print their observation (the reference's format). */
export function formatHistory(records: readonly HistoryRecord[], window: HistoryWindow): string {
  const recent = records.slice(Math.max(0, records.length - window.historyLength));
  const start = records.length - recent.length;
  const lines: string[] = [];
  for (let j = 0; j < recent.length; j++) {
    const rec = recent[j]!;
    const k = start + j + 1;
    if (recent.length - j > window.obsLength) {
      lines.push(`Action ${k}: ${rec.action}\nObservation ${k}: ...`);
    } else {
      lines.push(`Action ${k}: ${rec.action}\nObservation ${k}:\n${rec.observation}`);
    }
    if (rec.done) break;
  }
  return lines.join('\n');
}

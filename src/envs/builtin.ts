/**
 * Registers the built-in envs once. Import this module (or call
 * `registerBuiltinEnvs`) before looking envs up by id.
 */

import { alfworld } from './alfworld/index.js';
import { listEnvs, registerEnv } from './core/registry.js';
import type { AnyEnvDefinition } from './core/types.js';
import { minesweeper } from './minesweeper/index.js';
import { sokoban } from './sokoban/index.js';
import { webshop } from './webshop/index.js';

/** The built-in envs, in the order `lamer envs` lists them. */
export const BUILTIN_ENVS: AnyEnvDefinition[] = [
  // BUILTIN-ENVS (one line per env; keep this marker)
  sokoban,
  minesweeper,
  webshop,
  alfworld,
];

let registered = false;

/** Registers the built-in envs (Sokoban, MineSweeper, WebShop, ALFWorld) once; ids already registered are left alone. Idempotent. */
export function registerBuiltinEnvs(): void {
  if (registered) return;
  registered = true;
  const have = new Set(listEnvs().map((e) => e.id));
  for (const env of BUILTIN_ENVS) if (!have.has(env.id)) registerEnv(env);
}

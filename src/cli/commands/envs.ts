/**
 * `lamer envs`: the registered envs, their presets and parameters — a table on
 * a terminal, plain columns in a pipe, JSON with `--json`.
 */
import type { Command } from 'commander';
import { registerBuiltinEnvs } from '../../envs/builtin.js';
import { getEnv, listEnvs } from '../../envs/core/registry.js';
import type { AnyEnvDefinition } from '../../envs/core/types.js';
import { type TableStyle, tableStyle, textTable } from '../../metrics/sinks/text-table.js';
import { example } from './help.js';

/** One env as `lamer envs --json` prints it. */
export interface EnvSummary {
  id: string;
  aliases: string[];
  defaultPreset: string;
  /** Turn budget of one attempt. */
  maxTurns: number;
  /** Turn budget of one attempt in evaluation, where it differs (ALFWorld). */
  evalMaxTurns?: number;
  /** Preset name → its params. */
  presets: Record<string, unknown>;
  /** The env's doc block (with `--doc`). */
  doc?: string;
}

function summary(env: AnyEnvDefinition, doc: boolean): EnvSummary {
  return {
    id: env.id,
    aliases: [...env.aliases],
    defaultPreset: env.defaultPreset,
    maxTurns: env.maxTurns,
    ...(env.evalMaxTurns ? { evalMaxTurns: env.evalMaxTurns } : {}),
    presets: env.presets as Record<string, unknown>,
    ...(doc ? { doc: env.doc.trim() } : {}),
  };
}

/** The envs table: one row per env and preset, scalar params only. */
export function envsTable(style: TableStyle = { box: true, color: false }): string {
  registerBuiltinEnvs();
  const rows: string[][] = [];
  for (const env of listEnvs()) {
    for (const [name, params] of Object.entries(env.presets)) {
      // Plain values and lists of them (ALFWorld's taskTypes=1,2,3,4); nested objects are left out.
      const shown = Object.entries(params as Record<string, unknown>)
        .filter(([, v]) => v !== undefined && (typeof v !== 'object' || isFlatList(v)))
        .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
        .join(' ');
      const preset = name === env.defaultPreset ? `${name} (default)` : name;
      const turns = env.evalMaxTurns ? `${env.maxTurns} (eval ${env.evalMaxTurns})` : String(env.maxTurns);
      rows.push([env.id, env.aliases.join(', '), preset, shown, turns]);
    }
  }
  return textTable(['env', 'aliases', 'preset', 'params', 'turns'], rows, style);
}

function isFlatList(v: unknown): boolean {
  return Array.isArray(v) && v.every((x) => typeof x !== 'object');
}

export function registerEnvsCommand(program: Command): void {
  program
    .command('envs')
    .description('list the registered environments, their presets and parameters')
    .option('--doc <env>', 'print the doc block of one env')
    .option('--json', 'print JSON (with --doc: that env, its doc included)')
    .addHelpText('after', example('lamer envs --json', 'lamer envs --doc minesweeper'))
    .action((opts: { doc?: string; json?: boolean }) => {
      registerBuiltinEnvs();
      if (opts.doc) {
        const env = getEnv(opts.doc);
        console.log(
          opts.json ? JSON.stringify(summary(env, true), null, 2) : `${env.id}\n\n${env.doc.trim()}`,
        );
        return;
      }
      if (opts.json)
        console.log(
          JSON.stringify(
            listEnvs().map((env) => summary(env, false)),
            null,
            2,
          ),
        );
      else console.log(envsTable(tableStyle(process.stdout)));
    });
}

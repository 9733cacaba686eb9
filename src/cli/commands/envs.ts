/**
 * `lamer envs`: the registered envs, their presets and parameters.
 */
import Table from 'cli-table3';
import type { Command } from 'commander';
import { registerBuiltinEnvs } from '../../envs/builtin.js';
import { getEnv, listEnvs } from '../../envs/core/registry.js';

export function envsTable(): string {
  registerBuiltinEnvs();
  const table = new Table({ head: ['env', 'aliases', 'preset', 'params', 'turns'], style: { head: [] } });
  for (const env of listEnvs()) {
    for (const [name, params] of Object.entries(env.presets)) {
      // Plain values and lists of them (ALFWorld's taskTypes=1,2,3,4); nested objects are left out.
      const shown = Object.entries(params as Record<string, unknown>)
        .filter(([, v]) => v !== undefined && (typeof v !== 'object' || isFlatList(v)))
        .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
        .join(' ');
      const preset = name === env.defaultPreset ? `${name} (default)` : name;
      const turns = env.evalMaxTurns ? `${env.maxTurns} (eval ${env.evalMaxTurns})` : String(env.maxTurns);
      table.push([env.id, env.aliases.join(', '), preset, shown, turns]);
    }
  }
  return table.toString();
}

function isFlatList(v: unknown): boolean {
  return Array.isArray(v) && v.every((x) => typeof x !== 'object');
}

export function registerEnvsCommand(program: Command): void {
  program
    .command('envs')
    .description('list the registered environments, their presets and parameters')
    .option('--doc <env>', 'print the doc block of one env')
    .action((opts: { doc?: string }) => {
      if (opts.doc) {
        registerBuiltinEnvs();
        const env = getEnv(opts.doc);
        console.log(`${env.id}\n\n${env.doc.trim()}`);
        return;
      }
      console.log(envsTable());
    });
}

/**
 * The env registry (Gymnasium style): versioned ids (`Sokoban-v0`), short
 * aliases for the CLI (`sokoban`), named difficulty presets and validated params.
 */
import { z } from 'zod';
import { ConfigError, UnknownIdError } from '../../util/errors.js';
import type { AnyEnvDefinition, EnvDefinition } from './types.js';

const ID_PATTERN = /^[A-Za-z][A-Za-z0-9]*-v\d+$/;

const envs = new Map<string, AnyEnvDefinition>();

/** Register an env. Throws when the id is malformed or already taken. */
export function registerEnv<S, A, P>(env: EnvDefinition<S, A, P>): void {
  if (!ID_PATTERN.test(env.id)) {
    throw new ConfigError(`env id "${env.id}" must look like Name-v0 (a name, a dash, a version)`);
  }
  if (envs.has(env.id)) throw new ConfigError(`env id "${env.id}" is already registered; bump its version`);
  if (!(env.defaultPreset in env.presets)) {
    throw new ConfigError(`env ${env.id}: defaultPreset "${env.defaultPreset}" is not one of its presets`);
  }
  envs.set(env.id, env as AnyEnvDefinition);
}

/** Remove an env (tests registering their own envs clean up with this). */
export function unregisterEnv(id: string): boolean {
  return envs.delete(id);
}

/** All registered envs, sorted by id. */
export function listEnvs(): AnyEnvDefinition[] {
  return [...envs.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * Look up an env by versioned id or alias (case-insensitive). An alias or a bare
 * name resolves to the highest registered version.
 */
export function getEnv(idOrAlias: string): AnyEnvDefinition {
  const exact = envs.get(idOrAlias);
  if (exact) return exact;
  const key = idOrAlias.toLowerCase();
  const matches = [...envs.values()].filter(
    (e) =>
      e.id.toLowerCase() === key ||
      e.aliases.some((a) => a.toLowerCase() === key) ||
      e.id.toLowerCase().replace(/-v\d+$/, '') === key,
  );
  if (matches.length === 0) {
    const known = listEnvs()
      .map((e) => [e.id, ...e.aliases].join(' | '))
      .join('; ');
    throw new UnknownIdError(`unknown env "${idOrAlias}". Registered envs: ${known || '(none)'}`);
  }
  return matches.sort((a, b) => version(b.id) - version(a.id))[0]!;
}

function version(id: string): number {
  return Number(/-v(\d+)$/.exec(id)?.[1] ?? 0);
}

/**
 * The params of a preset, with overrides applied, validated by the env's schema.
 * A bad value raises a ConfigError naming the field and the expected value.
 */
export function resolveParams<P>(
  env: EnvDefinition<unknown, unknown, P>,
  preset?: string,
  overrides: Record<string, unknown> = {},
): P {
  const name = preset ?? env.defaultPreset;
  const base = env.presets[name];
  if (base === undefined) {
    throw new UnknownIdError(
      `env ${env.id} has no preset "${name}". Presets: ${Object.keys(env.presets).join(', ')}`,
    );
  }
  return parseParams(env, { ...(base as object), ...overrides });
}

/**
 * The param names an env's schema declares, or null when its schema is not a
 * zod object (then unknown names cannot be told apart and pass as before).
 */
export function knownParams(env: EnvDefinition<unknown, unknown, unknown>): string[] | null {
  const schema = env.paramsSchema as unknown;
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : null;
}

/**
 * Validate raw params against the env's schema. A name the schema does not
 * declare is an error listing the known ones (zod would drop it silently, so
 * `mine=30` would play with the default mine count).
 */
export function parseParams<P>(env: EnvDefinition<unknown, unknown, P>, raw: unknown): P {
  const known = knownParams(env as EnvDefinition<unknown, unknown, unknown>);
  if (known !== null && raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const unknown = Object.keys(raw).filter((k) => !known.includes(k));
    if (unknown.length > 0) {
      throw new ConfigError(
        `unknown param${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} for ${env.id}; its params: ${known.join(', ')}`,
      );
    }
  }
  const result = env.paramsSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues
      .map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`)
      .join('; ');
    throw new ConfigError(`invalid params for ${env.id}: ${problems}`);
  }
  return result.data;
}

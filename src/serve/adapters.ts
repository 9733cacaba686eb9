/**
 * LoRA adapters loaded while `lamer serve --enable-lora` serves, by vLLM's dynamic LoRA API:
 * `POST /v1/load_lora_adapter` `{ lora_name, lora_path }` and `POST /v1/unload_lora_adapter`
 * `{ lora_name }`, answered as vLLM answers them (plain-text success; 400 for a name already loaded
 * or a folder that is not an adapter of this model; 404 for an unknown name). A chat request names
 * an adapter in `model`, or the base model. What an adapter is (a PEFT folder read and checked
 * against the served model) is the `AdapterHost`'s business; this file keeps the names.
 */
import { LamerError } from '../util/errors.js';
import { HttpError } from './reply.js';
import { loadAdapterRequest, unloadAdapterRequest } from './schema.js';

/** The served model's side of adapters: read, drop, and put one in place for the next batch. */
export interface AdapterHost {
  /**
   * Read the adapter folder at `path` and keep it under `name` (replacing one of that name). Throws
   * a LamerError saying what is wrong (not a PEFT folder, another model's shapes, ...).
   */
  load(name: string, path: string): Promise<void>;
  /** Drop adapter `name`. */
  unload(name: string): Promise<void>;
  /** Make adapter `name` (null: none, the base model) the weights of the next `generate` call. */
  activate(name: string | null): Promise<void>;
}

export interface LoadedAdapter {
  name: string;
  path: string;
  /** Unix seconds it was loaded. */
  created: number;
}

export class AdapterRegistry {
  private readonly loaded = new Map<string, LoadedAdapter>();
  /** Load and unload one at a time (a second load of a name waits for the first). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly host: AdapterHost,
    /** The base model's id: no adapter may take it. */
    readonly baseModel: string,
  ) {}

  /** The adapters, in load order. */
  list(): LoadedAdapter[] {
    return [...this.loaded.values()];
  }

  /** Whether a chat request may name `model`. */
  serves(model: string): boolean {
    return model === this.baseModel || this.loaded.has(model);
  }

  /** The adapter a request for `model` runs with (null: the base model). */
  adapterOf(model: string): string | null {
    return model === this.baseModel ? null : model;
  }

  /** `POST /v1/load_lora_adapter`: the plain-text success message, or an HttpError. */
  load(json: unknown): Promise<string> {
    const body = loadAdapterRequest.safeParse(json);
    if (!body.success) throw badBody(body.error.issues[0], 'lora_name and lora_path');
    const { lora_name: name, lora_path: path, load_inplace: inplace } = body.data;
    return this.serial(async () => {
      if (name === this.baseModel)
        throw new HttpError(400, `"${name}" is the base model's name; give the adapter another lora_name`);
      if (this.loaded.has(name) && inplace !== true)
        throw new HttpError(
          400,
          `The lora adapter '${name}' has already been loaded. Unload it first, or send load_inplace: true to replace it`,
        );
      await this.host.load(name, path).catch(asBadRequest);
      this.loaded.set(name, { name, path, created: Math.floor(Date.now() / 1000) });
      return `Success: LoRA adapter '${name}' added successfully.`;
    });
  }

  /** `POST /v1/unload_lora_adapter`: the plain-text success message, or an HttpError. */
  unload(json: unknown): Promise<string> {
    const body = unloadAdapterRequest.safeParse(json);
    if (!body.success) throw badBody(body.error.issues[0], 'lora_name');
    const name = body.data.lora_name;
    return this.serial(async () => {
      if (!this.loaded.has(name))
        throw new HttpError(404, `The lora adapter '${name}' cannot be found.`, 'not_found_error');
      await this.host.unload(name).catch(asBadRequest);
      this.loaded.delete(name);
      return `Success: LoRA adapter '${name}' removed successfully.`;
    });
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function badBody(issue: { path: PropertyKey[]; message: string } | undefined, wants: string): HttpError {
  const where = issue?.path.join('.') || 'body';
  return new HttpError(400, `${where}: ${issue?.message ?? 'invalid'} (the body is JSON with ${wants})`);
}

/** A host's LamerError is the client's fault (a bad path or folder): 400 with its message. */
function asBadRequest(error: unknown): never {
  if (error instanceof LamerError) throw new HttpError(400, error.message);
  throw error;
}

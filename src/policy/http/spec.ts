/**
 * `openai:URL#MODEL` policy specs for the CLI, e.g.
 * `openai:http://127.0.0.1:8000/v1#Qwen/Qwen3-4B`.
 */
import { ConfigError } from '../../util/errors.js';

/** A served model: the API base URL and the model name (parsed from `openai:URL#MODEL`). */
export interface OpenAiSpec {
  /** Base URL up to and including the API version, e.g. `http://127.0.0.1:8000/v1` (no trailing slash); the first of `baseURLs`. */
  baseURL: string;
  /** Every base URL given (`openai:URL1,URL2#MODEL`: replicas serving the same model). */
  baseURLs: string[];
  model: string;
}

const EXAMPLE = 'openai:http://127.0.0.1:8000/v1#Qwen/Qwen3-4B';

/**
 * Parse `openai:URL#MODEL` or `openai:URL1,URL2,...#MODEL` (replicas; the `openai:` prefix is
 * optional). Throws ConfigError with an example.
 */
export function parseOpenAiSpec(spec: string): OpenAiSpec {
  const body = spec.trim().replace(/^openai:/, '');
  const hash = body.indexOf('#');
  if (hash === -1) {
    throw new ConfigError(`policy spec "${spec}" names no model: write openai:URL#MODEL, e.g. ${EXAMPLE}`);
  }
  const model = body.slice(hash + 1).trim();
  if (model === '') throw new ConfigError(`policy spec "${spec}" has an empty model name, e.g. ${EXAMPLE}`);
  const baseURLs = body
    .slice(0, hash)
    .split(',')
    .map((url) => parseBase(spec, url.trim()));
  return { baseURL: baseURLs[0]!, baseURLs, model };
}

function parseBase(spec: string, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new ConfigError(`policy spec "${spec}": "${url}" is not a URL, e.g. ${EXAMPLE}`, { cause: error });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(
      `policy spec "${spec}": the URL must start with http:// or https://, e.g. ${EXAMPLE}`,
    );
  }
  if (parsed.search !== '' || parsed.username !== '' || parsed.password !== '') {
    throw new ConfigError(
      `policy spec "${spec}": give the base URL without query or credentials (the API key comes from an environment variable)`,
    );
  }
  return parsed.href.replace(/\/+$/, '');
}

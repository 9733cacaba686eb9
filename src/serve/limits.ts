/** Defaults of `lamer serve` that the CLI shows in --help (no imports: --help loads nothing else). */

/** Largest request body in bytes: 1 MiB, as Fastify's (a 1024-token prompt is ~4 KB; 32k tokens ~130 KB). */
export const DEFAULT_MAX_BODY_BYTES = 2 ** 20;

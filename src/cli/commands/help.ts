/**
 * The example lines every command's `--help` ends with.
 */

/** `Examples:` and one indented `$ command` line per example, for `addHelpText('after', ...)`. */
export function example(...commands: string[]): string {
  return `\n${commands.length > 1 ? 'Examples' : 'Example'}:\n${commands.map((c) => `  $ ${c}\n`).join('')}`;
}

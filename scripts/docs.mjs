/**
 * `npm run docs`: the API reference (TypeDoc) of every entry point in
 * package.json `exports` (the `lamer-source` condition names each one's
 * source), written to docs/api/ (generated, git-ignored). Exits 1 on any
 * TypeDoc warning or error: an export without a doc comment, a type the API
 * uses but does not export, a broken {@link}. CI runs it after the tests.
 *
 * One filter, through TypeDoc's public Logger API: "does not have any
 * documentation" about members of a type TypeScript infers (an XState
 * machine's config literal, `{ context, output, states… }`, which TypeDoc
 * reports under a `__type` path) is counted, not failed: those members are
 * XState's, not ours to document, and no TypeDoc option selects them.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Application, ConsoleLogger, LogLevel } from 'typedoc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const entryPoints = Object.values(pkg.exports)
  .filter((target) => typeof target === 'object' && target['lamer-source'])
  .map((target) => join(root, target['lamer-source']));

/** A member of an inferred type literal without documentation (see above). */
const INFERRED_MEMBER = /^\S*\.__type\.\S* \(\w+\), defined in .* does not have any documentation/;

class DocsLogger extends ConsoleLogger {
  inferred = 0;
  validationWarning(text, ...rest) {
    if (INFERRED_MEMBER.test(String(text))) {
      this.inferred++;
      return;
    }
    super.validationWarning(text, ...rest);
  }
}

const app = await Application.bootstrapWithPlugins({
  entryPoints,
  entryPointStrategy: 'resolve',
  tsconfig: join(root, 'tsconfig.build.json'),
  out: join(root, 'docs/api'),
  name: `${pkg.name} ${pkg.version}`,
  readme: 'none',
  // No public repository URL to link sources to (a clone's origin is a local path, which TypeDoc warns about).
  disableSources: true,
  excludePrivate: true,
  excludeProtected: true,
  excludeExternals: true,
  sort: ['source-order'],
  // every exported declaration (members of our interfaces are documented by convention, not enforced)
  requiredToBeDocumented: ['Enum', 'Variable', 'Function', 'Class', 'Interface', 'TypeAlias'],
  validation: { notExported: true, invalidLink: true, notDocumented: true },
  // Types the API mentions that a user never names: zod schemas behind `z.infer` types (the
  // inferred type is the documented API), XState's child done/error events (a lane's trials), ALFWorld's static
  // game data (reached through `AlfWorldState.game`), and the learner's graph IR and weight
  // plumbing (src/learner/graph, weights.ts: what the graph builders take and return, internal).
  intentionallyNotExported: [
    'paramsSchema',
    'layoutSchema',
    'alfworldParamsSchema',
    'TrialDone',
    'TrialError',
    'Game',
    'Tensor',
    'GraphSpec',
    'ExternalWeights',
    'FrozenWeights',
    'Trainable',
  ],
  logLevel: 'Info',
});
const bootstrapProblems = app.logger.warningCount + app.logger.errorCount;
const logger = new DocsLogger();
logger.level = LogLevel.Info;
app.logger = logger;

const project = await app.convert();
if (project) {
  app.validate(project);
  await app.generateDocs(project, join(root, 'docs/api'));
} else {
  logger.error('docs: TypeDoc could not convert the project');
}
const problems = bootstrapProblems + logger.warningCount + logger.errorCount;
console.log(
  `docs: ${entryPoints.length} entry points → docs/api/; ${problems} problems` +
    (logger.inferred ? ` (${logger.inferred} notes on members of inferred types ignored)` : ''),
);
if (problems > 0) process.exitCode = 1;

import { LamerError } from '../../util/errors.js';

/** A graph is malformed: a shape or dtype mismatch, an undefined input, a cycle, a bad attribute. */
export class GraphError extends LamerError {}

/** The reverse walker met an op with no gradient rule. */
export class MissingGradientRuleError extends LamerError {
  constructor(readonly op: string) {
    super(
      `no gradient rule for op '${op}': add one to gradRules in src/learner/graph/grad-rules.ts, ` +
        `or keep '${op}' off the path from the parameters to the loss`,
    );
  }
}

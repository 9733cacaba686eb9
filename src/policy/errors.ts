import { LamerError } from '../util/errors.js';

/** A policy could not answer a request (bad reply count, missing oracle, exhausted script, failed call). */
export class PolicyError extends LamerError {}

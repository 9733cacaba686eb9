// Contract (types)

// Errors
export { PolicyError } from './errors.js';
// Scripted policies
export {
  type ExpertOptions,
  expertPolicy,
  GENERIC_REFLECTION,
  randomPolicy,
  requestRng,
  type Script,
  type ScriptedTextOptions,
  scriptedTextPolicy,
} from './scripted.js';
export type {
  ChatMessage,
  Generation,
  GenerationOracle,
  GenerationRequest,
  Policy,
  SamplingSettings,
} from './types.js';

// Contract types
export type {
  AnyEnvDefinition,
  AttemptMemory,
  EnvDefinition,
  HistoryRecord,
  Json,
  MemoryMode,
  PlayPromptContext,
  Projection,
  PromptSet,
  PromptStyle,
  ReflectionParse,
  ReflectPromptContext,
  StepResult,
} from './types.js';

// Registry
export { getEnv, listEnvs, parseParams, registerEnv, resolveParams, unregisterEnv } from './registry.js';

// Seeds and splits
export {
  DEFAULT_VALIDATION_SEED,
  SEED_RANGES,
  type Split,
  splitOf,
  taskSeeds,
  validationSeeds,
} from './seeds.js';

// Contract checker
export { type ContractOptions, type ContractReport, checkEnvContract } from './contract.js';

// Shared helpers for env authors
export { formatHistory, GRID_WINDOWS, type HistoryWindow } from './history.js';
export { shownHistories, shownReflections } from './lessons.js';
export { type AppliedReply, applyAction, applyReply } from './reply.js';
export { extractBetween, type Occurrence, parseRemark, REFLECTION_MAX_CHARS, wrapAction } from './tags.js';

/**
 * `lamer-ts/envs`: the environment contract, the registry, the contract
 * checker for your own envs, seeds and splits, and the built-in envs.
 *
 * @module envs
 */

// Contract, registry, seeds, contract checker, helpers for env authors
export {
  type AnyEnvDefinition,
  type AppliedReply,
  type AttemptMemory,
  applyAction,
  applyReply,
  type ContractOptions,
  type ContractReport,
  checkEnvContract,
  DEFAULT_VALIDATION_SEED,
  type EnvDefinition,
  extractBetween,
  formatHistory,
  GRID_WINDOWS,
  getEnv,
  type HistoryRecord,
  type HistoryWindow,
  type Json,
  listEnvs,
  type MemoryMode,
  type Occurrence,
  type PlayPromptContext,
  type Projection,
  type PromptSet,
  type PromptStyle,
  parseParams,
  parseRemark,
  REFLECTION_MAX_CHARS,
  type ReflectionParse,
  type ReflectPromptContext,
  registerEnv,
  resolveParams,
  SEED_RANGES,
  type Split,
  type StepResult,
  shownReflections,
  splitOf,
  taskSeeds,
  unregisterEnv,
  validationSeeds,
  wrapAction,
} from './core/index.js';

// The built-in envs and their registration
export { BUILTIN_ENVS, registerBuiltinEnvs } from './builtin.js';
export { type AlfWorldParams, alfworld } from './alfworld/index.js';
export type { AlfWorldState } from './alfworld/world.js';
export {
  type MinesweeperAction,
  type MinesweeperLayout,
  type MinesweeperParams,
  type MinesweeperState,
  minesweeper,
  parseLayout,
} from './minesweeper/index.js';
export {
  type BoxobanLevel,
  type Move,
  parseBoxoban,
  type SokobanAction,
  type SokobanLevel,
  type SokobanParams,
  type SokobanState,
  sokoban,
  type TurnMove,
} from './sokoban/index.js';
export { webshop } from './webshop/index.js';
export type { WebShopPage, WebShopParams, WebShopState } from './webshop/rules.js';

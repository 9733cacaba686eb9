/** The graph compiler: IR, closed op set, gradient rules, reverse walker, validator, ONNX serialization. */
export { type GradientOptions, gradients, sumToShape } from './autodiff.js';
export { inferRules, type Typed } from './defs.js';
export { compileGraph, IR_VERSION, OPSET, onnxRules } from './emit.js';
export { GraphError, MissingGradientRuleError } from './errors.js';
export { type GradRule, gradRules } from './grad-rules.js';
export {
  add,
  and,
  cast,
  clip,
  concat,
  constant,
  cumsum,
  div,
  equal,
  exp,
  expandLike,
  gather,
  greater,
  input,
  less,
  lessOrEqual,
  log,
  logSoftmax,
  matmul,
  maximum,
  minimum,
  mul,
  neg,
  node,
  not,
  type Operand,
  pad,
  pow,
  reciprocal,
  reduceMax,
  reduceMean,
  reduceSum,
  reshape,
  reshapeLike,
  scalar,
  scatterAdd,
  sigmoid,
  slice,
  softmax,
  sqrt,
  staticDims,
  stopGradient,
  sub,
  sumAll,
  tanh,
  transpose,
  transposeLast,
  uncheckedNode,
  unsqueeze,
  where,
} from './ops.js';
export { encodeModel, type OnnxModel } from './protobuf.js';
export {
  broadcastShapes,
  type Dim,
  type DType,
  dimOffset,
  dimSum,
  isFloat,
  numel,
  type Shape,
  sameShape,
  shapeStr,
} from './shape.js';
export { type Attrs, type ConstData, OP_NAMES, type OpName, Tensor } from './tensor.js';
export { topoSort } from './topo.js';
export { type GraphSpec, validateGraph } from './validate.js';

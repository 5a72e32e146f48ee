export {
  HistoryRecorder,
  PendingOperation,
  partitionByKey,
  type CompletedOperation,
  type FailedOperation,
  type Operation,
  type UnknownOperation,
} from './history.js';
export {
  checkKey,
  checkLinearizable,
  type CheckOptions,
  type KeyVerdict,
  type LinearizabilityResult,
  type Model,
} from './linearizability.js';
export {
  checkRegisters,
  registerModel,
  type RegisterInput,
  type RegisterOperation,
  type RegisterOutput,
} from './register.js';
export {
  checkCounters,
  type CounterInput,
  type CounterOperation,
  type CounterOutput,
  type CounterResult,
  type CounterVerdict,
} from './counter.js';
export {
  TOKEN_END,
  checkAppends,
  type AppendInput,
  type AppendOperation,
  type AppendOutput,
  type AppendResult,
  type AppendVerdict,
} from './append.js';

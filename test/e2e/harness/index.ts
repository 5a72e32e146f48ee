export {
  Member,
  TestCluster,
  stopAllClusters,
  type ClusterOptions,
  type LogLine,
  type MemberPorts,
  type RaftInfo,
} from './cluster.js';
export { freePorts } from './ports.js';
export { REDRAFT_SCRIPT, childEnv, runCli, type CliResult, type ExitStatus } from './process.js';
export {
  RespClient,
  RespTransportError,
  type RespEndpoint,
  parseInfo,
  replyText,
  respCommand,
} from './resp-client.js';
export { WaitTimeoutError, waitFor, type WaitOptions } from './wait.js';
export { checkWrites, readKeys } from './verify.js';
export { WriterPool } from './writers.js';
export { chaosSeed, seededRandom } from './random.js';
export { assertKeys, valueOf, writeKeys } from './load.js';
export {
  memberRow,
  raftMembers,
  replyMap,
  waitForMembership,
  type MemberRow,
} from './membership.js';

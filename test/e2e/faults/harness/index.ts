export {
  raftView,
  startLoopbackCluster,
  startNetnsCluster,
  type ClusterSettings,
  type FaultCluster,
  type FaultNode,
  type RaftView,
} from './fault-cluster.js';
export {
  NETWORK_FAULTS,
  Nemesis,
  PROCESS_FAULTS,
  faultsFor,
  type FaultKind,
  type NemesisEvent,
} from './nemesis.js';
export {
  CLIENT_ADDRESS,
  NetnsNetwork,
  memberAddress,
  netnsSupport,
  sweepStaleNamespaces,
  type Link,
  type NetnsSupport,
} from './netns.js';
export { RespConnection, commandAt, describeEndpoint, type Endpoint } from './resp-connection.js';
export {
  faultSeconds,
  faultSeed,
  runSchedule,
  scheduleTimeoutMs,
  type ScheduleOptions,
  type ScheduleReport,
} from './schedule.js';
export { COUNTER_KEY, Workload, type WorkloadOptions } from './workload.js';

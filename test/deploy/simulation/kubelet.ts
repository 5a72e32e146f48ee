/**
 * Runs a rendered pod's container as a local process, the way the kubelet runs it: the
 * container's command line and environment as Kubernetes computes them (pod-environment.ts),
 * the image's environment under it, volumes as directories, the startup, readiness and
 * liveness probes polled over HTTP, and termination as preStop hook, SIGTERM, then SIGKILL once
 * the grace period is over.
 *
 * What differs from a pod, and why: DNS names and volume mount paths are replaced by loopback
 * addresses and directories (loopback-network.ts); `redraft` on the PATH is this checkout's
 * build; probes are polled every PROBE_INTERVAL_MS instead of every periodSeconds (with the
 * rendered thresholds and timeouts), so that the simulation does not wait seconds per step.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Container, HttpProbe, KubeObject, PodSpec } from '../support/manifests.js';
import { containerArgv, containerEnvironment, type PodFacts } from '../support/pod-environment.js';
import { containerPath } from '../support/redraft-on-path.js';
import type { LoopbackNetwork } from './loopback-network.js';

const PROBE_INTERVAL_MS = 200;

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** What every container of the simulation shares. */
export interface NodeContext {
  readonly network: LoopbackNetwork;
  /** The directory whose `redraft` the containers run (redraft-on-path.ts). */
  readonly binDir: string;
  /** The image's own environment (Dockerfile ENV), under the container's. */
  readonly imageEnv: ReadonlyMap<string, string>;
  /** Every rendered object: Secrets are read from them. */
  readonly objects: () => readonly KubeObject[];
}

export interface ContainerProcessSpec {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** Replaces mount paths at the start of `value` by the directories standing for them. */
function rebase(value: string, mounts: ReadonlyMap<string, string>): string {
  for (const [mountPath, dir] of [...mounts].sort((a, b) => b[0].length - a[0].length)) {
    if (value === mountPath) return dir;
    if (value.startsWith(`${mountPath}/`)) return `${dir}${value.slice(mountPath.length)}`;
  }
  return value;
}

/**
 * The process the kubelet would start for container `c` of pod `pod`, with `volumes` (pod
 * volume name -> directory) mounted where the container mounts them.
 */
export function containerProcess(
  c: Container,
  pod: PodFacts,
  volumes: ReadonlyMap<string, string>,
  context: NodeContext,
  command?: readonly string[],
): ContainerProcessSpec {
  const mounts = new Map<string, string>();
  for (const m of c.volumeMounts ?? []) {
    const dir = volumes.get(m.name);
    if (dir === undefined)
      throw new Error(`container ${c.name} mounts ${m.name}, which the pod does not have`);
    mounts.set(m.mountPath, dir);
  }
  const local = (s: string): string => rebase(context.network.resolveNames(s), mounts);
  const env = containerEnvironment(c, pod, context.objects());
  const argv = (command ?? containerArgv(c, env)).map(local);
  const processEnv: Record<string, string> = {};
  for (const [k, v] of context.imageEnv) if (k !== 'PATH') processEnv[k] = local(v);
  processEnv.HOSTNAME = pod.name;
  for (const [k, v] of env) processEnv[k] = local(v);
  processEnv.PATH = containerPath(context.binDir);
  return { argv, env: processEnv };
}

/** Starts a process with its output appended to `logFile`. */
function startProcess(spec: ContainerProcessSpec, logFile: string, banner: string): ChildProcess {
  const fd = openSync(logFile, 'a');
  try {
    writeSync(fd, `--- ${banner} at ${new Date().toISOString()} ---\n`);
    return spawn(spec.argv[0]!, spec.argv.slice(1), { env: spec.env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
}

function exitOf(child: ChildProcess): Promise<ExitStatus> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** `promise`'s value, or undefined if `deadline` (epoch ms) comes first; leaves no timer behind. */
async function within<T>(promise: Promise<T>, deadline: number): Promise<T | undefined> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      promise,
      sleep(Math.max(0, deadline - Date.now()), undefined, { signal: timer.signal }),
    ]);
  } finally {
    timer.abort();
  }
}

/** Runs a container to completion (a Job's or a test pod's); resolves with its exit status. */
export async function runToCompletion(
  c: Container,
  pod: PodFacts,
  volumes: ReadonlyMap<string, string>,
  context: NodeContext,
  logFile: string,
): Promise<ExitStatus> {
  const child = startProcess(
    containerProcess(c, pod, volumes, context),
    logFile,
    `${pod.name}/${c.name}`,
  );
  return exitOf(child);
}

/** One pod of the StatefulSet: its server container, probes and lifecycle. */
export class SimulatedPod {
  private child: ChildProcess | undefined;
  private exited: Promise<ExitStatus> | undefined;
  private probes: AbortController | undefined;
  private terminating = false;
  private isReady = false;
  /** Exits that nobody asked for, and liveness probes that would have restarted the pod. */
  readonly incidents: string[] = [];

  constructor(
    readonly facts: PodFacts,
    private readonly spec: PodSpec,
    private readonly containerName: string,
    private readonly volumes: ReadonlyMap<string, string>,
    private readonly context: NodeContext,
    readonly logFile: string,
  ) {}

  private get container(): Container {
    const c = this.spec.containers.find((x) => x.name === this.containerName);
    if (c === undefined) throw new Error(`no container ${this.containerName}`);
    return c;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Passing its readiness probe and not terminating: the Services send it clients. */
  get ready(): boolean {
    return this.isReady && !this.terminating;
  }

  start(): void {
    if (this.child !== undefined) throw new Error(`${this.facts.name} is already running`);
    for (const dir of this.volumes.values()) mkdirSync(dir, { recursive: true });
    const spec = containerProcess(this.container, this.facts, this.volumes, this.context);
    const child = startProcess(spec, this.logFile, `starting ${this.facts.name}`);
    this.child = child;
    this.terminating = false;
    this.isReady = false;
    this.exited = exitOf(child).then((status) => {
      if (!this.terminating)
        this.incidents.push(`${this.facts.name} exited by itself: ${JSON.stringify(status)}`);
      this.child = undefined;
      this.probes?.abort();
      return status;
    });
    this.probes = new AbortController();
    void this.probeLoop(this.probes.signal);
  }

  /**
   * Deletes the pod as the kubelet does: out of the Services at once, the preStop hook, then
   * SIGTERM, and SIGKILL when terminationGracePeriodSeconds runs out.
   */
  async terminate(): Promise<ExitStatus> {
    const child = this.child;
    const exited = this.exited;
    if (child === undefined || exited === undefined)
      throw new Error(`${this.facts.name} is not running`);
    this.terminating = true;
    this.isReady = false;
    const grace = (this.spec.terminationGracePeriodSeconds ?? 30) * 1000;
    const deadline = Date.now() + grace;
    const preStop = this.container.lifecycle?.preStop?.exec?.command;
    if (preStop !== undefined) {
      const hook = startProcess(
        containerProcess(this.container, this.facts, this.volumes, this.context, preStop),
        this.logFile,
        `preStop of ${this.facts.name}`,
      );
      if ((await within(exitOf(hook), deadline)) === undefined) hook.kill('SIGKILL');
    }
    child.kill('SIGTERM');
    const status = await within(exited, deadline);
    if (status !== undefined) return status;
    this.incidents.push(
      `${this.facts.name} outlived its grace period of ${grace} ms and was killed`,
    );
    child.kill('SIGKILL');
    return exited;
  }

  /** Kills the process without ceremony (test teardown). */
  kill(): Promise<ExitStatus> | undefined {
    this.terminating = true;
    this.child?.kill('SIGKILL');
    return this.exited;
  }

  private probePort(probe: HttpProbe): number {
    const { port } = probe.httpGet;
    if (typeof port === 'number') return port;
    const found = this.container.ports?.find((p) => p.name === port)?.containerPort;
    if (found === undefined) throw new Error(`probe port ${port} is not a container port`);
    return found;
  }

  private async probe(probe: HttpProbe): Promise<boolean> {
    const scheme = (probe.httpGet.scheme ?? 'HTTP').toLowerCase();
    const url = `${scheme}://${this.facts.ip}:${this.probePort(probe)}${probe.httpGet.path}`;
    try {
      const response = await fetch(url, {
        signal: AbortSignal.timeout((probe.timeoutSeconds ?? 1) * 1000),
      });
      await response.arrayBuffer();
      return response.status >= 200 && response.status < 400;
    } catch {
      return false;
    }
  }

  private async probeLoop(signal: AbortSignal): Promise<void> {
    const c = this.container;
    let started = c.startupProbe === undefined;
    let notReady = 0;
    let notLive = 0;
    while (!signal.aborted) {
      if (!started) {
        started = await this.probe(c.startupProbe!);
      } else {
        if (c.readinessProbe === undefined || (await this.probe(c.readinessProbe))) {
          notReady = 0;
          this.isReady = true;
        } else if (++notReady >= (c.readinessProbe.failureThreshold ?? 3)) {
          this.isReady = false;
        }
        if (c.livenessProbe !== undefined && !this.terminating) {
          if (await this.probe(c.livenessProbe)) notLive = 0;
          else if (++notLive === (c.livenessProbe.failureThreshold ?? 3)) {
            this.incidents.push(
              `${this.facts.name} failed its liveness probe ${notLive} times in a row`,
            );
          }
        }
      }
      // Probe pacing (see the file comment), not a wait for some condition.
      await sleep(PROBE_INTERVAL_MS, undefined, { signal }).catch(() => undefined);
    }
  }

  /** The last lines of the pod's log, for failure messages. */
  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }
}

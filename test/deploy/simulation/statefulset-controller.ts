/**
 * The StatefulSet controller's part, over SimulatedPods: pods named <set>-<ordinal>, each with
 * a PersistentVolumeClaim per volumeClaimTemplate that outlives the pod, podManagementPolicy
 * Parallel (pods to create start together; pods to remove stop together), a rolling update one
 * pod at a time from the highest ordinal, each waiting for the previous to be ready, and the
 * claims of pods removed by a scale-down deleted when persistentVolumeClaimRetentionPolicy's
 * whenScaled says Delete. Jobs and test pods run to completion, a failed Job pod retried up to
 * backoffLimit times as the Job controller does.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  findOne,
  type Job,
  type KubeObject,
  type Pod,
  type PodSpec,
  type Secret,
  type StatefulSet,
} from '../support/manifests.js';
import { runToCompletion, SimulatedPod, type ExitStatus, type NodeContext } from './kubelet.js';

export type ClusterContext = Omit<NodeContext, 'objects'>;

export class SimulatedStatefulSet {
  readonly pods = new Map<number, SimulatedPod>();
  private generation = 0;
  private objects: readonly KubeObject[];

  constructor(
    objects: readonly KubeObject[],
    private readonly name: string,
    private readonly context: ClusterContext,
    private readonly dir: string,
  ) {
    this.objects = objects;
  }

  private get nodeContext(): NodeContext {
    return { ...this.context, objects: () => this.objects };
  }

  get statefulSet(): StatefulSet {
    return findOne(this.objects, 'StatefulSet', this.name) as StatefulSet;
  }

  private get namespace(): string {
    return this.statefulSet.metadata.namespace ?? 'default';
  }

  /** A new release's manifests (helm upgrade); pods pick up its template when (re)created. */
  apply(objects: readonly KubeObject[]): void {
    this.objects = objects;
  }

  /** Directories for a new pod's volumes: emptyDirs fresh, Secrets written out as files. */
  private podVolumes(podName: string, spec: PodSpec): Map<string, string> {
    const volumes = new Map<string, string>();
    const base = join(this.dir, 'pods', `${podName}-${++this.generation}`);
    for (const v of spec.volumes ?? []) {
      const dir = join(base, v.name);
      mkdirSync(dir, { recursive: true });
      if (v.secret !== undefined) {
        const secret = findOne(this.objects, 'Secret', v.secret.secretName) as Secret;
        for (const [key, data] of Object.entries(secret.data ?? {})) {
          writeFileSync(join(dir, key), Buffer.from(data, 'base64'));
        }
      }
      volumes.set(v.name, dir);
    }
    return volumes;
  }

  private claimDir(claim: string, podName: string): string {
    return join(this.dir, 'claims', `${claim}-${podName}`);
  }

  private deleteClaims(ordinal: number): void {
    for (const claim of this.statefulSet.spec.volumeClaimTemplates ?? []) {
      rmSync(this.claimDir(claim.metadata.name, `${this.name}-${ordinal}`), {
        recursive: true,
        force: true,
      });
    }
  }

  private createPod(ordinal: number): SimulatedPod {
    const sts = this.statefulSet;
    const podName = `${this.name}-${ordinal}`;
    const spec = sts.spec.template.spec;
    const volumes = this.podVolumes(podName, spec);
    for (const claim of sts.spec.volumeClaimTemplates ?? []) {
      volumes.set(claim.metadata.name, this.claimDir(claim.metadata.name, podName));
    }
    const pod = new SimulatedPod(
      { name: podName, namespace: this.namespace, ip: this.context.network.podIp(ordinal) },
      spec,
      spec.containers[0]!.name,
      volumes,
      this.nodeContext,
      join(this.dir, `${podName}.log`),
    );
    this.pods.set(ordinal, pod);
    return pod;
  }

  /** The addresses of the pods that pass their readiness probe. */
  readyIps(): string[] {
    return [...this.pods.values()].filter((p) => p.ready).map((p) => p.facts.ip);
  }

  /** Everything that went wrong without being asked for, across every pod so far. */
  incidents(): string[] {
    return [...this.pods.values()].flatMap((p) => p.incidents);
  }

  /** Waits until `pods` are all ready; a pod that exits meanwhile ends the wait with its log. */
  async waitReady(pods: readonly SimulatedPod[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const dead = pods.find((p) => !p.running);
      if (dead !== undefined) throw new Error(`${dead.facts.name} exited:\n${dead.logTail()}`);
      if (pods.every((p) => p.ready)) return;
      if (Date.now() > deadline) {
        const waiting = pods.filter((p) => !p.ready).map((p) => p.facts.name);
        throw new Error(
          `pods ${waiting.join(', ')} not ready within ${timeoutMs} ms; logs in ${this.dir}`,
        );
      }
      // Polling pace while the probes run.
      await sleep(100);
    }
  }

  /**
   * Brings the pods in line with spec.replicas, all at once (Parallel): creates the missing
   * ones and waits until they are ready, or deletes those above and then, per the retention
   * policy, their claims. Resolves with the exit status of each deleted pod.
   */
  async scale(readyTimeoutMs: number): Promise<ExitStatus[]> {
    const sts = this.statefulSet;
    const replicas = sts.spec.replicas;
    const created: SimulatedPod[] = [];
    for (let ordinal = 0; ordinal < replicas; ordinal++) {
      if (!this.pods.has(ordinal)) {
        const pod = this.createPod(ordinal);
        pod.start();
        created.push(pod);
      }
    }
    await this.waitReady(created, readyTimeoutMs);
    const removed = [...this.pods.keys()].filter((o) => o >= replicas);
    const statuses = await Promise.all(removed.map((o) => this.pods.get(o)!.terminate()));
    for (const o of removed) {
      this.pods.delete(o);
      if (sts.spec.persistentVolumeClaimRetentionPolicy?.whenScaled === 'Delete') {
        this.deleteClaims(o);
      }
    }
    return statuses;
  }

  /**
   * One step of a rolling update: deletes pod `ordinal`, creates it again (same claims, fresh
   * emptyDirs, the current template) and waits until it is ready. With `deleteClaims` its
   * claims go too, as an operator deletes those of a member whose volume was lost. Resolves
   * with the old process's exit status.
   */
  async replacePod(
    ordinal: number,
    readyTimeoutMs: number,
    options: { readonly deleteClaims?: boolean } = {},
  ): Promise<ExitStatus> {
    const old = this.pods.get(ordinal);
    if (old === undefined) throw new Error(`no pod ${ordinal}`);
    const status = await old.terminate();
    if (options.deleteClaims === true) this.deleteClaims(ordinal);
    const pod = this.createPod(ordinal);
    // The old pod's incidents stay on record with the new one's.
    pod.incidents.push(...old.incidents);
    pod.start();
    await this.waitReady([pod], readyTimeoutMs);
    return status;
  }

  /** Runs a rendered pod's first container to completion; resolves with its exit status. */
  private runOnce(name: string, spec: PodSpec): Promise<ExitStatus> {
    const c = spec.containers[0]!;
    const volumes = this.podVolumes(name, spec);
    // Nothing connects to a Job or test pod: any address of the block does.
    const pod = { name, namespace: this.namespace, ip: this.context.network.podIp(199) };
    return runToCompletion(c, pod, volumes, this.nodeContext, join(this.dir, `${name}.log`));
  }

  /** Runs the Job named `name` of the current manifests until a pod of it succeeds. */
  async runJob(name: string): Promise<{ attempts: number; logFile: string }> {
    const job = findOne(this.objects, 'Job', name) as Job;
    const attempts = (job.spec.backoffLimit ?? 6) + 1;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const status = await this.runOnce(`${name}-${attempt}`, job.spec.template.spec);
      if (status.code === 0)
        return { attempts: attempt, logFile: join(this.dir, `${name}-${attempt}.log`) };
    }
    throw new Error(`Job ${name} failed ${attempts} times; logs in ${this.dir}/${name}-*.log`);
  }

  /** Runs the pod named `name` (e.g. the helm test pod) once; resolves with its exit status. */
  runPod(name: string): Promise<ExitStatus> {
    const pod = findOne(this.objects, 'Pod', name) as Pod;
    return this.runOnce(name, pod.spec);
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.pods.values()].flatMap((p) => {
        const exited = p.kill();
        return exited === undefined ? [] : [exited];
      }),
    );
  }
}

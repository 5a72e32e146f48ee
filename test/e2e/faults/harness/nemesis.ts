/**
 * The nemesis: while the clients work, it injects one fault at a time, holds it for a while,
 * heals it, lets the cluster settle briefly, and picks the next. Every choice comes from the
 * schedule's seeded generator, so a seed names a schedule (the machine's timing still varies,
 * and "the leader" is whoever leads when the fault starts).
 *
 * Faults:
 *  - process (both modes): kill -9 of a member, of the leader, of a majority or of all members
 *    (each restarted with its data when the fault heals); SIGTERM of the leader (a graceful
 *    stop hands leadership over and must exit 0); SIGSTOP of the leader or of any member
 *    (SIGCONT on healing: a paused leader wakes up believing it still leads).
 *  - network (netns mode): symmetric partitions (random halves, the leader alone), one-way
 *    cuts (the leader deaf to the others, or mute to them), a bridge (two sides that both see
 *    one member in the middle), a majority ring (5 members: each sees only its neighbours, so
 *    every member has a majority but no two the same one), the leader's cable pulled, and
 *    random packet loss between all members.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { raftView, type FaultCluster, type FaultNode } from './fault-cluster.js';
import type { Link } from './netns.js';

export const PROCESS_FAULTS = [
  'kill',
  'kill-leader',
  'terminate-leader',
  'kill-majority',
  'kill-all',
  'pause',
  'pause-leader',
] as const;

export const NETWORK_FAULTS = [
  'partition-halves',
  'isolate-leader',
  'leader-deaf',
  'leader-mute',
  'bridge',
  'ring',
  'unplug-leader',
  'packet-loss',
] as const;

/** Through the LD_PRELOAD shim (./disk.ts), in both modes. */
export const DISK_FAULTS = ['slow-disk', 'slow-disk-leader', 'failing-disk'] as const;

export type FaultKind =
  (typeof PROCESS_FAULTS)[number] | (typeof NETWORK_FAULTS)[number] | (typeof DISK_FAULTS)[number];

/** How often a second fault joins the first. */
const COMPOSE_PROBABILITY = 0.3;

export interface NemesisEvent {
  /** Milliseconds on the history's clock. */
  readonly at: number;
  readonly phase: 'start' | 'heal' | 'error';
  readonly kind: FaultKind | 'final-heal';
  readonly detail: string;
}

export interface NemesisOptions {
  readonly cluster: FaultCluster;
  readonly kinds: readonly FaultKind[];
  readonly random: () => number;
  readonly clock: () => number;
  /** How long a fault is held, and the quiet time after it heals. */
  readonly holdMs: readonly [number, number];
  readonly quietMs: readonly [number, number];
}

/** The faults this cluster can take. */
export function faultsFor(cluster: FaultCluster): FaultKind[] {
  const kinds: FaultKind[] = [...PROCESS_FAULTS];
  if (cluster.nodes.every((n) => n.disk !== undefined)) kinds.push(...DISK_FAULTS);
  if (cluster.network !== undefined) {
    kinds.push(...NETWORK_FAULTS.filter((k) => k !== 'ring' || cluster.nodes.length >= 5));
  }
  return kinds;
}

export class Nemesis {
  readonly events: NemesisEvent[] = [];
  /** What the nemesis itself saw go wrong (e.g. a graceful stop that was not). */
  readonly anomalies: string[] = [];
  /** Occurrences of known, reported, not yet fixed problems: printed, not failed on. */
  readonly knownIssues: string[] = [];
  /**
   * Member id -> how many times its disk was made to fail. Each may end one incarnation by
   * fail-stop (exit 1 after a fatal log line naming the I/O error): expected, not an anomaly.
   */
  readonly diskFailures = new Map<number, number>();
  private running = false;
  private stopped = false;
  private loopDone: Promise<void> | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly options: NemesisOptions) {}

  private get nodes(): readonly FaultNode[] {
    return this.options.cluster.nodes;
  }

  private record(phase: NemesisEvent['phase'], kind: NemesisEvent['kind'], detail: string): void {
    const event = { at: this.options.clock(), phase, kind, detail };
    this.events.push(event);
    if ((process.env.REDRAFT_FAULT_VERBOSE ?? '') !== '') {
      process.stderr.write(`faults: ${event.at.toFixed(0)} ${phase} ${kind} ${detail}\n`);
    }
  }

  private between([lo, hi]: readonly [number, number]): number {
    return lo + Math.floor(this.options.random() * (hi - lo));
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.options.random() * items.length)]!;
  }

  private shuffled<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.options.random() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  /** A method, so that the compiler does not narrow the flag across awaits. */
  private isRunning(): boolean {
    return this.running;
  }

  start(): void {
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Ends the current fault early, heals everything (see {@link healAll}), and returns. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.running = false;
    this.abort.abort();
    await this.loopDone;
    await this.healAll();
  }

  /** Sleeps unless stopped meanwhile. */
  private async wait(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.abort.signal }).catch(() => undefined);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      // Sometimes two faults at once (a partition and a crash, a pause and a kill...):
      // single faults are what a system is designed for, combinations are where it breaks.
      const chosen = [this.pick(this.options.kinds)];
      if (this.options.random() < COMPOSE_PROBABILITY) chosen.push(this.pick(this.options.kinds));
      const heals: { kind: FaultKind; heal: () => Promise<void> }[] = [];
      for (const kind of chosen) {
        try {
          heals.push({ kind, heal: await this.inject(kind) });
        } catch (err) {
          this.record('error', kind, (err as Error).message);
        }
      }
      await this.wait(this.between(this.options.holdMs));
      for (const { kind, heal } of heals.reverse()) {
        try {
          await heal();
          this.record('heal', kind, '');
        } catch (err) {
          this.record('error', kind, `healing: ${(err as Error).message}`);
        }
      }
      if (this.isRunning()) await this.wait(this.between(this.options.quietMs));
    }
  }

  /** Whoever says it leads with the highest term, if anyone answers in time. */
  private async leader(): Promise<FaultNode | undefined> {
    const live = this.nodes.filter((n) => n.running && !n.paused);
    const views = await Promise.all(live.map((n) => raftView(n, 500)));
    let best: { node: FaultNode; term: number } | undefined;
    views.forEach((v, i) => {
      if (v?.role === 'leader' && (best === undefined || v.term > best.term))
        best = { node: live[i]!, term: v.term };
    });
    return best?.node;
  }

  /** The leader if there is one, else any running member (the fault still does something). */
  private async leaderOrAny(): Promise<FaultNode | undefined> {
    const running = this.nodes.filter((n) => n.running);
    return (await this.leader()) ?? (running.length === 0 ? undefined : this.pick(running));
  }

  private nothing(kind: FaultKind, why: string): () => Promise<void> {
    this.record('start', kind, why);
    return () => Promise.resolve();
  }

  private ids(nodes: readonly FaultNode[]): string {
    return nodes.map((n) => `n${n.id}`).join(',');
  }

  /** SIGTERM: must hand over and exit 0 in time; anything else is an anomaly. */
  private async terminate(kind: FaultKind, victim: FaultNode): Promise<() => Promise<void>> {
    if (!victim.running) {
      this.record('start', kind, `n${victim.id} not running; nothing stopped`);
      return () => Promise.resolve();
    }
    try {
      const status = await victim.terminate();
      this.record(
        'start',
        kind,
        `n${victim.id} stopped: code ${status.code ?? '-'}, signal ${status.signal ?? '-'}`,
      );
      if (status.signal === 'SIGTERM' && !loggedLastIncarnation(victim, 'redraft server started')) {
        // Still starting: no handler yet, so the default action ended it, as kill -9 would.
        this.knownIssues.push(`node ${victim.id} was still starting when SIGTERM ended it`);
      } else if (status.code !== 0) {
        this.anomalies.push(
          `node ${victim.id} exited with code ${status.code ?? '-'} (signal ${status.signal ?? '-'}) after SIGTERM, not 0`,
        );
      }
    } catch (err) {
      const message = `node ${victim.id}: ${(err as Error).message}`;
      this.record('start', kind, message);
      // Known, not yet fixed: the member finished its shutdown ("stopped") but the process
      // lingers while a peer that is paused or cut off holds its peer connection (see
      // README.md, "Anomalies found so far"; regressions.test.ts has it as a todo test).
      // Any other way of not exiting is an anomaly.
      if (loggedLastIncarnation(victim, 'stopped'))
        this.knownIssues.push(`${message} after logging "stopped"`);
      else this.anomalies.push(message);
    }
    return () => {
      if (!victim.running) victim.start();
      return Promise.resolve();
    };
  }

  private async killNodes(
    kind: FaultKind,
    victims: readonly FaultNode[],
  ): Promise<() => Promise<void>> {
    const running = victims.filter((n) => n.running);
    await Promise.all(running.map((n) => n.kill()));
    this.record('start', kind, `killed ${this.ids(running)}`);
    return () => {
      for (const n of running) if (!n.running) n.start();
      return Promise.resolve();
    };
  }

  private pauseNode(kind: FaultKind, victim: FaultNode): () => Promise<void> {
    if (!victim.running || victim.paused) {
      this.record('start', kind, `n${victim.id} not running; nothing paused`);
      return () => Promise.resolve();
    }
    victim.pause();
    this.record('start', kind, `paused n${victim.id}`);
    return () => {
      if (victim.running && victim.paused) victim.resume();
      return Promise.resolve();
    };
  }

  /** Every sync of the victim takes `slowMs` longer until healed. */
  private slowDisk(kind: FaultKind, victim: FaultNode): () => Promise<void> {
    const disk = victim.disk!;
    const slowMs = 20 + Math.floor(this.options.random() * 480);
    disk.set({ slowMs });
    this.record('start', kind, `n${victim.id}: every sync ${slowMs} ms slower`);
    return () => {
      disk.set('ok');
      return Promise.resolve();
    };
  }

  /**
   * Every sync of the victim fails with EIO: it must stop rather than acknowledge what it could
   * not make durable (fail-stop), and rejoin with its data once the disk works again.
   */
  private failDisk(kind: FaultKind, victim: FaultNode): () => Promise<void> {
    const disk = victim.disk!;
    disk.set('fail');
    this.diskFailures.set(victim.id, (this.diskFailures.get(victim.id) ?? 0) + 1);
    this.record('start', kind, `n${victim.id}: every sync fails with EIO`);
    return () => {
      disk.set('ok');
      if (!victim.running) victim.start();
      return Promise.resolve();
    };
  }

  private async cut(
    kind: FaultKind,
    links: readonly Link[],
    detail: string,
  ): Promise<() => Promise<void>> {
    const network = this.options.cluster.network!;
    await network.cut(links);
    this.record('start', kind, detail);
    return () => network.heal();
  }

  /** Both directions between every member of `a` and every member of `b`. */
  private static crossLinks(a: readonly number[], b: readonly number[]): Link[] {
    return a.flatMap((x) =>
      b.flatMap((y): Link[] => [
        [x, y],
        [y, x],
      ]),
    );
  }

  private async inject(kind: FaultKind): Promise<() => Promise<void>> {
    const all = this.nodes.map((n) => n.id);
    const majority = Math.floor(this.nodes.length / 2) + 1;
    switch (kind) {
      case 'kill':
        return this.killNodes(kind, [this.pick(this.nodes)]);
      case 'kill-leader': {
        const lead = await this.leaderOrAny();
        return lead === undefined
          ? this.nothing(kind, 'nobody running')
          : this.killNodes(kind, [lead]);
      }
      case 'kill-majority':
        return this.killNodes(kind, this.shuffled(this.nodes).slice(0, majority));
      case 'kill-all':
        return this.killNodes(kind, this.nodes);
      case 'terminate-leader': {
        const lead = await this.leaderOrAny();
        return lead === undefined
          ? this.nothing(kind, 'nobody running')
          : this.terminate(kind, lead);
      }
      case 'pause':
        return this.pauseNode(kind, this.pick(this.nodes));
      case 'pause-leader': {
        const lead = await this.leaderOrAny();
        return lead === undefined
          ? this.nothing(kind, 'nobody running')
          : this.pauseNode(kind, lead);
      }
      case 'slow-disk':
        return this.slowDisk(kind, this.pick(this.nodes));
      case 'slow-disk-leader': {
        const lead = await this.leaderOrAny();
        return lead === undefined
          ? this.nothing(kind, 'nobody running')
          : this.slowDisk(kind, lead);
      }
      case 'failing-disk':
        return this.failDisk(kind, this.pick(this.nodes));
      case 'partition-halves': {
        const order = this.shuffled(all);
        const cutAt = 1 + Math.floor(this.options.random() * (order.length - 1));
        const a = order.slice(0, cutAt);
        const b = order.slice(cutAt);
        return this.cut(kind, Nemesis.crossLinks(a, b), `{${a.join(',')}} | {${b.join(',')}}`);
      }
      case 'isolate-leader': {
        const lead = (await this.leaderOrAny())?.id ?? this.pick(all);
        const rest = all.filter((id) => id !== lead);
        return this.cut(kind, Nemesis.crossLinks([lead], rest), `n${lead} alone`);
      }
      case 'leader-deaf': {
        const lead = (await this.leaderOrAny())?.id ?? this.pick(all);
        const links = all.filter((id) => id !== lead).map((id): Link => [id, lead]);
        return this.cut(kind, links, `n${lead} hears nobody (its messages still go out)`);
      }
      case 'leader-mute': {
        const lead = (await this.leaderOrAny())?.id ?? this.pick(all);
        const links = all.filter((id) => id !== lead).map((id): Link => [lead, id]);
        return this.cut(kind, links, `nobody hears n${lead} (it still hears them)`);
      }
      case 'bridge': {
        // Two sides that cannot see each other, both seeing the member in the middle.
        const order = this.shuffled(all);
        const middle = order[0]!;
        const rest = order.slice(1);
        const half = Math.ceil(rest.length / 2);
        const a = rest.slice(0, half);
        const b = rest.slice(half);
        return this.cut(
          kind,
          Nemesis.crossLinks(a, b),
          `{${a.join(',')}} - ${middle} - {${b.join(',')}}`,
        );
      }
      case 'ring': {
        // Each member sees only its two neighbours on a random ring.
        const order = this.shuffled(all);
        const n = order.length;
        const links: Link[] = [];
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            const d = Math.min((i - j + n) % n, (j - i + n) % n);
            if (d > 1) links.push([order[i]!, order[j]!]);
          }
        }
        return this.cut(kind, links, `ring ${order.join('-')}`);
      }
      case 'unplug-leader': {
        const network = this.options.cluster.network!;
        const lead = (await this.leaderOrAny())?.id ?? this.pick(all);
        await network.unplug(lead);
        this.record('start', kind, `n${lead} unplugged`);
        return () => network.plug(lead);
      }
      case 'packet-loss': {
        const network = this.options.cluster.network!;
        const percent = 10 + Math.floor(this.options.random() * 30);
        await network.setLoss(percent);
        this.record('start', kind, `${percent}% of packets between members dropped`);
        return () => network.heal();
      }
    }
  }

  /** Network whole, every member running and resumed. */
  async healAll(): Promise<void> {
    const network = this.options.cluster.network;
    if (network !== undefined) await network.heal();
    for (const n of this.nodes) {
      n.disk?.set('ok');
      if (n.running && n.paused) n.resume();
      if (!n.running) n.start();
    }
    // A member whose failed sync was already in flight when its disk healed (it was paused, or
    // its error not yet handled) fail-stops just after: restart it too. Only members whose disk
    // failed; any other exit stays an anomaly (the exit is recorded either way).
    const failedDisks = this.nodes.filter((n) => this.diskFailures.has(n.id));
    for (let waited = 0; failedDisks.length > 0 && waited < 2000; waited += 100) {
      await sleep(100);
      for (const n of failedDisks) if (!n.running) n.start();
    }
    this.record('heal', 'final-heal', '');
  }
}

/** Whether the member's current (or last) incarnation logged a line with this message. */
export function loggedLastIncarnation(node: FaultNode, msg: string): boolean {
  let text: string;
  try {
    text = readFileSync(node.logFile, 'utf8');
  } catch {
    return false;
  }
  // Both harnesses start each incarnation with a marker line "--- ... harness: starting".
  const at = text.lastIndexOf('harness: starting');
  return text
    .slice(Math.max(0, at))
    .split('\n')
    .some((line) => line.startsWith('{') && line.includes(`"msg":${JSON.stringify(msg)}`));
}

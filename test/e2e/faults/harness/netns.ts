/**
 * A private network for one cluster, made of Linux network namespaces: each member gets its
 * own namespace with one interface (`eth0`, address 10.201.0.<id>/24), wired by a veth pair to
 * a bridge that lives in one more namespace (the "switch", which also holds the clients'
 * address 10.201.0.254). Nothing is created, addressed or routed in the host's own namespace:
 * every address exists only inside namespaces this module made, and the same subnet can be
 * reused by clusters running side by side because each has its own switch.
 *
 * Faults between members are nftables rules in the receiving member's namespace (an `input`
 * chain dropping packets by source address), so a link can be cut one way only; traffic from
 * the clients' address is never filtered. Pulling a member's cable (`ip link set eth0 down`)
 * cuts it from clients too.
 *
 * Cleanup: {@link NetnsNetwork.destroy}; a process 'exit' hook deletes what is left if the test
 * process ends early; and {@link sweepStaleNamespaces} removes namespaces left by a test
 * process that was killed outright (their names carry its pid).
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const SUBNET_PREFIX = '10.201.0';
export const CLIENT_ADDRESS = `${SUBNET_PREFIX}.254`;
const NAME_PREFIX = 'rf-';
const TABLE = 'redraft_faults';

export function memberAddress(id: number): string {
  return `${SUBNET_PREFIX}.${id}`;
}

/** Runs a command; rejects with its stderr on a non-zero exit. */
export function run(
  cmd: string,
  args: readonly string[],
  input?: string,
  timeoutMs = 10_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err !== null) {
        reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.trim() || err.message}`));
      } else {
        resolve(stdout);
      }
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

function findTool(name: string): string | undefined {
  for (const dir of ['/usr/sbin', '/sbin', '/usr/bin', '/bin', '/usr/local/sbin']) {
    const path = `${dir}/${name}`;
    if (existsSync(path)) return path;
  }
  return undefined;
}

export type NetnsSupport = { readonly ok: true } | { readonly ok: false; readonly reason: string };

let support: Promise<NetnsSupport> | undefined;

/**
 * Whether this machine can run the namespace mode: root, `ip` and `nft` present, and a
 * namespace with a veth pair, a bridge and an nftables table can really be made (containers
 * often forbid one of them). Probed once per process.
 */
export function netnsSupport(): Promise<NetnsSupport> {
  support ??= probe();
  return support;
}

async function probe(): Promise<NetnsSupport> {
  if (process.platform !== 'linux') return { ok: false, reason: `not Linux (${process.platform})` };
  if (process.getuid?.() !== 0)
    return { ok: false, reason: 'not root: network namespaces need CAP_NET_ADMIN' };
  if (findTool('ip') === undefined)
    return { ok: false, reason: 'no `ip` (iproute2): run test/e2e/faults/install.sh' };
  if (findTool('nft') === undefined)
    return { ok: false, reason: 'no `nft` (nftables): run test/e2e/faults/install.sh' };
  const probeNet = new NetnsNetwork(1, 'probe');
  try {
    await probeNet.create();
    await probeNet.cut([[1, 1]]);
    await probeNet.heal();
    return { ok: true };
  } catch (err) {
    return {
      ok: false,
      reason: `cannot build a namespace network here: ${(err as Error).message}`,
    };
  } finally {
    await probeNet.destroy();
  }
}

/** Namespaces not yet destroyed, for the exit hook. */
const live = new Set<NetnsNetwork>();
let hooked = false;
let counter = 0;

function installExitHook(): void {
  if (hooked) return;
  hooked = true;
  // Synchronous on purpose: nothing asynchronous runs in an 'exit' handler. The processes
  // still inside (members and proxy this test process started) are killed first: a
  // namespace lives on while a process holds it.
  process.on('exit', () => {
    for (const net of live) net.destroySync();
  });
}

/** A directed link: packets from the first member to the second. */
export type Link = readonly [from: number, to: number];

export class NetnsNetwork {
  readonly switchNs: string;
  readonly memberNs: readonly string[];
  private created = false;
  /** Directed links currently cut, and loss percentages per receiving member. */
  private cutLinks: Link[] = [];
  private lossPercent = 0;

  constructor(
    readonly size: number,
    label: string,
  ) {
    // Short names: `ip netns` has no limit that matters, but they show up in error messages.
    const base = `${NAME_PREFIX}${process.pid}-${counter++}-${label.slice(0, 8)}`;
    this.switchNs = `${base}-sw`;
    this.memberNs = Array.from({ length: size }, (_, i) => `${base}-n${i + 1}`);
  }

  nsOf(id: number): string {
    const ns = this.memberNs[id - 1];
    if (ns === undefined) throw new Error(`no member ${id}`);
    return ns;
  }

  async create(): Promise<void> {
    installExitHook();
    live.add(this);
    this.created = true;
    const sw = this.switchNs;
    await run('ip', ['netns', 'add', sw]);
    await run('ip', ['-n', sw, 'link', 'set', 'lo', 'up']);
    await run('ip', ['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
    await run('ip', ['-n', sw, 'addr', 'add', `${CLIENT_ADDRESS}/24`, 'dev', 'br0']);
    await run('ip', ['-n', sw, 'link', 'set', 'br0', 'up']);
    for (let id = 1; id <= this.size; id++) {
      const ns = this.nsOf(id);
      await run('ip', ['netns', 'add', ns]);
      await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      // Made inside the switch namespace with its peer sent straight into the member's: the
      // host namespace never holds either end.
      await run('ip', [
        '-n',
        sw,
        'link',
        'add',
        `v${id}`,
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        ns,
      ]);
      await run('ip', ['-n', sw, 'link', 'set', `v${id}`, 'master', 'br0']);
      await run('ip', ['-n', sw, 'link', 'set', `v${id}`, 'up']);
      await run('ip', ['-n', ns, 'addr', 'add', `${memberAddress(id)}/24`, 'dev', 'eth0']);
      await run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    }
    await this.apply();
  }

  /** Cuts these directed links (in addition to those already cut). */
  async cut(links: readonly Link[]): Promise<void> {
    this.cutLinks.push(...links);
    await this.apply();
  }

  /** Drops this percentage of packets between members, at random, in every direction. */
  async setLoss(percent: number): Promise<void> {
    this.lossPercent = percent;
    await this.apply();
  }

  /** Restores every link (and every cable). */
  async heal(): Promise<void> {
    this.cutLinks = [];
    this.lossPercent = 0;
    await this.apply();
    for (let id = 1; id <= this.size; id++) await this.plug(id);
  }

  /** Pulls a member's cable: nothing reaches it or leaves it, clients included. */
  async unplug(id: number): Promise<void> {
    await run('ip', ['-n', this.nsOf(id), 'link', 'set', 'eth0', 'down']);
  }

  async plug(id: number): Promise<void> {
    await run('ip', ['-n', this.nsOf(id), 'link', 'set', 'eth0', 'up']);
  }

  get currentCuts(): readonly Link[] {
    return this.cutLinks;
  }

  /** Rewrites every member's ruleset in one nft transaction each. */
  private async apply(): Promise<void> {
    await Promise.all(
      Array.from({ length: this.size }, (_, k) => {
        const id = k + 1;
        const blocked = [
          ...new Set(this.cutLinks.filter(([, to]) => to === id).map(([from]) => from)),
        ];
        const others = Array.from({ length: this.size }, (_, j) => j + 1).filter((j) => j !== id);
        const rules: string[] = [];
        if (blocked.length > 0)
          rules.push(`ip saddr { ${blocked.map(memberAddress).join(', ')} } drop`);
        if (this.lossPercent > 0 && others.length > 0) {
          rules.push(
            `ip saddr { ${others.map(memberAddress).join(', ')} } numgen random mod 100 < ${this.lossPercent} drop`,
          );
        }
        // "add table" then "delete table" makes the script work whether or not it exists.
        const script = [
          `add table inet ${TABLE}`,
          `delete table inet ${TABLE}`,
          `table inet ${TABLE} {`,
          '  chain input {',
          '    type filter hook input priority 0; policy accept;',
          ...rules.map((r) => `    ${r}`),
          '  }',
          '}',
          '',
        ].join('\n');
        return run('ip', ['netns', 'exec', this.nsOf(id), 'nft', '-f', '-'], script);
      }),
    );
  }

  /** Deletes the namespaces (their interfaces go with them). Processes must be gone first. */
  async destroy(): Promise<void> {
    if (!this.created) return;
    this.created = false;
    live.delete(this);
    for (const ns of [...this.memberNs, this.switchNs]) {
      await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    }
  }

  destroySync(): void {
    if (!this.created) return;
    this.created = false;
    live.delete(this);
    for (const ns of [...this.memberNs, this.switchNs]) {
      killNamespacePids(ns);
      spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    }
  }
}

function killNamespacePids(ns: string): void {
  const result = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
  // When `ip` could not run at all, stdout is missing whatever the typings say.
  if (result.error !== undefined) return;
  for (const pid of result.stdout.split(/\s+/).filter((p) => /^\d+$/.test(p))) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deletes namespaces this module made in a test process that no longer exists (killed
 * before its exit hook could run). Only names with this module's prefix are touched, and only
 * those whose creator is dead.
 */
export function sweepStaleNamespaces(): string[] {
  const result = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  const swept: string[] = [];
  if (result.error !== undefined) return swept;
  for (const line of result.stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = /^rf-(\d+)-\d+-/.exec(name);
    if (m === null || pidAlive(Number(m[1]))) continue;
    killNamespacePids(name);
    spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    swept.push(name);
  }
  return swept;
}

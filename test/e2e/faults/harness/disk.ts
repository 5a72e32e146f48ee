/**
 * Slow and failing disks for the fault schedules: every member runs with the LD_PRELOAD shim
 * in `../disk/disk-fault.c`, which interposes fsync/fdatasync and obeys a control file per
 * member that the nemesis rewrites while the member runs ("ok", "slow <ms>", "fail").
 *
 * The shim is compiled once per source version with the machine's C compiler into the
 * system's temporary directory; where there is no compiler, disk faults are left out of the
 * schedules and the reason is printed.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The C source is not compiled by tsc: read it from the source tree next to dist/.
const SOURCE = fileURLToPath(
  new URL('../../../../../test/e2e/faults/disk/disk-fault.c', import.meta.url),
);

export type DiskMode = 'ok' | 'fail' | { readonly slowMs: number };

let built: { library: string } | { reason: string } | undefined;

/** The shim's path, building it on first use; or why it cannot be had here. */
export function diskFaultLibrary(): { library: string } | { reason: string } {
  built ??= build();
  return built;
}

function build(): { library: string } | { reason: string } {
  if (process.platform !== 'linux') return { reason: 'LD_PRELOAD disk faults need Linux' };
  let source: Buffer;
  try {
    source = readFileSync(SOURCE);
  } catch (err) {
    return { reason: `cannot read ${SOURCE}: ${(err as Error).message}` };
  }
  const digest = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const library = join(tmpdir(), `redraft-disk-fault-${digest}.so`);
  if (existsSync(library)) return { library };
  // Build beside the final name and rename: parallel test processes may race to build it.
  const partial = `${library}.${process.pid}.tmp`;
  const cc = spawnSync('cc', ['-shared', '-fPIC', '-O2', '-o', partial, SOURCE, '-ldl'], {
    encoding: 'utf8',
  });
  if (cc.error !== undefined) return { reason: `no C compiler: ${cc.error.message}` };
  if (cc.status !== 0) return { reason: `cc failed: ${cc.stderr.trim()}` };
  renameSync(partial, library);
  return { library };
}

/** One member's disk: the environment that loads the shim, and the switch the nemesis turns. */
export class DiskControl {
  private mode: DiskMode = 'ok';

  constructor(
    readonly library: string,
    /** The control file the shim reads. */
    readonly file: string,
  ) {
    this.write();
  }

  /** For the member's environment (added to whatever else it gets). */
  get env(): Record<string, string> {
    const preload = [process.env.LD_PRELOAD, this.library].filter(
      (p) => p !== undefined && p !== '',
    );
    return { LD_PRELOAD: preload.join(':'), REDRAFT_DISK_FAULT_FILE: this.file };
  }

  get current(): DiskMode {
    return this.mode;
  }

  /** Takes effect within the shim's 20 ms re-read interval. */
  set(mode: DiskMode): void {
    this.mode = mode;
    this.write();
  }

  private write(): void {
    const text = typeof this.mode === 'string' ? this.mode : `slow ${this.mode.slowMs}`;
    writeFileSync(this.file, `${text}\n`);
  }
}

/** Whether a log line reports the shim's injected failure (EIO from a sync). */
export function isInjectedDiskFailure(line: string): boolean {
  return /Input\/output error|\bEIO\b|i\/o error/i.test(line);
}

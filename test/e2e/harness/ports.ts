import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Ports for test members, handed out below Linux's ephemeral range (32768-60999 by default).
 * Asking the kernel for port 0 and releasing it races with every outgoing connection on the
 * machine: the kernel hands the same ephemeral ports to connects, and a busy test run makes
 * thousands of them, so a member binding "its" port moments later could find it taken (seen in
 * CI as EADDRINUSE). Ports below the range are never picked for outgoing connections.
 *
 * Test files run in separate processes at once, so each process claims a slice of the range
 * of its own with a lock file (a slice whose owner died is reclaimed), walks it from a random
 * offset, and checks each port by binding it; a port is never handed out twice by one process.
 */
const RANGE_START = 10_000;
const RANGE_END = 32_000;
const SLICE = 1_000;
const SLICES = Math.floor((RANGE_END - RANGE_START) / SLICE);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Claims a slice no other live test process holds; falls back to one chosen by pid. */
function claimSlice(): number {
  for (let k = 0; k < SLICES; k++) {
    const n = (process.pid + k) % SLICES;
    const lock = join(tmpdir(), `redraft-test-ports-${String(n)}.lock`);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(lock, String(process.pid), { flag: 'wx' });
        process.once('exit', () => {
          rmSync(lock, { force: true });
        });
        return n;
      } catch {
        let owner = 0;
        try {
          owner = Number(readFileSync(lock, 'utf8'));
        } catch {
          // Removed meanwhile: try again.
        }
        if (owner > 0 && isAlive(owner)) break;
        rmSync(lock, { force: true }); // its owner is gone
      }
    }
  }
  return process.pid % SLICES;
}

const sliceStart = RANGE_START + claimSlice() * SLICE;
let cursor = Math.floor(Math.random() * SLICE);
const handedOut = new Set<number>();

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => {
      resolve(false);
    });
    server.listen(port, '127.0.0.1', () => {
      server.close(() => {
        resolve(true);
      });
    });
  });
}

/** Returns `count` distinct ports on 127.0.0.1 that were free a moment ago. */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let tries = 0; ports.length < count; tries++) {
    if (tries >= SLICE)
      throw new Error(`no free port left in ${sliceStart}-${sliceStart + SLICE - 1}`);
    const port = sliceStart + (cursor++ % SLICE);
    if (handedOut.has(port) || !(await canBind(port))) continue;
    handedOut.add(port);
    ports.push(port);
  }
  return ports;
}

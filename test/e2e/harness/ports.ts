import { createServer } from 'node:net';

/**
 * Ports for test members, handed out below Linux's ephemeral range (32768-60999 by default).
 * Asking the kernel for port 0 and releasing it races with every outgoing connection on the
 * machine: the kernel hands the same ephemeral ports to connects, and a busy test run makes
 * thousands of them, so a member binding "its" port moments later could find it taken (seen in
 * CI as EADDRINUSE). Ports below the range are never picked for outgoing connections.
 *
 * Test files run in separate processes at once, so each process takes its own slice of the
 * range (by pid) and walks it from a random offset, checking each port by binding it; a port
 * is never handed out twice by one process. What is left is two processes landing on the same
 * slice and port within moments, which the bind check and the spread make negligible.
 */
const RANGE_START = 10_000;
const RANGE_END = 32_000;
const SLICE = 1_000;
const SLICES = Math.floor((RANGE_END - RANGE_START) / SLICE);

const sliceStart = RANGE_START + (process.pid % SLICES) * SLICE;
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

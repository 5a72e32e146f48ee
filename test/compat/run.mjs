// Compatibility suite: Redis clients nobody here wrote, each running the same scenario
// (SCENARIO.md) against a fresh 3-node Redraft cluster on free loopback ports.
//
//   node test/compat/run.mjs                  every client (assumes `npm run build` was done)
//   node test/compat/run.mjs python go        only these clients
//   node test/compat/run.mjs --list           the client names
//   node test/compat/run.mjs --serve [--routing redirect]
//                                             start one cluster, print its addresses, wait for Ctrl-C
//
// Each client gets the cluster's addresses in its environment:
//   REDRAFT_LEADER=host:port      RESP address of the leader
//   REDRAFT_FOLLOWER=host:port    RESP address of a follower (forward mode: it forwards to the leader)
//   REDRAFT_FOLLOWER2=host:port   the other follower
//   REDRAFT_NODES=h:p,h:p,h:p     every member's RESP address, leader first
//   REDRAFT_ROUTING=forward|redirect
//   REDRAFT_GRPC_LEADER, REDRAFT_GRPC_FOLLOWER, REDRAFT_HTTP_LEADER, REDRAFT_HTTP_FOLLOWER
//                                 the same members' gRPC and REST addresses
// A client that fails leaves its cluster's directory (member logs) behind and says where;
// REDRAFT_COMPAT_KEEP=1 keeps every directory. REDRAFT_COMPAT_TIMEOUT_SCALE=2 doubles timeouts.
//
// Prints PASS/FAIL per client and ends with `N passed, N failed`; exits 1 on any failure.
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import { Buffer } from 'node:buffer';
import { get as httpGet } from 'node:http';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const REDRAFT = join(ROOT, 'dist', 'cmd', 'redraft.js');
const SCALE = Number(process.env.REDRAFT_COMPAT_TIMEOUT_SCALE ?? '1') || 1;
const KEEP = process.env.REDRAFT_COMPAT_KEEP === '1';
/** Colour codes (Maven 3.8 prints resets even in batch mode). */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/**
 * The clients. `cmd` runs with `cwd` once the cluster is up; `prepare` (optional) runs before
 * the cluster starts (compiling, so the cluster does not sit idle under a compiler's CPU load).
 */
const CLIENTS = [
  {
    name: 'redis-cli',
    needs: ['redis-cli'],
    cmd: ['bash', join(HERE, 'redis-cli', 'scenario.sh')],
    cwd: HERE,
    timeoutMs: 60_000,
  },
  {
    name: 'redis-benchmark',
    needs: ['redis-benchmark', 'redis-cli'],
    cmd: ['bash', join(HERE, 'redis-cli', 'benchmark.sh')],
    cwd: HERE,
    timeoutMs: 60_000,
  },
  {
    name: 'redis-py',
    needs: ['python3'],
    cmd: ['python3', '-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'test_scenario.py'],
    cwd: join(HERE, 'python'),
    timeoutMs: 90_000,
  },
  {
    name: 'go-redis',
    needs: ['go'],
    prepare: ['go', 'test', '-count=1', '-run', '^$', './...'],
    cmd: ['go', 'test', '-count=1', './...'],
    cwd: join(HERE, 'go'),
    timeoutMs: 120_000,
  },
  {
    name: 'jedis',
    needs: ['mvn', 'java'],
    prepare: ['mvn', '-q', '-B', '-Dstyle.color=never', 'test-compile'],
    cmd: ['mvn', '-q', '-B', '-Dstyle.color=never', 'surefire:test'],
    cwd: join(HERE, 'java'),
    before: () =>
      rmSync(join(HERE, 'java', 'target', 'surefire-reports'), { recursive: true, force: true }),
    // `mvn -q` is silent on success: report Surefire's counts, and refuse a run that skipped.
    after: () => surefireSummary(join(HERE, 'java', 'target', 'surefire-reports')),
    timeoutMs: 180_000,
  },
  {
    name: 'grpcurl',
    needs: ['grpcurl'],
    cmd: ['bash', join(HERE, 'grpcurl', 'scenario.sh')],
    cwd: HERE,
    timeoutMs: 90_000,
  },
  {
    name: 'curl',
    needs: ['curl'],
    cmd: ['bash', join(HERE, 'curl', 'scenario.sh')],
    cwd: HERE,
    timeoutMs: 60_000,
  },
  {
    name: 'redis-py-cluster',
    routing: 'redirect',
    needs: ['python3'],
    cmd: ['python3', '-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'test_cluster.py'],
    cwd: join(HERE, 'python'),
    timeoutMs: 90_000,
  },
  {
    name: 'go-redis-cluster',
    routing: 'redirect',
    needs: ['go'],
    cmd: ['go', 'test', '-count=1', '-run', '^TestCluster', './...'],
    env: { REDRAFT_COMPAT_CLUSTER: '1' },
    cwd: join(HERE, 'go'),
    timeoutMs: 120_000,
  },
];

// ---------------------------------------------------------------------------------------------
// Process bookkeeping: everything started here is killed on the way out, whatever happens.

const live = new Set();
/** Directories of clusters still running: an interrupted run deletes them. */
const runningDirs = new Set();

function killTree(child, signal = 'SIGKILL') {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    // Clients run in their own process group (detached), so compilers' children go too.
    if (child.compatGroup === true) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // Already gone.
  }
}

function killEverything() {
  for (const c of live) killTree(c);
  live.clear();
}

process.on('exit', killEverything);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    console.error(`\ncompat: ${sig}, stopping everything`);
    killEverything();
    for (const dir of KEEP ? [] : runningDirs) rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
}

function track(child, group = false) {
  child.compatGroup = group;
  live.add(child);
  child.exited = new Promise((res) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      res({ code, signal });
    });
    child.once('error', (err) => {
      live.delete(child);
      res({ code: null, signal: null, error: err });
    });
  });
  return child;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Free ports and a minimal RESP client (for LEADER and PING while waiting for the cluster).

// Below Linux's ephemeral range (32768-60999): a port picked with listen(0) and released can
// be handed to an outgoing connection before the member binds it; these never are.
let portCursor = 20000 + Math.floor(Math.random() * 10000);
const handedOut = new Set();

function canBind(port) {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function freePorts(count) {
  const ports = [];
  for (let tries = 0; ports.length < count; tries++) {
    if (tries > 10000) throw new Error('no free port found below the ephemeral range');
    const port = 20000 + (portCursor++ % 12000);
    if (handedOut.has(port) || !(await canBind(port))) continue;
    handedOut.add(port);
    ports.push(port);
  }
  return ports;
}

/** Parses one RESP2 reply from `buf` at `pos`; returns [value, next] or undefined if incomplete. */
function parseReply(buf, pos) {
  const eol = buf.indexOf('\r\n', pos);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[pos]);
  const line = buf.toString('latin1', pos + 1, eol);
  const next = eol + 2;
  switch (type) {
    case '+':
      return [line, next];
    case '-':
      return [new Error(line), next];
    case ':':
      return [Number(line), next];
    case '$': {
      const n = Number(line);
      if (n < 0) return [null, next];
      if (buf.length < next + n + 2) return undefined;
      return [buf.toString('utf8', next, next + n), next + n + 2];
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return [null, next];
      const out = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const r = parseReply(buf, p);
        if (r === undefined) return undefined;
        out.push(r[0]);
        p = r[1];
      }
      return [out, p];
    }
    default:
      throw new Error(`unexpected RESP type ${JSON.stringify(type)}`);
  }
}

function command(port, argv, timeoutMs = 1000) {
  return new Promise((res, rej) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      rej(new Error(`no reply from :${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('error', (err) => {
      clearTimeout(timer);
      rej(err);
    });
    sock.on('connect', () => {
      const parts = [`*${argv.length}\r\n`];
      for (const a of argv) parts.push(`$${Buffer.byteLength(a)}\r\n${a}\r\n`);
      sock.write(parts.join(''));
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const r = parseReply(buf, 0);
      if (r === undefined) return;
      clearTimeout(timer);
      sock.destroy();
      res(r[0]);
    });
  });
}

/** The status of a GET on 127.0.0.1:port, or 0 when there is no answer within `timeoutMs`. */
function httpStatus(port, path, timeoutMs = 1000) {
  return new Promise((res) => {
    const req = httpGet({ host: '127.0.0.1', port, path, timeout: timeoutMs }, (r) => {
      r.resume();
      res(r.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => res(0));
  });
}

// ---------------------------------------------------------------------------------------------
// A 3-member cluster.

async function startCluster(name, routing) {
  const size = 3;
  const ports = await freePorts(size * 4);
  const dir = mkdtempSync(join(tmpdir(), `redraft-compat-${name}-`));
  const members = Array.from({ length: size }, (_, k) => ({
    id: k + 1,
    peer: ports[k * 4],
    resp: ports[k * 4 + 1],
    http: ports[k * 4 + 2],
    grpc: ports[k * 4 + 3],
    log: join(dir, `n${k + 1}.log`),
    child: undefined,
  }));
  const initial = members.map((m) => `${m.id}=127.0.0.1:${m.peer}`).join(',');
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('REDRAFT_') && k !== 'NODE_OPTIONS') env[k] = v;
  }
  for (const m of members) {
    const fd = openSync(m.log, 'a');
    try {
      const args = [
        REDRAFT,
        'server',
        ...['--id', String(m.id), '--data-dir', join(dir, `node-${m.id}`)],
        ...['--peer-addr', `127.0.0.1:${m.peer}`, '--resp-addr', `127.0.0.1:${m.resp}`],
        ...['--http-addr', `127.0.0.1:${m.http}`, '--grpc-addr', `127.0.0.1:${m.grpc}`],
        ...['--initial-cluster', initial, '--routing', routing],
        // 50 ms ticks, 1 s election timeout: quick to elect, steady under a compiler's load.
        ...['--tick-ms', '50', '--election-ticks', '20', '--log-level', 'info'],
      ];
      m.child = track(spawn(process.execPath, args, { env, stdio: ['ignore', fd, fd] }));
    } finally {
      closeSync(fd);
    }
  }
  const cluster = { name, dir, members, routing };
  runningDirs.add(dir);
  try {
    await waitForLeader(cluster, 20_000 * SCALE);
  } catch (err) {
    await stopCluster(cluster, true);
    err.message += ` (member logs in ${dir})`;
    throw err;
  }
  return cluster;
}

/** Waits until every member names the same leader, knows its RESP address, and is ready. */
async function waitForLeader(cluster, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no reply yet';
  while (Date.now() < deadline) {
    for (const m of cluster.members) {
      if (m.child.exitCode !== null || m.child.signalCode !== null) {
        throw new Error(`node ${m.id} exited while starting; log: ${m.log}\n${tail(m.log, 20)}`);
      }
    }
    try {
      const replies = await Promise.all(cluster.members.map((m) => command(m.resp, ['LEADER'])));
      last = JSON.stringify(replies.map((r) => (r instanceof Error ? r.message : r)));
      const addrs = replies.map((r) => (Array.isArray(r) ? r[1] : undefined));
      const leader = cluster.members.find((m) => addrs[0] === `127.0.0.1:${m.resp}`);
      if (leader !== undefined && addrs.every((a) => a === addrs[0])) {
        // The leader answers writes, so the cluster is usable from every member.
        const pong = await Promise.all(cluster.members.map((m) => command(m.resp, ['PING'])));
        // The REST and gRPC gateways start after RESP: wait for them too.
        const ready = await Promise.all(cluster.members.map((m) => httpStatus(m.http, '/readyz')));
        if (pong.every((p) => p === 'PONG') && ready.every((s) => s === 200)) {
          cluster.leader = leader;
          cluster.followers = cluster.members.filter((m) => m !== leader);
          return;
        }
      }
    } catch (err) {
      last = err.message;
    }
    await sleep(100);
  }
  throw new Error(`no leader within ${timeoutMs} ms (last: ${last})`);
}

function addressEnv(cluster) {
  const a = (m) => `127.0.0.1:${m.resp}`;
  return {
    REDRAFT_LEADER: a(cluster.leader),
    REDRAFT_FOLLOWER: a(cluster.followers[0]),
    REDRAFT_FOLLOWER2: a(cluster.followers[1]),
    REDRAFT_NODES: [cluster.leader, ...cluster.followers].map(a).join(','),
    REDRAFT_ROUTING: cluster.routing,
    REDRAFT_GRPC_LEADER: `127.0.0.1:${cluster.leader.grpc}`,
    REDRAFT_GRPC_FOLLOWER: `127.0.0.1:${cluster.followers[0].grpc}`,
    REDRAFT_HTTP_LEADER: `127.0.0.1:${cluster.leader.http}`,
    REDRAFT_HTTP_FOLLOWER: `127.0.0.1:${cluster.followers[0].http}`,
  };
}

/**
 * Kills every member (-9: the data is thrown away, so a graceful stop would only cost time)
 * and returns notes about members that had died on their own. Deletes the directory unless
 * `keep`.
 */
async function stopCluster(cluster, keep) {
  const notes = [];
  await Promise.all(
    cluster.members.map(async (m) => {
      const c = m.child;
      if (c === undefined) return;
      if (c.exitCode !== null || c.signalCode !== null) {
        notes.push(
          `node ${m.id} had exited on its own (code ${c.exitCode}, signal ${c.signalCode})`,
        );
        return;
      }
      c.kill('SIGKILL');
      await c.exited;
    }),
  );
  runningDirs.delete(cluster.dir);
  if (keep || KEEP) return notes;
  try {
    rmSync(cluster.dir, { recursive: true, force: true });
  } catch {
    // Best effort.
  }
  return notes;
}

function tail(file, lines) {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .slice(-lines - 1)
      .join('\n');
  } catch {
    return '(no log)';
  }
}

/** Sums Surefire's XML reports; returns a problem, or undefined after printing the counts. */
function surefireSummary(dir) {
  let files;
  try {
    files = readdirSync(dir).filter((n) => n.startsWith('TEST-') && n.endsWith('.xml'));
  } catch {
    return `no Surefire reports in ${dir}`;
  }
  const sum = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const name of files) {
    const head = /<testsuite [^>]*>/.exec(readFileSync(join(dir, name), 'utf8'))?.[0] ?? '';
    for (const k of Object.keys(sum)) {
      sum[k] += Number(new RegExp(` ${k}="(\\d+)"`).exec(head)?.[1] ?? 0);
    }
  }
  console.log(
    `  [jedis] Surefire: ${sum.tests} tests, ${sum.failures} failures, ${sum.errors} errors, ${sum.skipped} skipped`,
  );
  if (sum.tests === 0) return 'Surefire ran no test';
  if (sum.skipped > 0) return `Surefire skipped ${sum.skipped} tests`;
  if (sum.failures + sum.errors > 0) return 'Surefire reports failures';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Running one client.

function which(bin) {
  return (process.env.PATH ?? '').split(':').some((d) => d !== '' && existsSync(join(d, bin)));
}

/** Runs argv in its own process group, output prefixed with the client's name. */
async function run(label, argv, cwd, env, timeoutMs) {
  const child = track(
    spawn(argv[0], argv.slice(1), {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    }),
    true,
  );
  const prefix = (stream, out) => {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const l of lines) {
        // Maven 3.8 prints colour resets even in batch mode: drop lines of nothing else.
        const text = l.replace(ANSI, '');
        if (text.trim() !== '' || l === '') out.write(`  [${label}] ${text}\n`);
      }
    });
    stream.on('end', () => {
      const text = pending.replace(ANSI, '');
      if (text.trim() !== '') out.write(`  [${label}] ${text}\n`);
    });
  };
  prefix(child.stdout, process.stdout);
  prefix(child.stderr, process.stdout);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killTree(child);
  }, timeoutMs);
  const status = await child.exited;
  clearTimeout(timer);
  if (status.error !== undefined) return `could not start ${argv[0]}: ${status.error.message}`;
  if (timedOut) return `timed out after ${timeoutMs / 1000} s`;
  if (status.code !== 0) return `exited with ${status.code ?? status.signal}`;
  return undefined;
}

async function runClient(client) {
  const missing = client.needs.filter((b) => !which(b));
  if (missing.length > 0) {
    return { problem: `not installed: ${missing.join(', ')} (run test/compat/install.sh)` };
  }
  const timeout = client.timeoutMs * SCALE;
  if (client.prepare !== undefined) {
    const p = await run(client.name, client.prepare, client.cwd, client.env ?? {}, timeout);
    if (p !== undefined) return { problem: `prepare: ${p}` };
  }
  let cluster;
  try {
    cluster = await startCluster(client.name, client.routing ?? 'forward');
  } catch (err) {
    return { problem: `cluster did not start: ${err.message}` };
  }
  const env = { ...addressEnv(cluster), ...(client.env ?? {}) };
  console.log(
    `  [${client.name}] cluster (${cluster.routing}): leader ${env.REDRAFT_LEADER}, followers ${env.REDRAFT_FOLLOWER} ${env.REDRAFT_FOLLOWER2}`,
  );
  let problem;
  try {
    client.before?.();
    problem = await run(client.name, client.cmd, client.cwd, env, timeout);
    if (problem === undefined && client.after !== undefined) problem = client.after();
  } finally {
    const notes = await stopCluster(cluster, true);
    if (notes.length > 0) problem = [problem, ...notes].filter((x) => x !== undefined).join('; ');
    if (problem !== undefined) {
      for (const m of cluster.members) {
        console.log(`  [${client.name}] --- last lines of node ${m.id}'s log (${m.log}) ---`);
        console.log(tail(m.log, 8).replace(/^/gm, `  [${client.name}] `));
      }
      console.log(`  [${client.name}] cluster directory kept: ${cluster.dir}`);
    } else if (!KEEP) {
      rmSync(cluster.dir, { recursive: true, force: true });
    }
  }
  return { problem };
}

async function serve(routing) {
  const cluster = await startCluster('serve', routing);
  const env = addressEnv(cluster);
  for (const [k, v] of Object.entries(env)) console.log(`export ${k}=${v}`);
  console.log(`# data and logs in ${cluster.dir}; Ctrl-C (or SIGTERM) stops the cluster`);
  await new Promise((r) => {
    process.removeAllListeners('SIGINT');
    process.removeAllListeners('SIGTERM');
    process.once('SIGINT', r);
    process.once('SIGTERM', r);
  });
  await stopCluster(cluster, false);
}

async function main() {
  const args = process.argv.slice(2);
  if (args.includes('--list')) {
    for (const c of CLIENTS) console.log(c.name);
    return 0;
  }
  if (args.includes('--serve')) {
    const i = args.indexOf('--routing');
    await serve(i >= 0 ? args[i + 1] : 'forward');
    return 0;
  }
  if (!existsSync(REDRAFT)) {
    console.error(`compat: ${REDRAFT} is missing: run \`npm run build\` first`);
    return 1;
  }
  const unknown = args.filter((a) => !CLIENTS.some((c) => c.name === a));
  if (unknown.length > 0) {
    console.error(
      `compat: unknown client(s) ${unknown.join(', ')}; known: ${CLIENTS.map((c) => c.name).join(', ')}`,
    );
    return 1;
  }
  const chosen = args.length === 0 ? CLIENTS : CLIENTS.filter((c) => args.includes(c.name));
  const results = [];
  const started = Date.now();
  for (const client of chosen) {
    console.log(`compat: ${client.name}`);
    const t0 = Date.now();
    let problem;
    try {
      ({ problem } = await runClient(client));
    } catch (err) {
      problem = `runner error: ${err.stack ?? err}`;
    }
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    results.push({ name: client.name, problem, secs });
    console.log(
      `${problem === undefined ? 'PASS' : 'FAIL'} ${client.name} (${secs} s)${problem === undefined ? '' : `: ${problem}`}`,
    );
  }
  console.log('\ncompat summary:');
  for (const r of results) {
    console.log(
      `  ${r.problem === undefined ? 'PASS' : 'FAIL'}  ${r.name.padEnd(18)} ${r.secs.padStart(6)} s`,
    );
  }
  const failed = results.filter((r) => r.problem !== undefined).length;
  console.log(`  total ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`${results.length - failed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => {
    killEverything();
    process.exitCode = code;
  },
  (err) => {
    console.error(err);
    killEverything();
    process.exitCode = 1;
  },
);

/**
 * Runs inside a cluster's switch namespace (`ip netns exec <switch> node ns-proxy.js DIR
 * 1=HOST:PORT ...`) and lets the test process, which stays in the host namespace, reach every
 * member: it listens on the Unix socket DIR/n<id>.sock (the filesystem is shared across
 * network namespaces) and pipes each connection to that member's TCP address, after one
 * handshake byte that says the member accepted it. Client traffic
 * thus enters the members' network from the switch's own address, which partitions never
 * filter. Prints "ready" once every socket listens; exits when its stdin closes (the test
 * process died) so it can never outlive the test.
 */
import { createServer, connect, type Server } from 'node:net';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { CONNECTED } from './proxy-protocol.js';

function main(): void {
  const [dir, ...targets] = process.argv.slice(2);
  if (dir === undefined || targets.length === 0) {
    process.stderr.write('usage: ns-proxy DIR ID=HOST:PORT...\n');
    process.exit(2);
  }
  const servers: Server[] = [];
  let listening = 0;
  for (const target of targets) {
    const m = /^(\d+)=(.+):(\d+)$/.exec(target);
    if (m === null) throw new Error(`bad target ${target}`);
    const [, id, host, port] = m;
    const path = join(dir, `n${id!}.sock`);
    rmSync(path, { force: true });
    const server = createServer((client) => {
      client.pause();
      const upstream = connect({ host: host!, port: Number(port) });
      client.setNoDelay(true);
      upstream.setNoDelay(true);
      // Either side failing ends both, the way a broken TCP connection would look.
      const end = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end);
      upstream.on('error', end);
      client.on('close', end);
      upstream.on('close', end);
      upstream.once('connect', () => {
        client.write(Buffer.of(CONNECTED));
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    });
    server.listen(path, () => {
      if (++listening === targets.length) process.stdout.write('ready\n');
    });
    servers.push(server);
  }
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
}

main();

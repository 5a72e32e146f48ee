import { createServer, type Server } from 'node:net';

/**
 * Returns `count` distinct free TCP ports on 127.0.0.1. All listeners are held open until every
 * port is known, so the kernel cannot hand the same port out twice within one call; they are
 * released before returning, and the member processes bind them moments later. Another process
 * could grab one in between, which on a test machine is rare enough to accept.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => {
            const addr = server.address();
            if (addr === null || typeof addr === 'string') reject(new Error('no TCP address'));
            else resolve(addr.port);
          });
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (!s.listening) {
              resolve();
              return;
            }
            s.close(() => {
              resolve();
            });
          }),
      ),
    );
  }
}

/**
 * A ClusterIP Service on loopback, as kube-proxy makes one: it listens on the Service's
 * address and ports, and hands each new connection to one of the endpoints that are ready at
 * that moment (round robin), on the target port. With no ready endpoint the connection is
 * refused, as a Service without endpoints rejects it. Connections already made stay with their
 * pod until either side closes.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface ServicePort {
  readonly port: number;
  /** The pod port it forwards to. */
  readonly targetPort: number;
}

export class ServiceProxy {
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private next = 0;

  constructor(
    private readonly ip: string,
    private readonly ports: readonly ServicePort[],
    /** The addresses of the pods that are ready now. */
    private readonly readyEndpoints: () => readonly string[],
  ) {}

  async start(): Promise<void> {
    for (const p of this.ports) {
      const server = createServer((client) => {
        this.forward(client, p.targetPort);
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(p.port, this.ip, () => {
          server.off('error', reject);
          resolve();
        });
      });
      this.servers.push(server);
    }
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private forward(client: Socket, targetPort: number): void {
    this.track(client);
    const endpoints = this.readyEndpoints();
    if (endpoints.length === 0) {
      client.resetAndDestroy();
      return;
    }
    const host = endpoints[this.next++ % endpoints.length]!;
    const upstream = connect({ host, port: targetPort });
    this.track(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.pipe(upstream);
    upstream.pipe(client);
    // Either side ending or failing ends the other, as a dropped TCP connection would.
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.once('error', close);
    upstream.once('error', close);
    client.once('close', close);
    upstream.once('close', close);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(
      this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
    );
  }
}

import type { AddressInfo, Server, Socket } from 'node:net';

/**
 * The listening half every small endpoint shares (the HA raw streams, the HTTP endpoints): listen on host:port
 * (0: any free port) with a bind error as a rejection, the bound port, and a shutdown that also ends the
 * connections it accepted, since a client keeping one open (a slave, a scraper) must not hold the shutdown up.
 */
export class TcpListener<S extends Server = Server> {
  private readonly connections = new Set<Socket>();

  constructor(
    protected readonly server: S,
    private readonly host: string,
    private readonly listenPort: number,
  ) {
    server.on('connection', (socket: Socket) => {
      this.connections.add(socket);
      socket.once('close', () => this.connections.delete(socket));
    });
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.listenPort, this.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /** The bound port (after start()). */
  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0;
  }

  shutdown(): Promise<void> {
    const closed = this.server.listening ? new Promise<void>((resolve) => this.server.close(() => resolve())) : Promise.resolve();
    for (const socket of this.connections) socket.destroy();
    return closed;
  }
}

/**
 * One HA connection as the replication state machines see it: a byte stream with backpressure. The store opens
 * no sockets: src/remoting's raw stream transport implements these shapes, and unit tests drive the state
 * machines with in-memory pairs.
 */
export interface HALink {
  /** `host:port` of the peer. */
  readonly remoteAddress: string;
  /**
   * Queues bytes (several buffers leave together, in one system call where the transport can); false once the
   * transport's buffer is full: write more after `onDrain`.
   */
  write(data: Buffer | readonly Buffer[]): boolean;
  /** Stops and restarts delivering data (a slave yields the event loop during a catch-up). */
  pause(): void;
  resume(): void;
  /** Closes the connection; `onClose` listeners run once, whoever closed it. */
  close(): void;
  onData(listener: (chunk: Buffer) => void): void;
  onDrain(listener: () => void): void;
  onClose(listener: () => void): void;
}

/** A listening HA port. */
export interface HAListener {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts listening; every accepted connection goes to `onLink`. */
export type HAAcceptor = (onLink: (link: HALink) => void) => Promise<HAListener>;

/** Opens a connection to a master's HA port; rejects when it cannot. */
export type HAConnector = (host: string, port: number) => Promise<HALink>;

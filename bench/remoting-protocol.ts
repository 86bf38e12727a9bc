/**
 * What the benchmark drivers (bench/remoting.ts, bench/remoting-vs-java.ts) and the server child
 * (bench/remoting-server.ts) agree on: the request codes the server answers and the IPC messages between the two
 * processes. The codes are those of the Java interop peers (interop/.../PeerCodes.java), so that the TS driver can
 * run against Java's RemotingPeerServer and Java's RemotingPeerClient --bench against our server.
 */

/** Echo: the response carries the request body back (PeerCodes.ECHO). */
export const CODE_ECHO = 9001;
/** Oneway sink: counts the request, never answers (PeerCodes.ONEWAY_SINK). */
export const CODE_SINK = 9006;
/** Returns (in the remark) how many sink requests arrived so far, a running total (PeerCodes.COUNT). */
export const CODE_COUNT = 9007;

/** Child -> parent. */
export type ServerMessage =
  | { type: 'ready'; port: number }
  | { type: 'cpu'; id: number; userMicros: number; systemMicros: number }
  | { type: 'stopped' };

/** Parent -> child. */
export type DriverMessage = { type: 'cpu'; id: number } | { type: 'stop' };

export function isServerMessage(value: unknown): value is ServerMessage {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'ready' || type === 'cpu' || type === 'stopped';
}

export function isDriverMessage(value: unknown): value is DriverMessage {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'cpu' || type === 'stop';
}

/**
 * What the benchmark driver (bench/remoting.ts) and its server child (bench/remoting-server.ts) agree on: the
 * request codes the server answers and the IPC messages between the two processes.
 */

/** Echo: the response carries the request body back. */
export const CODE_ECHO = 9001;
/** Oneway sink: counts the request, never answers. */
export const CODE_SINK = 9002;
/** Returns (in the remark) how many sink requests arrived since the last COUNT, and resets the counter. */
export const CODE_COUNT = 9003;

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

/**
 * W3C Trace Context in message properties: what the OpenTelemetry Java agent's RocketMQ (remoting) instrumentation
 * writes, through its propagators, as plain user properties of every message it sends (`traceparent`,
 * `tracestate`, and `baggage` with the default propagators) and reads back on the consumer side. A Java service
 * instrumented by the agent and a Node service using these properties share one trace across the broker.
 */

/** The property names, as the W3C propagators name their carrier keys. */
export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';
export const BAGGAGE = 'baggage';

/** A message's trace context: the W3C headers as carried. */
export interface W3CTraceContext {
  /** "00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>". */
  readonly traceparent: string;
  readonly tracestate?: string;
  /** W3C Baggage, passed along as the agent's default propagators do. */
  readonly baggage?: string;
}

/** A traceparent's parts. */
export interface TraceParent {
  readonly version: string;
  readonly traceId: string;
  /** The span of the sender: the parent of what the receiver does. */
  readonly parentId: string;
  /** The trace flags byte; bit 0 is "sampled". */
  readonly traceFlags: number;
}

const TRACEPARENT_FORM = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ALL_ZERO = /^0+$/;

/**
 * The W3C parsing rules: version ff is invalid; version 00 has exactly four parts; a later version may append
 * parts after a dash; the trace and parent ids must not be all zeros. Undefined for anything else (a receiver
 * then starts a new trace, as the spec says).
 */
export function parseTraceparent(value: string): TraceParent | undefined {
  const m = TRACEPARENT_FORM.exec(value.trim());
  if (m === null) return undefined;
  const [, version, traceId, parentId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (ALL_ZERO.test(traceId) || ALL_ZERO.test(parentId)) return undefined;
  return { version, traceId, parentId, traceFlags: parseInt(flags, 16) };
}

/** A version 00 traceparent. */
export function formatTraceparent(traceId: string, spanId: string, traceFlags: number): string {
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** The properties a context is written as; throws RangeError on a traceparent the spec would discard. */
export function traceContextProperties(context: string | W3CTraceContext): Record<string, string> {
  const ctx = typeof context === 'string' ? { traceparent: context } : context;
  if (typeof ctx.traceparent !== 'string' || parseTraceparent(ctx.traceparent) === undefined) {
    throw new RangeError(`not a W3C traceparent: '${String(ctx.traceparent)}'`);
  }
  const properties: Record<string, string> = { [TRACEPARENT]: ctx.traceparent.trim() };
  // The propagators leave out an empty tracestate and baggage.
  if (ctx.tracestate !== undefined && ctx.tracestate !== '') properties[TRACESTATE] = ctx.tracestate;
  if (ctx.baggage !== undefined && ctx.baggage !== '') properties[BAGGAGE] = ctx.baggage;
  return properties;
}

/** A received message's trace context; undefined when it has no valid traceparent. */
export function traceContextOf(property: (name: string) => string | undefined): W3CTraceContext | undefined {
  const traceparent = property(TRACEPARENT);
  if (traceparent === undefined || parseTraceparent(traceparent) === undefined) return undefined;
  const tracestate = property(TRACESTATE);
  const baggage = property(BAGGAGE);
  return { traceparent, ...(tracestate === undefined ? {} : { tracestate }), ...(baggage === undefined ? {} : { baggage }) };
}

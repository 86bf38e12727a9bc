import { ResponseCode } from '../../protocol/response-code.js';
import { MQClientError } from '../errors.js';
import type { ProducerMessage } from '../producer/producer-message.js';
import { formatTraceparent, parseTraceparent, traceContextProperties, TRACEPARENT, TRACESTATE, BAGGAGE, type W3CTraceContext } from './w3c-trace-context.js';

/** @opentelemetry/api's Context, as far as this module uses it (the package is an optional peer dependency). */
export interface OpenTelemetryContext {
  getValue(key: symbol): unknown;
  setValue(key: symbol, value: unknown): OpenTelemetryContext;
  deleteValue(key: symbol): OpenTelemetryContext;
}

interface SpanContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
  isRemote?: boolean;
  traceState?: { serialize(): string };
}

/** The parts of @opentelemetry/api used here. */
export interface OpenTelemetryApi {
  readonly ROOT_CONTEXT: OpenTelemetryContext;
  readonly propagation: {
    inject(context: OpenTelemetryContext, carrier: Record<string, string>): void;
    extract(context: OpenTelemetryContext, carrier: Record<string, string>): OpenTelemetryContext;
  };
  readonly trace: {
    getSpanContext(context: OpenTelemetryContext): SpanContext | undefined;
    setSpanContext(context: OpenTelemetryContext, spanContext: SpanContext): OpenTelemetryContext;
  };
  createTraceState?(raw?: string): { serialize(): string };
}

/** A message's trace context as the application gives it: a traceparent, the W3C headers, or an OpenTelemetry Context. */
export type TraceContextInput = string | W3CTraceContext | OpenTelemetryContext;

/** The package, named in a variable: TypeScript must not resolve it (it need not be installed), Node loads it on demand. */
const OPENTELEMETRY_API = '@opentelemetry/api';
let loaded: Promise<OpenTelemetryApi> | undefined;

/**
 * @opentelemetry/api, imported the first time an OpenTelemetry Context is given or asked for; never before, so
 * applications that do not use it need not install it. Missing: MQClientError saying to install it.
 */
export function loadOpenTelemetry(): Promise<OpenTelemetryApi> {
  loaded ??= (import(OPENTELEMETRY_API) as Promise<OpenTelemetryApi>).catch((err: unknown) => {
    loaded = undefined;
    throw new MQClientError(`an OpenTelemetry Context needs the optional peer dependency ${OPENTELEMETRY_API} (npm install ${OPENTELEMETRY_API})`, { cause: err });
  });
  return loaded;
}

function isOpenTelemetryContext(value: TraceContextInput): value is OpenTelemetryContext {
  return typeof value === 'object' && value !== null && typeof (value as Partial<OpenTelemetryContext>).getValue === 'function';
}

/**
 * What the agent's instrumentation writes for `context`: the registered propagators' keys (traceparent,
 * tracestate, baggage with the SDK's defaults). With the API alone (its propagator writes nothing), the context's
 * span as traceparent and tracestate. Undefined when the context holds no valid span: nothing is written then.
 */
export function injectOpenTelemetry(api: OpenTelemetryApi, context: OpenTelemetryContext): W3CTraceContext | undefined {
  const carrier: Record<string, string> = {};
  api.propagation.inject(context, carrier);
  const traceparent = carrier[TRACEPARENT];
  if (traceparent !== undefined && parseTraceparent(traceparent) !== undefined) {
    return { traceparent, ...(carrier[TRACESTATE] === undefined ? {} : { tracestate: carrier[TRACESTATE] }), ...(carrier[BAGGAGE] === undefined ? {} : { baggage: carrier[BAGGAGE] }) };
  }
  const span = api.trace.getSpanContext(context);
  if (span === undefined) return undefined;
  const formatted = formatTraceparent(span.traceId, span.spanId, span.traceFlags);
  if (parseTraceparent(formatted) === undefined) return undefined;
  const tracestate = span.traceState?.serialize();
  return { traceparent: formatted, ...(tracestate === undefined || tracestate === '' ? {} : { tracestate }) };
}

/**
 * The OpenTelemetry Context a consumer continues: the registered propagators' reading of the properties, or (API
 * alone) a remote span context made from traceparent and tracestate. ROOT_CONTEXT when there is none.
 */
export function extractOpenTelemetry(api: OpenTelemetryApi, traceContext: W3CTraceContext | undefined): OpenTelemetryContext {
  if (traceContext === undefined) return api.ROOT_CONTEXT;
  const carrier: Record<string, string> = { [TRACEPARENT]: traceContext.traceparent };
  if (traceContext.tracestate !== undefined) carrier[TRACESTATE] = traceContext.tracestate;
  if (traceContext.baggage !== undefined) carrier[BAGGAGE] = traceContext.baggage;
  const extracted = api.propagation.extract(api.ROOT_CONTEXT, carrier);
  if (api.trace.getSpanContext(extracted) !== undefined) return extracted;
  const parent = parseTraceparent(traceContext.traceparent);
  if (parent === undefined) return api.ROOT_CONTEXT;
  const traceState = traceContext.tracestate === undefined ? undefined : api.createTraceState?.(traceContext.tracestate);
  return api.trace.setSpanContext(api.ROOT_CONTEXT, {
    traceId: parent.traceId,
    spanId: parent.parentId,
    traceFlags: parent.traceFlags,
    isRemote: true,
    ...(traceState === undefined ? {} : { traceState }),
  });
}

/**
 * The message as sent: its `traceContext` written as properties (over any of the same names), the field itself
 * dropped. A traceparent the W3C rules discard is refused (MESSAGE_ILLEGAL, before any I/O).
 */
export async function applyTraceContext(message: ProducerMessage): Promise<ProducerMessage> {
  const { traceContext, ...rest } = message;
  if (traceContext === undefined) return message;
  let w3c: string | W3CTraceContext | undefined;
  if (isOpenTelemetryContext(traceContext)) w3c = injectOpenTelemetry(await loadOpenTelemetry(), traceContext);
  else w3c = traceContext;
  if (w3c === undefined) return rest;
  let properties: Record<string, string>;
  try {
    properties = traceContextProperties(w3c);
  } catch (err) {
    throw new MQClientError((err as Error).message, { responseCode: ResponseCode.MESSAGE_ILLEGAL });
  }
  return { ...rest, properties: { ...rest.properties, ...properties } };
}

/**
 * The OpenTelemetry Context a consumed message continues (loads @opentelemetry/api): start the consumer's span
 * with it as the parent, and the trace goes on from the producer, Java (agent) or Node.
 */
export async function openTelemetryContextOf(message: { readonly traceContext?: W3CTraceContext | undefined }): Promise<OpenTelemetryContext> {
  return extractOpenTelemetry(await loadOpenTelemetry(), message.traceContext);
}

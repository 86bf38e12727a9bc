import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MQClientError } from '../../../../src/client/errors.js';
import {
  applyTraceContext,
  extractOpenTelemetry,
  injectOpenTelemetry,
  loadOpenTelemetry,
  type OpenTelemetryApi,
  type OpenTelemetryContext,
} from '../../../../src/client/trace/propagation.js';
import { formatTraceparent, parseTraceparent, traceContextOf, traceContextProperties } from '../../../../src/client/trace/w3c-trace-context.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${SPAN_ID}-01`;

/** An immutable map context, as @opentelemetry/api's BaseContext. */
class MapContext implements OpenTelemetryContext {
  constructor(private readonly values = new Map<symbol, unknown>()) {}
  getValue(key: symbol): unknown {
    return this.values.get(key);
  }
  setValue(key: symbol, value: unknown): OpenTelemetryContext {
    return new MapContext(new Map(this.values).set(key, value));
  }
  deleteValue(key: symbol): OpenTelemetryContext {
    const values = new Map(this.values);
    values.delete(key);
    return new MapContext(values);
  }
}

const SPAN = Symbol('span');

/** The API's trace functions over MapContext; `propagator` false: the API alone (its no-op propagator). */
function fakeApi(propagator: boolean): OpenTelemetryApi {
  type Span = { traceId: string; spanId: string; traceFlags: number; traceState?: { serialize(): string } };
  return {
    ROOT_CONTEXT: new MapContext(),
    propagation: {
      inject: (context, carrier) => {
        if (!propagator) return;
        const span = context.getValue(SPAN) as Span | undefined;
        if (span !== undefined) carrier.traceparent = formatTraceparent(span.traceId, span.spanId, span.traceFlags);
        carrier.baggage = 'user=1';
      },
      extract: (context, carrier) => {
        if (!propagator || carrier.traceparent === undefined) return context;
        const parent = parseTraceparent(carrier.traceparent);
        return parent === undefined ? context : context.setValue(SPAN, { traceId: parent.traceId, spanId: parent.parentId, traceFlags: parent.traceFlags, via: 'propagator' });
      },
    },
    trace: {
      getSpanContext: (context) => context.getValue(SPAN) as Span | undefined,
      setSpanContext: (context, span) => context.setValue(SPAN, span),
    },
    createTraceState: (raw) => ({ serialize: () => raw ?? '' }),
  };
}

describe('W3C trace context in message properties', () => {
  it('parses traceparent by the W3C rules', () => {
    assert.deepEqual(parseTraceparent(TRACEPARENT), { version: '00', traceId: TRACE_ID, parentId: SPAN_ID, traceFlags: 1 });
    assert.equal(parseTraceparent(`01-${TRACE_ID}-${SPAN_ID}-00-extra`)?.version, '01', 'a later version may append parts');
    for (const bad of [
      `00-${TRACE_ID}-${SPAN_ID}-01-extra`,
      `ff-${TRACE_ID}-${SPAN_ID}-01`,
      `00-${'0'.repeat(32)}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
      `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`,
      'garbage',
    ]) {
      assert.equal(parseTraceparent(bad), undefined, bad);
    }
    assert.equal(formatTraceparent(TRACE_ID, SPAN_ID, 1), TRACEPARENT);
  });

  it('writes traceparent, tracestate and baggage as the propagators do, and reads them back', () => {
    assert.deepEqual(traceContextProperties(TRACEPARENT), { traceparent: TRACEPARENT });
    assert.deepEqual(traceContextProperties({ traceparent: TRACEPARENT, tracestate: 'a=1', baggage: '' }), { traceparent: TRACEPARENT, tracestate: 'a=1' });
    assert.throws(() => traceContextProperties('00-bad'), RangeError);
    const props: Record<string, string> = { traceparent: TRACEPARENT, tracestate: 'a=1', baggage: 'b=2' };
    assert.deepEqual(traceContextOf((name) => props[name]), { traceparent: TRACEPARENT, tracestate: 'a=1', baggage: 'b=2' });
    assert.equal(traceContextOf((name) => ({ traceparent: 'nope' })[name]), undefined);
    assert.equal(traceContextOf(() => undefined), undefined);
  });

  it("puts a message's traceContext into its properties, refusing a bad traceparent before any I/O", async () => {
    const sent = await applyTraceContext({ topic: 'T', body: 'x', properties: { a: '1', traceparent: 'old' }, traceContext: { traceparent: TRACEPARENT, tracestate: 's=1' } });
    assert.deepEqual(sent, { topic: 'T', body: 'x', properties: { a: '1', traceparent: TRACEPARENT, tracestate: 's=1' } });
    const plain = { topic: 'T', body: 'x' };
    assert.equal(await applyTraceContext(plain), plain, 'a message without traceContext is sent as given');
    await assert.rejects(applyTraceContext({ topic: 'T', body: 'x', traceContext: 'nope' }), (err: unknown) => err instanceof MQClientError && err.responseCode === 13);
  });

  it('injects an OpenTelemetry context through the registered propagator, or from its span with the API alone', () => {
    for (const propagator of [true, false]) {
      const api = fakeApi(propagator);
      const context = api.trace.setSpanContext(api.ROOT_CONTEXT, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1, traceState: { serialize: () => 'v=2' } });
      const injected = injectOpenTelemetry(api, context);
      assert.deepEqual(injected, propagator ? { traceparent: TRACEPARENT, baggage: 'user=1' } : { traceparent: TRACEPARENT, tracestate: 'v=2' });
      assert.equal(injectOpenTelemetry(api, api.ROOT_CONTEXT), undefined, 'no span: nothing to write');
    }
  });

  it('extracts the parent a consumer continues, a remote span context with the API alone', () => {
    const withPropagator = extractOpenTelemetry(fakeApi(true), { traceparent: TRACEPARENT });
    assert.equal((withPropagator.getValue(SPAN) as { via?: string }).via, 'propagator');
    const api = fakeApi(false);
    const alone = extractOpenTelemetry(api, { traceparent: TRACEPARENT, tracestate: 'v=2' });
    const span = api.trace.getSpanContext(alone);
    assert.deepEqual([span?.traceId, span?.spanId, span?.traceFlags, span?.isRemote, span?.traceState?.serialize()], [TRACE_ID, SPAN_ID, 1, true, 'v=2']);
    assert.equal(extractOpenTelemetry(api, undefined), api.ROOT_CONTEXT);
  });

  it('loads @opentelemetry/api only when asked, and says how to get it when it is not installed', async () => {
    // A variable: TypeScript must not look for the package's types.
    const specifier: string = '@opentelemetry/api';
    const installed = await import(specifier).then(() => true, () => false);
    if (installed) {
      assert.equal(typeof (await loadOpenTelemetry()).propagation.inject, 'function');
    } else {
      await assert.rejects(loadOpenTelemetry(), (err: unknown) => err instanceof MQClientError && /npm install @opentelemetry\/api/.test(err.message));
      // An OpenTelemetry Context given without the package installed fails the send, not the process.
      await assert.rejects(applyTraceContext({ topic: 'T', body: 'x', traceContext: new MapContext() }), MQClientError);
    }
  });
});

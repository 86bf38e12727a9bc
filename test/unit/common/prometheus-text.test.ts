import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Histogram } from '../../../src/common/histogram.js';
import { formatPrometheusText } from '../../../src/common/prometheus-text.js';
import { RemotingMetricsManager } from '../../../src/remoting/remoting-metrics.js';
import { RequestCode } from '../../../src/protocol/request-code.js';
import { ResponseCode } from '../../../src/protocol/response-code.js';
import { parsePrometheusText } from '../../helpers/prometheus-text.js';

describe('Histogram and its Prometheus text', () => {
  it('puts a value in the first bucket whose bound it does not exceed, else in the overflow bucket', () => {
    const h = new Histogram([1, 10]);
    for (const v of [0, 1, 1.5, 10, 11, 1000]) h.record(v);
    assert.deepEqual([...h.counts], [2, 2, 2]);
    assert.deepEqual([h.count, h.sum], [6, 1023.5]);
  });

  it('writes cumulative _bucket series up to +Inf, then _count and _sum, with the common labels first', () => {
    const h = new Histogram([1, 10]);
    for (const v of [0.5, 5, 50]) h.record(v);
    const text = formatPrometheusText([{ name: 'x_ms', type: 'histogram', help: 'X', samples: [{ labels: { k: 'v' }, histogram: h }] }], { cluster: 'c' }, 7);
    assert.equal(
      text,
      [
        '# HELP x_ms X',
        '# TYPE x_ms histogram',
        'x_ms_bucket{cluster="c",k="v",le="1.0"} 1.0 7',
        'x_ms_bucket{cluster="c",k="v",le="10.0"} 2.0 7',
        'x_ms_bucket{cluster="c",k="v",le="+Inf"} 3.0 7',
        'x_ms_count{cluster="c",k="v"} 3.0 7',
        'x_ms_sum{cluster="c",k="v"} 55.5 7',
        '',
      ].join('\n'),
    );
    assert.equal(parsePrometheusText(text).get('x_ms')?.samples.length, 5);
  });

  it('RemotingMetricsManager labels series as Java (lower-case code names, numbers for unknown codes)', () => {
    const metrics = new RemotingMetricsManager();
    metrics.recordRpcLatency(RequestCode.SEND_MESSAGE_V2, ResponseCode.SUCCESS, false, 'success', 2);
    metrics.recordRpcLatency(RequestCode.SEND_MESSAGE_V2, ResponseCode.SUCCESS, false, 'success', 4000);
    metrics.recordRpcLatency(RequestCode.PULL_MESSAGE, ResponseCode.PULL_NOT_FOUND, true, 'success', 5);
    metrics.recordRpcLatency(99999, 77777, false, 'oneway', 0);
    const family = parsePrometheusText(formatPrometheusText(metrics.families(), {}, 1)).get('rocketmq_rpc_latency_milliseconds');
    const counts = family?.samples.filter((s) => s.series.endsWith('_count')).map((s) => [s.labels['request_code'], s.labels['response_code'], s.labels['is_long_polling'], s.labels['result'], s.value]);
    assert.deepEqual(counts, [
      ['send_message_v2', 'success', 'false', 'success', 2],
      ['pull_message', 'pull_not_found', 'true', 'success', 1],
      ['99999', '77777', 'false', 'oneway', 1],
    ]);
    const over = family?.samples.find((s) => s.labels['request_code'] === 'send_message_v2' && s.labels['le'] === '3000.0');
    assert.equal(over?.value, 1);
  });

  it('the test parser refuses a histogram whose buckets decrease or whose +Inf bucket is not its count', () => {
    const head = '# HELP h H\n# TYPE h histogram\n';
    assert.throws(() => parsePrometheusText(`${head}h_bucket{le="1.0"} 2.0\nh_bucket{le="+Inf"} 1.0\nh_count 1.0\nh_sum 1.0\n`), /decrease/);
    assert.throws(() => parsePrometheusText(`${head}h_bucket{le="+Inf"} 1.0\nh_count 2.0\nh_sum 1.0\n`), /differs/);
    assert.throws(() => parsePrometheusText(`${head}h 1.0\n`), /only _bucket/);
  });
});

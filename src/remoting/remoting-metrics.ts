import { Histogram } from '../common/histogram.js';
import type { HistogramSample, MetricFamily } from '../common/prometheus-text.js';
import { RequestCode } from '../protocol/request-code.js';
import { ResponseCode } from '../protocol/response-code.js';

/** RemotingMetricsManager.getMetricsView: the rpc latency buckets, in milliseconds. */
export const RPC_LATENCY_BUCKETS: readonly number[] = [1, 3, 5, 7, 10, 100, 1000, 2000, 3000];

/** RemotingMetricsConstant's `result` values. */
export type RpcResult = 'oneway' | 'success' | 'cancelled' | 'process_request_failed' | 'write_channel_failed';

const RESULTS: readonly RpcResult[] = ['oneway', 'success', 'cancelled', 'process_request_failed', 'write_channel_failed'];
const RESULT_INDEX: Readonly<Record<RpcResult, number>> = { oneway: 0, success: 1, cancelled: 2, process_request_failed: 3, write_channel_failed: 4 };

/** RemotingHelper.REQUEST_CODE_MAP / RESPONSE_CODE_MAP: the constant's name in lower case, else the number. */
const requestCodeDesc = new Map<number, string>(Object.entries(RequestCode).map(([name, code]) => [code, name.toLowerCase()]));
const responseCodeDesc = new Map<number, string>(Object.entries(ResponseCode).map(([name, code]) => [code, name.toLowerCase()]));

/**
 * RemotingMetricsManager: the `rocketmq_rpc_latency` histogram of the requests a server answers, labelled as Java
 * labels it (protocol_type, is_long_polling, request_code, response_code, result). Series are kept by request
 * code, response code and flags in nested tables, so recording an answer is two map lookups and a bucket
 * increment once its series exists.
 */
export class RemotingMetricsManager {
  /** request code → response code → histogram per (is_long_polling, result). */
  private readonly table = new Map<number, Map<number, (Histogram | undefined)[]>>();

  recordRpcLatency(requestCode: number, responseCode: number, isLongPolling: boolean, result: RpcResult, elapsedMillis: number): void {
    let byResponse = this.table.get(requestCode);
    if (byResponse === undefined) {
      byResponse = new Map();
      this.table.set(requestCode, byResponse);
    }
    let cells = byResponse.get(responseCode);
    if (cells === undefined) {
      cells = new Array<Histogram | undefined>(RESULTS.length * 2).fill(undefined);
      byResponse.set(responseCode, cells);
    }
    const index = (isLongPolling ? RESULTS.length : 0) + RESULT_INDEX[result];
    let histogram = cells[index];
    if (histogram === undefined) {
      histogram = new Histogram(RPC_LATENCY_BUCKETS);
      cells[index] = histogram;
    }
    histogram.record(elapsedMillis);
  }

  /** The family as Java's exporter serves it: the unit `milliseconds` appended to the name. */
  families(): MetricFamily[] {
    const samples: HistogramSample[] = [];
    for (const [requestCode, byResponse] of this.table) {
      for (const [responseCode, cells] of byResponse) {
        cells.forEach((histogram, index) => {
          if (histogram === undefined) return;
          samples.push({
            labels: {
              protocol_type: 'remoting',
              is_long_polling: String(index >= RESULTS.length),
              request_code: requestCodeDesc.get(requestCode) ?? String(requestCode),
              response_code: responseCodeDesc.get(responseCode) ?? String(responseCode),
              result: RESULTS[index % RESULTS.length] as RpcResult,
            },
            histogram,
          });
        });
      }
    }
    return [{ name: 'rocketmq_rpc_latency_milliseconds', type: 'histogram', help: 'Rpc latency', samples }];
  }
}

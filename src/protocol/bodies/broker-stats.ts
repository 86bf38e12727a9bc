import { JsonMap, toFastjson } from './fastjson-writer.js';
import type { LanguageName } from '../language-code.js';

/** BrokerStatsItem.java: one window of a counter. */
export interface BrokerStatsItem {
  sum: number;
  tps: number;
  avgpt: number;
}

/** BrokerStatsData.java (VIEW_BROKER_STATS_DATA 315): the minute, hour and day windows of one stats item. */
export interface BrokerStatsData {
  statsMinute: BrokerStatsItem;
  statsHour: BrokerStatsItem;
  statsDay: BrokerStatsItem;
}

export function encodeBrokerStatsData(data: BrokerStatsData): Buffer {
  const item = (i: BrokerStatsItem): object => ({ avgpt: i.avgpt, sum: i.sum, tps: i.tps });
  return Buffer.from(toFastjson({ statsDay: item(data.statsDay), statsHour: item(data.statsHour), statsMinute: item(data.statsMinute) }), 'utf8');
}

/** ProducerInfo.java: one producer connection as GET_ALL_PRODUCER_INFO (328) lists it. */
export interface ProducerInfo {
  clientId: string;
  /** Netty's remoteAddress().toString(): "/127.0.0.1:54321". */
  remoteIP: string;
  language: LanguageName;
  version: number;
  lastUpdateTimestamp: number;
}

/** ProducerTableInfo.java: `{"data":{"<group>":[ProducerInfo...]}}`. */
export function encodeProducerTableInfo(data: ReadonlyMap<string, readonly ProducerInfo[]>): Buffer {
  const groups = [...data].map(([group, producers]) => {
    const beans = producers.map((p) => ({
      clientId: p.clientId,
      language: p.language,
      lastUpdateTimestamp: p.lastUpdateTimestamp,
      remoteIP: p.remoteIP,
      version: p.version,
    }));
    return [group, beans] as const;
  });
  return Buffer.from(toFastjson({ data: new JsonMap(groups) }), 'utf8');
}

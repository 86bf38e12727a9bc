/**
 * A POP consumer over raw remoting, as the Java client's MQClientAPIImpl does it: POP_MESSAGE with JSON headers,
 * each message's receipt handle built from the response header (processPopResponse) unless the broker set POP_CK,
 * then ACK_MESSAGE / CHANGE_MESSAGE_INVISIBLETIME with that handle. Also a plain sender.
 */
import assert from 'node:assert/strict';
import { decodeStoredMessages, messageProperties2String, RemotingClient, RemotingCommand, RequestCode, ResponseCode, type MessageExt } from '../../src/index.js';

export interface PoppedRemoting {
  readonly code: number;
  readonly messages: (MessageExt & { readonly handle: string })[];
  readonly header: Record<string, string>;
}

export class PopClient {
  constructor(
    readonly client: RemotingClient,
    readonly addr: string,
    readonly brokerName = 'broker-a',
  ) {}

  async send(topic: string, queueId: number, body: string, extra: { tags?: string; properties?: Record<string, string> } = {}): Promise<number> {
    const props = new Map<string, string>([['UNIQ_KEY', body], ['WAIT', 'true'], ...Object.entries(extra.properties ?? {})]);
    if (extra.tags !== undefined) props.set('TAGS', extra.tags);
    const header = { a: 'PG', b: topic, c: 'TBW102', d: 4, e: queueId, f: 0, g: Date.now(), h: 0, i: messageProperties2String(props), j: 0, k: false, m: false };
    const response = await this.client.invokeSync(this.addr, RemotingCommand.createRequestCommand(RequestCode.SEND_MESSAGE_V2, header, Buffer.from(body)), 5000);
    assert.equal(response.code, ResponseCode.SUCCESS, response.remark);
    return Number(response.extFields?.['queueOffset']);
  }

  async pop(
    group: string,
    topic: string,
    options: { queueId?: number; max?: number; invisibleTime?: number; pollTime?: number; order?: boolean; attemptId?: string; exp?: string; expType?: string } = {},
  ): Promise<PoppedRemoting> {
    const pollTime = options.pollTime ?? 0;
    const header = {
      consumerGroup: group,
      topic,
      queueId: options.queueId ?? -1,
      maxMsgNums: options.max ?? 32,
      invisibleTime: options.invisibleTime ?? 60_000,
      pollTime,
      bornTime: Date.now(),
      initMode: 0,
      expType: options.expType ?? 'TAG',
      exp: options.exp ?? '*',
      order: options.order ?? false,
      ...(options.attemptId === undefined ? {} : { attemptId: options.attemptId }),
    };
    const response = await this.client.invokeSync(this.addr, RemotingCommand.createRequestCommand(RequestCode.POP_MESSAGE, header), pollTime + 5000);
    const fields = response.extFields ?? {};
    if (response.code !== ResponseCode.SUCCESS) return { code: response.code, messages: [], header: fields };
    const startOffsets = new Map<string, number>();
    for (const entry of (fields['startOffsetInfo'] ?? '').split(';').filter((e) => e !== '')) {
      const [type, queueId, start] = entry.split(' ');
      startOffsets.set(`${type}@${queueId}`, Number(start));
    }
    const messages = decodeStoredMessages(response.body as Buffer).map((msg) => {
      const ck = msg.properties.get('POP_CK');
      const handle =
        ck ??
        [startOffsets.get(`0@${msg.queueId}`), fields['popTime'], fields['invisibleTime'], fields['reviveQid'], 0, this.brokerName, msg.queueId, msg.queueOffset].join(' ');
      return Object.assign(msg, { handle });
    });
    return { code: response.code, messages, header: fields };
  }

  async ack(group: string, topic: string, message: { readonly handle: string; readonly queueId: number; readonly queueOffset: number }): Promise<RemotingCommand> {
    const header = { consumerGroup: group, topic, queueId: message.queueId, extraInfo: message.handle, offset: message.queueOffset };
    return this.client.invokeSync(this.addr, RemotingCommand.createRequestCommand(RequestCode.ACK_MESSAGE, header), 5000);
  }

  async changeInvisibleTime(group: string, topic: string, message: { readonly handle: string; readonly queueId: number; readonly queueOffset: number }, invisibleTime: number): Promise<RemotingCommand> {
    const header = { consumerGroup: group, topic, queueId: message.queueId, extraInfo: message.handle, offset: message.queueOffset, invisibleTime };
    return this.client.invokeSync(this.addr, RemotingCommand.createRequestCommand(RequestCode.CHANGE_MESSAGE_INVISIBLETIME, header), 5000);
  }
}

/** The handle after CHANGE_MESSAGE_INVISIBLETIME, as the Java client rebuilds it from the response header. */
export function changedHandle(old: string, response: RemotingCommand): string {
  const fields = old.split(' ');
  fields[1] = response.extFields?.['popTime'] ?? '';
  fields[2] = response.extFields?.['invisibleTime'] ?? '';
  fields[3] = response.extFields?.['reviveQid'] ?? '';
  fields[0] = fields[7] ?? '';
  return fields.join(' ');
}

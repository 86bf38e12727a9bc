import { silentLogger, type Logger } from '../../common/logger.js';
import { decodeSetMessageRequestModeRequestBody, encodeSetMessageRequestModeRequestBody, type SetMessageRequestModeRequestBody } from '../../protocol/bodies/message-request-mode.js';
import type { ConfigStore } from '../config-store.js';

export const MESSAGE_REQUEST_MODE_FILE = 'messageRequestMode.json';

/**
 * MessageRequestModeManager.java: the request mode (PULL or POP) set per (topic, group) by
 * SET_MESSAGE_REQUEST_MODE, kept in messageRequestMode.json as Java keeps it:
 * `{"messageRequestModeMap":{"<topic>":{"<group>":{...body...}}}}`.
 */
export class MessageRequestModeManager {
  private readonly table = new Map<string, Map<string, SetMessageRequestModeRequestBody>>();

  constructor(
    private readonly configStore: ConfigStore,
    private readonly logger: Logger = silentLogger,
  ) {}

  async load(): Promise<void> {
    const loaded = await this.configStore.load(MESSAGE_REQUEST_MODE_FILE, decodeTable);
    if (loaded === undefined) return;
    this.table.clear();
    for (const [topic, groups] of loaded) this.table.set(topic, groups);
  }

  getMessageRequestMode(topic: string, group: string): SetMessageRequestModeRequestBody | undefined {
    return this.table.get(topic)?.get(group);
  }

  /** Sets and writes the file; resolves once written. */
  async setMessageRequestMode(body: SetMessageRequestModeRequestBody): Promise<void> {
    let groups = this.table.get(body.topic);
    if (groups === undefined) this.table.set(body.topic, (groups = new Map<string, SetMessageRequestModeRequestBody>()));
    groups.set(body.consumerGroup, { ...body });
    this.logger.info(`message request mode of ${body.consumerGroup} on ${body.topic} set to ${body.mode}`);
    await this.configStore.persist(MESSAGE_REQUEST_MODE_FILE, this.encode());
  }

  /**
   * SlaveSynchronize.syncMessageRequestMode: the master's GET_ALL_MESSAGE_REQUEST_MODE body; topics the master no
   * longer has are dropped, the others replaced. Resolves once written.
   */
  async replaceFromMaster(text: string): Promise<void> {
    const fresh = decodeTable(text);
    for (const topic of [...this.table.keys()]) if (!fresh.has(topic)) this.table.delete(topic);
    for (const [topic, groups] of fresh) this.table.set(topic, groups);
    await this.configStore.persist(MESSAGE_REQUEST_MODE_FILE, this.encode());
  }

  encode(): string {
    const topics: string[] = [];
    for (const [topic, groups] of this.table) {
      const entries = [...groups].map(([group, body]) => `${JSON.stringify(group)}:${encodeSetMessageRequestModeRequestBody(body)}`);
      topics.push(`${JSON.stringify(topic)}:{${entries.join(',')}}`);
    }
    return `{"messageRequestModeMap":{${topics.join(',')}}}`;
  }
}

function decodeTable(text: string): Map<string, Map<string, SetMessageRequestModeRequestBody>> {
  const raw = JSON.parse(text) as { messageRequestModeMap?: Record<string, Record<string, unknown>> };
  const table = new Map<string, Map<string, SetMessageRequestModeRequestBody>>();
  for (const [topic, groups] of Object.entries(raw.messageRequestModeMap ?? {})) {
    const decoded = new Map<string, SetMessageRequestModeRequestBody>();
    for (const [group, body] of Object.entries(groups)) decoded.set(group, decodeSetMessageRequestModeRequestBody(JSON.stringify(body), `${MESSAGE_REQUEST_MODE_FILE}[${topic}][${group}]`));
    table.set(topic, decoded);
  }
  return table;
}

import { silentLogger, type Logger } from '../../common/logger.js';
import type { ClientChannelInfo } from './client-channel-info.js';

/** ProducerManager.CHANNEL_EXPIRED_TIMEOUT: fixed in Java, not configurable. */
const CHANNEL_EXPIRED_TIMEOUT = 120_000;
const GET_AVAILABLE_CHANNEL_RETRY_COUNT = 3;

/**
 * ProducerManager.java: producer groups -> member channels, from heartbeats. Transaction checks will pick a live
 * member of a group here. Channels are opaque keys; expired ones are handed back to the caller to close.
 */
export class ProducerManager<C> {
  private readonly groupChannelTable = new Map<string, Map<C, ClientChannelInfo<C>>>();
  /** clientChannelTable: a producer's client id -> its connection (where a reply for it is pushed). */
  private readonly clientChannelTable = new Map<string, C>();
  private checkCounter = 0;

  constructor(private readonly logger: Logger = silentLogger) {}

  groupOnline(group: string): boolean {
    return (this.groupChannelTable.get(group)?.size ?? 0) > 0;
  }

  /** The members of a producer group, undefined when the group has none (GET_PRODUCER_CONNECTION_LIST). */
  /** Every group with its members (GET_ALL_PRODUCER_INFO). */
  groups(): IterableIterator<[string, ReadonlyMap<C, ClientChannelInfo<C>>]> {
    return this.groupChannelTable.entries();
  }

  getGroupChannelTable(group: string): ReadonlyMap<C, ClientChannelInfo<C>> | undefined {
    return this.groupChannelTable.get(group);
  }

  /**
   * ProducerManager.getAvailableChannel: a member of `group` to send a transaction check to, round robin from a
   * counter, trying up to 3 for one both active and writable, else the last active one seen; undefined if none.
   */
  getAvailableChannel(group: string, isActive: (channel: C) => boolean, isWritable: (channel: C) => boolean): C | undefined {
    const channels = [...(this.groupChannelTable.get(group)?.keys() ?? [])];
    if (channels.length === 0) return undefined;
    let index = ++this.checkCounter % channels.length;
    let lastActive: C | undefined;
    for (let tries = 0; tries < GET_AVAILABLE_CHANNEL_RETRY_COUNT; tries++) {
      const channel = channels[index] as C;
      if (isActive(channel)) {
        if (isWritable(channel)) return channel;
        lastActive = channel;
      }
      index = (index + 1) % channels.length;
    }
    return lastActive;
  }

  /** The connection of the producer with this client id (ProducerManager.findChannel), for request-reply. */
  findChannel(clientId: string): C | undefined {
    return this.clientChannelTable.get(clientId);
  }

  /** Adds the member, or refreshes its heartbeat time. */
  registerProducer(group: string, info: ClientChannelInfo<C>, now = Date.now()): void {
    this.clientChannelTable.set(info.clientId, info.channel);
    let channels = this.groupChannelTable.get(group);
    if (channels === undefined) {
      channels = new Map();
      this.groupChannelTable.set(group, channels);
    }
    const found = channels.get(info.channel);
    if (found === undefined) {
      channels.set(info.channel, info);
      this.logger.info(`new producer connected, group: ${group} client: ${info.clientId}`);
    } else {
      found.lastUpdateTimestamp = now;
    }
  }

  unregisterProducer(group: string, channel: C, clientId: string): void {
    const channels = this.groupChannelTable.get(group);
    if (channels === undefined) return;
    if (channels.delete(channel)) this.logger.info(`unregister a producer of group ${group}: ${clientId}`);
    this.clientChannelTable.delete(clientId);
    if (channels.size === 0) this.groupChannelTable.delete(group);
  }

  /** A connection closed, failed or went idle: it leaves every producer group. */
  doChannelCloseEvent(remoteAddr: string, channel: C): boolean {
    let removed = false;
    for (const [group, channels] of [...this.groupChannelTable]) {
      const info = channels.get(channel);
      if (info === undefined) continue;
      channels.delete(channel);
      if (this.clientChannelTable.get(info.clientId) === channel) this.clientChannelTable.delete(info.clientId);
      removed = true;
      this.logger.info(`remove channel ${remoteAddr} (${info.clientId}) from producer group ${group}`);
      if (channels.size === 0) this.groupChannelTable.delete(group);
    }
    return removed;
  }

  /** Drops members silent for more than 120 s and returns them, for the caller to close their connections. */
  scanNotActiveChannel(now = Date.now()): ClientChannelInfo<C>[] {
    const expired: ClientChannelInfo<C>[] = [];
    for (const [group, channels] of [...this.groupChannelTable]) {
      for (const [channel, info] of [...channels]) {
        if (now - info.lastUpdateTimestamp <= CHANNEL_EXPIRED_TIMEOUT) continue;
        channels.delete(channel);
        if (this.clientChannelTable.get(info.clientId) === channel) this.clientChannelTable.delete(info.clientId);
        expired.push(info);
        this.logger.warn(`SCAN: remove expired channel of ${info.clientId} from producer group ${group}`);
      }
      if (channels.size === 0) this.groupChannelTable.delete(group);
    }
    return expired;
  }
}

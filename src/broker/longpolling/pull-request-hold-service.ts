import type { Logger } from '../../common/logger.js';
import type { RemotingCommand } from '../../protocol/remoting-command.js';
import type { RemotingChannel } from '../../remoting/remoting-channel.js';
import type { RequestContext } from '../../remoting/request-processor.js';
import type { MessageFilter } from '../../store/message-store.js';

/** PullRequest.java: a caught-up pull parked until a matching message arrives or its time is up. */
export interface PullRequest {
  readonly ctx: RequestContext;
  readonly request: RemotingCommand;
  readonly timeoutMillis: number;
  readonly suspendTimestamp: number;
  readonly pullFromThisOffset: number;
  readonly messageFilter: MessageFilter;
}

interface Held {
  readonly pullRequest: PullRequest;
  readonly key: string;
  readonly timer: NodeJS.Timeout;
}

export interface PullRequestHoldServiceOptions {
  /** The queue's max offset now (the store's getMaxOffsetInQueue). */
  getMaxOffsetInQueue(topic: string, queueId: number): number;
  /** PullMessageProcessor.executeRequestWhenWakeup: runs the pull again, never parking it, and answers. */
  executeRequestWhenWakeup(pullRequest: PullRequest): void;
  logger: Logger;
}

/**
 * PullRequestHoldService.java. Java re-checks every parked pull on a 5 s tick; here nothing waits for a tick: a
 * pull is answered when a matching message is dispatched (notifyMessageArriving, from the store's arriving
 * listener), or by its own timer at exactly suspendTimestamp + timeoutMillis. The re-execution is deferred to
 * the next turn of the event loop, so it never runs inside the store's put and sees the whole batch.
 * Pulls of a closed connection are dropped at once rather than kept until their timeout.
 */
export class PullRequestHoldService {
  /** `topic@queueId` -> parked pulls, oldest first. */
  private readonly pullRequestTable = new Map<string, Held[]>();
  private readonly byChannel = new Map<RemotingChannel, Set<Held>>();
  private stopped = false;

  constructor(private readonly options: PullRequestHoldServiceOptions) {}

  /** How many pulls are parked now. */
  get size(): number {
    let n = 0;
    for (const list of this.pullRequestTable.values()) n += list.length;
    return n;
  }

  suspendPullRequest(topic: string, queueId: number, pullRequest: PullRequest): void {
    if (this.stopped || !pullRequest.ctx.channel.isActive) return;
    const key = buildKey(topic, queueId);
    const delay = Math.max(0, pullRequest.suspendTimestamp + pullRequest.timeoutMillis - Date.now());
    const held: Held = { pullRequest, key, timer: setTimeout(() => this.expire(held), delay) };
    held.timer.unref();
    let list = this.pullRequestTable.get(key);
    if (list === undefined) this.pullRequestTable.set(key, (list = []));
    list.push(held);
    let channelHeld = this.byChannel.get(pullRequest.ctx.channel);
    if (channelHeld === undefined) this.byChannel.set(pullRequest.ctx.channel, (channelHeld = new Set()));
    channelHeld.add(held);
  }

  /**
   * A message reached the consume queue (`maxOffset` is the queue's new max offset). Every parked pull of the
   * queue behind it whose filter matches the message's tag code and, for a property filter, its `properties`, is
   * answered.
   */
  notifyMessageArriving(topic: string, queueId: number, maxOffset: number, tagsCode: number, properties?: ReadonlyMap<string, string>): void {
    const key = buildKey(topic, queueId);
    const list = this.pullRequestTable.get(key);
    if (list === undefined) return;
    let newestOffset = maxOffset;
    const keep: Held[] = [];
    for (const held of list) {
      const { pullRequest } = held;
      if (newestOffset <= pullRequest.pullFromThisOffset) newestOffset = this.options.getMaxOffsetInQueue(topic, queueId);
      if (newestOffset > pullRequest.pullFromThisOffset && matches(pullRequest.messageFilter, tagsCode, properties)) {
        this.wakeUp(held);
      } else {
        keep.push(held);
      }
    }
    if (keep.length === 0) this.pullRequestTable.delete(key);
    else this.pullRequestTable.set(key, keep);
  }

  /** The connection closed: its parked pulls can never be answered. */
  onChannelClose(channel: RemotingChannel): void {
    const channelHeld = this.byChannel.get(channel);
    if (channelHeld === undefined) return;
    for (const held of channelHeld) {
      clearTimeout(held.timer);
      this.removeFromTable(held);
    }
    this.byChannel.delete(channel);
  }

  /** Drops every parked pull (the broker is stopping; clients re-pull elsewhere after their timeout). */
  shutdown(): void {
    this.stopped = true;
    for (const list of this.pullRequestTable.values()) for (const held of list) clearTimeout(held.timer);
    this.pullRequestTable.clear();
    this.byChannel.clear();
  }

  private expire(held: Held): void {
    if (!this.removeFromTable(held)) return;
    this.forget(held);
    this.execute(held.pullRequest);
  }

  /** Called with `held` already out of the queue's list. */
  private wakeUp(held: Held): void {
    clearTimeout(held.timer);
    this.forget(held);
    setImmediate(() => this.execute(held.pullRequest));
  }

  private execute(pullRequest: PullRequest): void {
    if (this.stopped || !pullRequest.ctx.channel.isActive) return;
    try {
      this.options.executeRequestWhenWakeup(pullRequest);
    } catch (err) {
      this.options.logger.error('executing a woken pull failed', err);
    }
  }

  private removeFromTable(held: Held): boolean {
    const list = this.pullRequestTable.get(held.key);
    const index = list?.indexOf(held) ?? -1;
    if (list === undefined || index < 0) return false;
    list.splice(index, 1);
    if (list.length === 0) this.pullRequestTable.delete(held.key);
    return true;
  }

  private forget(held: Held): void {
    const channel = held.pullRequest.ctx.channel;
    const channelHeld = this.byChannel.get(channel);
    channelHeld?.delete(held);
    if (channelHeld?.size === 0) this.byChannel.delete(channel);
  }
}

/** Java's two steps: the tag code, then (when the dispatch has them) the properties. */
function matches(filter: MessageFilter, tagsCode: number, properties: ReadonlyMap<string, string> | undefined): boolean {
  if (!filter.isMatchedByConsumeQueue(tagsCode)) return false;
  return properties === undefined || filter.isMatchedByCommitLog === undefined || filter.isMatchedByCommitLog(undefined, properties);
}

function buildKey(topic: string, queueId: number): string {
  return `${topic}@${queueId}`;
}

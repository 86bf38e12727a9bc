import type { AsyncTraceDispatcher } from './async-trace-dispatcher.js';

/** What the producer saw of one RECALL_MESSAGE the broker answered. */
export interface AnsweredRecall {
  /** The topic without the namespace. */
  readonly topic: string;
  /** The recall handle's message id. */
  readonly msgId: string;
  /** The MSG_REGION ext field of the answer. */
  readonly regionId: string;
  readonly success: boolean;
}

/**
 * DefaultRecallMessageTraceHook (5.3.x): a Recall record for every RECALL_MESSAGE a broker answered with its region
 * (5.3.x brokers and ours always add it), successful or not. A request that got no answer is not traced.
 */
export class RecallMessageTraceHook {
  constructor(
    private readonly dispatcher: AsyncTraceDispatcher,
    /** The producer group without the namespace. */
    private readonly groupName: string,
  ) {}

  recalled(recall: AnsweredRecall): void {
    this.dispatcher.append({
      traceType: 'Recall',
      timeStamp: Date.now(),
      regionId: recall.regionId,
      groupName: this.groupName,
      topic: recall.topic,
      msgId: recall.msgId,
      success: recall.success,
    });
  }
}

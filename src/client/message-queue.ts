/** MessageQueue.java: one queue of a topic on one broker group. */
export interface MessageQueue {
  readonly topic: string;
  readonly brokerName: string;
  readonly queueId: number;
}

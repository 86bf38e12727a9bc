import type { MessageArrivingListener } from '../../store/message-store.js';
import type { PullRequestHoldService } from './pull-request-hold-service.js';

/** NotifyMessageArrivingListener.java: the store's dispatch tells the hold service which queue grew. */
export function notifyMessageArrivingListener(holdService: PullRequestHoldService): MessageArrivingListener {
  return (topic, queueId, logicOffset, tagsCode, _storeTimestamp, properties) =>
    holdService.notifyMessageArriving(topic, queueId, logicOffset, tagsCode, properties);
}

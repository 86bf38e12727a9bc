import { ResponseCode } from '../../protocol/response-code.js';
import { MASTER_ID } from './broker-role.js';

export interface PullSuggestionInput {
  /** The response code the store's status maps to. */
  code: number;
  /** The store judged the pulled data cold (GetMessageResult.suggestPullingFromSlave). */
  suggestPullingFromSlave: boolean;
  slave: boolean;
  slaveReadEnable: boolean;
  offsetCheckInSlave: boolean;
  /** The group's SubscriptionGroupConfig.brokerId and whichBrokerWhenConsumeSlowly. */
  groupBrokerId: number;
  whichBrokerWhenConsumeSlowly: number;
}

/**
 * PullMessageProcessor's replica choice, as 4.9.8 makes it (and 5.3.3 with slaveReadEnable): which broker of the
 * group the consumer should pull this queue from next (suggestWhichBrokerId), and the final response code.
 * - Read from slaves enabled: cold data goes to whichBrokerWhenConsumeSlowly, warm data to the group's brokerId.
 * - Disabled: always the master. A slave still serves what it has (4.9 sets PULL_RETRY_IMMEDIATELY and then
 *   overwrites it with the store's status), which is what lets consumers read from a slave whose master is gone.
 * - A slave never tells a consumer to move its offset (its log may lag): OFFSET_MOVED becomes a retry at the
 *   group's brokerId, unless offsetCheckInSlave.
 */
export function suggestPullBroker(input: PullSuggestionInput): { code: number; suggestWhichBrokerId: number } {
  let suggestWhichBrokerId = MASTER_ID;
  if (input.slaveReadEnable) suggestWhichBrokerId = input.suggestPullingFromSlave ? input.whichBrokerWhenConsumeSlowly : input.groupBrokerId;
  let code = input.code;
  if (code === ResponseCode.PULL_OFFSET_MOVED && input.slave && !input.offsetCheckInSlave) {
    suggestWhichBrokerId = input.groupBrokerId;
    code = ResponseCode.PULL_RETRY_IMMEDIATELY;
  }
  return { code, suggestWhichBrokerId };
}

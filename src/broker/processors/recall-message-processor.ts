import { RecallMessageRequestHeader } from '../../protocol/headers/broker.js';
import { MessageConst, MessageExtBrokerInner, parseHostAddress } from '../../protocol/message/index.js';
import { PermName } from '../../protocol/perm-name.js';
import { RemotingCommand } from '../../protocol/remoting-command.js';
import { ResponseCode } from '../../protocol/response-code.js';
import type { RequestContext, RequestProcessor } from '../../remoting/request-processor.js';
import { decodeRecallHandle } from '../timer/timer-message-hook.js';
import { answeringBadInput } from './bad-input.js';
import type { BrokerContext } from './broker-context.js';

/** RecallMessageProcessor.RECALL_MESSAGE_TAG: the tag of a recall marker. */
const RECALL_MESSAGE_TAG = '_RECALL_TAG_';

/**
 * RecallMessageProcessor.java (RECALL_MESSAGE 370, 5.3.x): with recallMessageEnable, a producer cancels a timer
 * message by the handle its send returned. The handle is checked (topic, broker, a time still ahead and within
 * timerMaxDelaySec), and a marker is put through the timer path for the same slot (TIMER_DELIVER_MS the handle's
 * time, TIMER_DEL_UNIQKEY "<topic>+<UNIQ_KEY>"); when the slot fires the timer store drops the message it names.
 * Answered with the UNIQ_KEY as msgId.
 */
export class RecallMessageProcessor implements RequestProcessor {
  constructor(
    private readonly broker: BrokerContext,
    private readonly timerMaxDelaySec: number,
  ) {}

  processRequest(ctx: RequestContext, request: RemotingCommand): Promise<RemotingCommand> | RemotingCommand {
    return answeringBadInput(() => this.recall(ctx, request));
  }

  private async recall(ctx: RequestContext, request: RemotingCommand): Promise<RemotingCommand> {
    const { config } = this.broker;
    const header = request.decodeCommandCustomHeader(RecallMessageRequestHeader);
    const answer = (code: number, remark?: string): RemotingCommand => {
      const response = RemotingCommand.createResponseCommand(code, remark);
      response.addExtField(MessageConst.PROPERTY_MSG_REGION, config.regionId);
      return response;
    };
    if (!config.recallMessageEnable) return answer(ResponseCode.NO_PERMISSION, 'recall failed, operation is forbidden');
    if (!PermName.isWriteable(config.brokerPermission) && !config.allowRecallWhenBrokerNotWriteable) {
      return answer(ResponseCode.SERVICE_NOT_AVAILABLE, 'recall failed, broker service not available');
    }
    if (this.broker.topicConfigManager.selectTopicConfig(header.topic) === undefined) {
      return answer(ResponseCode.TOPIC_NOT_EXIST, `recall failed, the topic[${header.topic}] not exist`);
    }
    const handle = decodeRecallHandle(header.recallHandle);
    if (handle === undefined) return answer(ResponseCode.ILLEGAL_OPERATION, 'recall handle is invalid');
    if (handle.topic !== header.topic) return answer(ResponseCode.ILLEGAL_OPERATION, 'recall failed, topic not match');
    if (handle.brokerName !== config.brokerName) return answer(ResponseCode.ILLEGAL_OPERATION, 'recall failed, broker service not available');
    const timestamp = /^-?\d+$/.test(handle.timestamp) ? Number(handle.timestamp) : -1;
    const timeLeft = timestamp - Date.now();
    if (timeLeft <= 0 || timeLeft >= this.timerMaxDelaySec * 1000) return answer(ResponseCode.ILLEGAL_OPERATION, 'recall failed, timestamp invalid');

    const marker = new MessageExtBrokerInner();
    marker.topic = handle.topic;
    marker.queueId = 0;
    marker.body = Buffer.from('0');
    marker.properties = new Map([
      [MessageConst.PROPERTY_TAGS, RECALL_MESSAGE_TAG],
      [MessageConst.PROPERTY_TIMER_DEL_UNIQKEY, `${handle.topic}+${handle.messageId}`],
      [MessageConst.PROPERTY_UNIQ_CLIENT_MESSAGE_ID_KEYIDX, handle.messageId],
      [MessageConst.PROPERTY_TIMER_DELIVER_MS, handle.timestamp],
      ['BORN_TIMESTAMP', String(Date.now())],
      ['TRACE_CONTEXT', ''],
    ]);
    if (header.producerGroup !== undefined) marker.properties.set(MessageConst.PROPERTY_PRODUCER_GROUP, header.producerGroup);
    marker.bornTimestamp = Date.now();
    marker.bornHost = parseHostAddress(ctx.remoteAddr);
    marker.storeHost = parseHostAddress(this.broker.brokerAddr);
    const refused = this.broker.handlePutHooks(marker);
    if (refused !== undefined) return answer(refused.code, refused.remark);
    const result = await this.broker.messageStore.putMessage(marker);
    if (result.status !== 'PUT_OK' && result.status !== 'FLUSH_DISK_TIMEOUT') return answer(ResponseCode.SYSTEM_ERROR, 'recall failed, execute error');
    const response = answer(ResponseCode.SUCCESS);
    response.addExtField('msgId', handle.messageId);
    return response;
  }
}

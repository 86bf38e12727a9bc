package io.rocketmqts.interop;

import java.util.function.Consumer;
import org.apache.rocketmq.remoting.InvokeCallback;
import org.apache.rocketmq.remoting.netty.NettyServerConfig;
import org.apache.rocketmq.remoting.netty.ResponseFuture;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;
import org.apache.rocketmq.remoting.exception.RemotingSendRequestException;
import org.apache.rocketmq.remoting.exception.RemotingTimeoutException;
import org.apache.rocketmq.remoting.common.RemotingHelper;
import org.apache.rocketmq.common.protocol.RequestCode;
import org.apache.rocketmq.common.protocol.ResponseCode;
import org.apache.rocketmq.common.protocol.header.NotifyConsumerIdsChangedRequestHeader;
import org.apache.rocketmq.common.protocol.header.SendMessageRequestHeader;
import org.apache.rocketmq.common.protocol.header.SendMessageRequestHeaderV2;
import org.apache.rocketmq.common.protocol.header.SendMessageResponseHeader;
import org.apache.rocketmq.common.protocol.header.namesrv.GetRouteInfoRequestHeader;

/**
 * The parts of the API that differ between RocketMQ lines.
 * RocketMQ 4.9.x: protocol classes under org.apache.rocketmq.common.protocol; InvokeCallback reports only through operationComplete.
 */
final class VersionApi {
    private VersionApi() {
    }

    static void bindLoopback(NettyServerConfig config) {
        // 4.9.x has no bindAddress: NettyRemotingServer always binds the wildcard address.
    }

    static InvokeCallback callback(Consumer<RemotingCommand> onResponse, Consumer<Throwable> onFailure) {
        return responseFuture -> {
            RemotingCommand response = responseFuture.getResponseCommand();
            if (response != null) {
                onResponse.accept(response);
            } else if (responseFuture.getCause() != null) {
                onFailure.accept(responseFuture.getCause());
            } else {
                String addr = RemotingHelper.parseChannelRemoteAddr(responseFuture.getProcessChannel());
                onFailure.accept(responseFuture.isSendRequestOK()
                    ? new RemotingTimeoutException(addr, responseFuture.getTimeoutMillis())
                    : new RemotingSendRequestException(addr));
            }
        };
    }

    static RemotingCommand routeInfoRequest(String topic) {
        GetRouteInfoRequestHeader header = new GetRouteInfoRequestHeader();
        header.setTopic(topic);
        return RemotingCommand.createRequestCommand(RequestCode.GET_ROUTEINFO_BY_TOPIC, header);
    }

    static RemotingCommand notifyConsumerIdsChanged(String consumerGroup) {
        NotifyConsumerIdsChangedRequestHeader header = new NotifyConsumerIdsChangedRequestHeader();
        header.setConsumerGroup(consumerGroup);
        RemotingCommand request = RemotingCommand.createRequestCommand(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, header);
        request.markOnewayRPC();
        return request;
    }

    /** A SEND_MESSAGE_V2 request as DefaultMQProducer builds it (sendSmartMsg: one-letter field names). */
    static RemotingCommand sendMessageV2Request(String group, String topic, String properties, long bornTimestamp,
        byte[] body) {
        SendMessageRequestHeader v1 = new SendMessageRequestHeader();
        v1.setProducerGroup(group);
        v1.setTopic(topic);
        v1.setDefaultTopic("TBW102");
        v1.setDefaultTopicQueueNums(4);
        v1.setQueueId(0);
        v1.setSysFlag(0);
        v1.setBornTimestamp(bornTimestamp);
        v1.setFlag(0);
        v1.setProperties(properties);
        v1.setReconsumeTimes(0);
        v1.setUnitMode(false);
        v1.setBatch(false);
        RemotingCommand request = RemotingCommand.createRequestCommand(RequestCode.SEND_MESSAGE_V2,
            SendMessageRequestHeaderV2.createSendMessageRequestHeaderV2(v1));
        request.setBody(body);
        return request;
    }

    /** A successful send's response, as SendMessageProcessor fills it in. */
    static RemotingCommand sendMessageResponse(String msgId, int queueId, long queueOffset) {
        RemotingCommand response = RemotingCommand.createResponseCommand(SendMessageResponseHeader.class);
        SendMessageResponseHeader header = (SendMessageResponseHeader) response.readCustomHeader();
        header.setMsgId(msgId);
        header.setQueueId(queueId);
        header.setQueueOffset(queueOffset);
        response.setCode(ResponseCode.SUCCESS);
        response.setRemark(null);
        return response;
    }

    /** 4.9.x has no server-side rebalance and no POP. */
    static void disableClientRebalance(org.apache.rocketmq.client.consumer.DefaultMQPushConsumer consumer) {
        throw new UnsupportedOperationException("--pop needs a 5.x client");
    }
}

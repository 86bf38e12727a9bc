package io.rocketmqts.interop;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.utils.MessageUtil;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageConst;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * The replier of request-reply, as Java applications write it: a DefaultMQPushConsumer on --topic whose listener
 * answers every request with MessageUtil.createReplyMessage(request, "pong:" + body) sent by a DefaultMQProducer (so
 * as SEND_REPLY_MESSAGE_V2). Prints "READY" once the consumer owns queues, then one JSON line per request: "replied"
 * (the request's CORRELATION_ID, REPLY_TO_CLIENT, TTL and CLUSTER, the reply's send status, msgId and offset) or
 * "reply-failed" (the exception's class, responseCode and errorMessage, and its cause's). Runs until killed.
 *
 * --namesrv ADDR --topic T [--group G] [--instance NAME]
 */
public final class ReplierDriver {
    private ReplierDriver() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        args.applyRemotingDefaults();
        String topic = args.require("topic");
        String group = args.get("group", "ReplierGroup");
        String instance = args.get("instance", "replier");
        DefaultMQProducer producer = new DefaultMQProducer(group + "_PG");
        producer.setNamesrvAddr(args.require("namesrv"));
        producer.setInstanceName(instance);
        producer.start();
        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(group);
        consumer.setNamesrvAddr(args.require("namesrv"));
        consumer.setInstanceName(instance);
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.subscribe(topic, "*");
        consumer.registerMessageListener((MessageListenerConcurrently) (messages, context) -> {
            for (MessageExt request : messages) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("key", request.getKeys());
                line.put("body", new String(request.getBody(), StandardCharsets.UTF_8));
                line.put("correlationId", request.getProperty(MessageConst.PROPERTY_CORRELATION_ID));
                line.put("replyTo", request.getProperty(MessageConst.PROPERTY_MESSAGE_REPLY_TO_CLIENT));
                line.put("ttl", request.getProperty(MessageConst.PROPERTY_MESSAGE_TTL));
                line.put("cluster", request.getProperty(MessageConst.PROPERTY_CLUSTER));
                long begin = System.currentTimeMillis();
                try {
                    byte[] body = ("pong:" + new String(request.getBody(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
                    Message reply = MessageUtil.createReplyMessage(request, body);
                    SendResult result = producer.send(reply);
                    line.put("event", "replied");
                    line.put("sendStatus", result.getSendStatus().name());
                    line.put("replyMsgId", result.getMsgId());
                    line.put("replyQueueOffset", result.getQueueOffset());
                } catch (Exception e) {
                    line.put("event", "reply-failed");
                    describe(line, "", e);
                    if (e.getCause() != null) {
                        describe(line, "cause", e.getCause());
                    }
                }
                line.put("replyMs", System.currentTimeMillis() - begin);
                System.out.println(Json.write(line));
                System.out.flush();
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        consumer.start();
        // start() only wakes the rebalance: wait until it gave this consumer the topic's queues.
        long deadline = System.currentTimeMillis() + 30_000;
        while (consumer.getDefaultMQPushConsumerImpl().getRebalanceImpl().getProcessQueueTable().isEmpty()
            && System.currentTimeMillis() < deadline) {
            TimeUnit.MILLISECONDS.sleep(20);
        }
        System.out.println("READY");
        System.out.flush();
        Thread.currentThread().join();
    }

    private static void describe(Map<String, Object> line, String prefix, Throwable e) {
        String p = prefix.isEmpty() ? "" : prefix + ".";
        line.put(p + "class", e.getClass().getSimpleName());
        if (e instanceof MQClientException) {
            line.put(p + "responseCode", ((MQClientException) e).getResponseCode());
            line.put(p + "errorMessage", ((MQClientException) e).getErrorMessage());
        } else if (e instanceof MQBrokerException) {
            line.put(p + "responseCode", ((MQBrokerException) e).getResponseCode());
            line.put(p + "errorMessage", ((MQBrokerException) e).getErrorMessage());
        } else {
            line.put(p + "errorMessage", e.getMessage());
        }
    }
}

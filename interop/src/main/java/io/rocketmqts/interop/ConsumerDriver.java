package io.rocketmqts.interop;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * A DefaultMQPushConsumer of the RocketMQ version under test: subscribes to a topic with "*" from the first
 * offset, prints "READY" once started, then one JSON line per message received (key, tags, body, user
 * properties, ids, queue and offset), and "DONE <n>" once it saw --expect distinct keys (exit 0), or
 * "TIMEOUT <n>" (exit 1).
 *
 * --namesrv ADDR --topic T --expect N [--group CG] [--timeout-ms 60000] [--serialize JSON|ROCKETMQ]
 */
public final class ConsumerDriver {
    private ConsumerDriver() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        args.applyRemotingDefaults();
        String topic = args.require("topic");
        int expect = Integer.parseInt(args.require("expect"));
        Set<String> seen = ConcurrentHashMap.newKeySet();
        CountDownLatch done = new CountDownLatch(1);
        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(args.get("group", "InteropCG"));
        consumer.setNamesrvAddr(args.require("namesrv"));
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.subscribe(topic, "*");
        consumer.registerMessageListener((MessageListenerConcurrently) (messages, context) -> {
            for (MessageExt msg : messages) {
                System.out.println(Json.write(describe(msg)));
                seen.add(msg.getKeys());
            }
            if (seen.size() >= expect) {
                done.countDown();
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        consumer.start();
        System.out.println("READY");
        boolean complete = done.await(args.getInt("timeout-ms", 60_000), TimeUnit.MILLISECONDS);
        System.out.println((complete ? "DONE " : "TIMEOUT ") + seen.size());
        System.out.flush();
        consumer.shutdown();
        System.exit(complete ? 0 : 1);
    }

    private static Map<String, Object> describe(MessageExt msg) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("topic", msg.getTopic());
        out.put("key", msg.getKeys());
        out.put("tags", msg.getTags());
        out.put("body", new String(msg.getBody(), StandardCharsets.UTF_8));
        out.put("kind", msg.getUserProperty("kind"));
        out.put("seq", msg.getUserProperty("seq"));
        out.put("note", msg.getUserProperty("note"));
        out.put("msgId", msg.getMsgId());
        out.put("queueId", msg.getQueueId());
        out.put("queueOffset", msg.getQueueOffset());
        out.put("sysFlag", msg.getSysFlag());
        out.put("reconsumeTimes", msg.getReconsumeTimes());
        return out;
    }
}

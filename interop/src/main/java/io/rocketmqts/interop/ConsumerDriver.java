package io.rocketmqts.interop;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.MessageSelector;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * A DefaultMQPushConsumer of the RocketMQ version under test: subscribes to a topic with "*" from the first
 * offset, prints "READY" once started, then one JSON line per message received (key, tags, body, user
 * properties, ids, queue and offset), and "DONE <n>" once it saw --expect distinct keys (exit 0), or
 * "TIMEOUT <n>" (exit 1).
 *
 * --await-assignment: "READY" only once the rebalance assigned a queue (within 30 s, else "UNASSIGNED", exit 4), for
 * tests that time deliveries from a send.
 *
 * --namesrv ADDR --topic T --expect N [--group CG] [--timeout-ms 60000] [--serialize JSON|ROCKETMQ] [--namespace NS]
 *
 * Retry and orderly tests add: --fail-times N (answer RECONSUME_LATER while a message's reconsumeTimes is below N),
 * --max-reconsume-times M (setMaxReconsumeTimes), --orderly (MessageListenerOrderly), --consume-sleep-ms S (hold
 * each message that long), --instance NAME (setInstanceName, so two processes are two clients). Every line then
 * also carries the consume timeline: client, thread, consumedAt and returnedAt (epoch ms).
 *
 * --trace: message trace on (enableMsgTrace, the default trace topic): SubBefore/SubAfter records around each call;
 * shutdown flushes them (add --settle-ms so that the last SubAfter is queued first).
 *
 * --pop: setClientRebalance(false) (5.x only): the broker assigns the queues (QUERY_ASSIGNMENT), and a group the
 * broker puts in POP mode pops (POP_MESSAGE, ACK_MESSAGE, CHANGE_MESSAGE_INVISIBLETIME) instead of pulling.
 *
 * --namespace NS: setNamespace(NS) (deprecated in 5.x, still honoured): the group and topic are wrapped as NS%name on
 * the wire, and the lines show topics without NS.
 * SQL92 tests add: --sql EXPR (subscribe with MessageSelector.bySql instead of "*"), --settle-ms S (wait that long
 * after the last expected message before DONE, so that an unexpected one would still be printed). A start() that
 * fails prints "START_FAILED <responseCode> <errorMessage>" and exits 3.
 */
public final class ConsumerDriver {
    private ConsumerDriver() {
    }

    @SuppressWarnings("deprecation") // setNamespace
    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        args.applyRemotingDefaults();
        String topic = args.require("topic");
        int expect = Integer.parseInt(args.require("expect"));
        Set<String> seen = ConcurrentHashMap.newKeySet();
        CountDownLatch done = new CountDownLatch(1);
        int failTimes = args.getInt("fail-times", 0);
        long sleepMs = args.getInt("consume-sleep-ms", 0);
        String instance = args.get("instance", "DEFAULT");
        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(args.get("group", "InteropCG"), args.has("trace"), null);
        consumer.setNamesrvAddr(args.require("namesrv"));
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.setInstanceName(instance);
        if (args.has("namespace")) {
            consumer.setNamespace(args.require("namespace"));
        }
        if (args.has("pop")) {
            VersionApi.disableClientRebalance(consumer);
        }
        if (args.has("max-reconsume-times")) {
            consumer.setMaxReconsumeTimes(args.getInt("max-reconsume-times", 16));
        }
        if (args.has("sql")) {
            consumer.subscribe(topic, MessageSelector.bySql(args.require("sql")));
        } else {
            consumer.subscribe(topic, "*");
        }
        if (args.has("orderly")) {
            consumer.registerMessageListener((MessageListenerOrderly) (messages, context) -> {
                for (MessageExt msg : messages) {
                    long consumedAt = System.currentTimeMillis();
                    sleep(sleepMs);
                    System.out.println(Json.write(timeline(describe(msg), instance, consumedAt)));
                    seen.add(msg.getKeys());
                }
                if (seen.size() >= expect) {
                    done.countDown();
                }
                return ConsumeOrderlyStatus.SUCCESS;
            });
        } else {
            consumer.registerMessageListener((MessageListenerConcurrently) (messages, context) -> {
                boolean fail = false;
                for (MessageExt msg : messages) {
                    long consumedAt = System.currentTimeMillis();
                    sleep(sleepMs);
                    fail |= msg.getReconsumeTimes() < failTimes;
                    System.out.println(Json.write(timeline(describe(msg), instance, consumedAt)));
                    seen.add(msg.getKeys());
                }
                if (seen.size() >= expect && !fail) {
                    done.countDown();
                }
                return fail ? ConsumeConcurrentlyStatus.RECONSUME_LATER : ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
            });
        }
        try {
            consumer.start();
        } catch (MQClientException e) {
            System.out.println("START_FAILED " + e.getResponseCode() + " " + e.getErrorMessage());
            System.out.flush();
            consumer.shutdown();
            System.exit(3);
        }
        if (args.has("await-assignment") && !awaitAssignment(consumer, 30_000)) {
            System.out.println("UNASSIGNED");
            System.out.flush();
            consumer.shutdown();
            System.exit(4);
        }
        System.out.println("READY");
        boolean complete = done.await(args.getInt("timeout-ms", 60_000), TimeUnit.MILLISECONDS);
        sleep(args.getInt("settle-ms", 0));
        System.out.println((complete ? "DONE " : "TIMEOUT ") + seen.size());
        System.out.flush();
        consumer.shutdown();
        System.exit(complete ? 0 : 1);
    }

    /**
     * Waits until the rebalance gave this consumer a queue (its pulls then run). start() rebalances at once only when
     * its own heartbeat takes the heartbeat lock: on a slow JVM the scheduled heartbeat (1 s after the client
     * starts) may hold it, and the first rebalance then waits for RebalanceService's 20 s tick.
     */
    private static boolean awaitAssignment(DefaultMQPushConsumer consumer, long timeoutMillis) {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (consumer.getDefaultMQPushConsumerImpl().getRebalanceImpl().getProcessQueueTable().isEmpty()) {
            if (System.currentTimeMillis() >= deadline) {
                return false;
            }
            sleep(20);
        }
        return true;
    }

    private static void sleep(long millis) {
        if (millis <= 0) {
            return;
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Map<String, Object> timeline(Map<String, Object> line, String instance, long consumedAt) {
        line.put("client", instance);
        line.put("thread", Thread.currentThread().getName());
        line.put("consumedAt", consumedAt);
        line.put("returnedAt", System.currentTimeMillis());
        return line;
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
        out.put("bornTimestamp", msg.getBornTimestamp());
        out.put("storeTimestamp", msg.getStoreTimestamp());
        out.put("properties", msg.getProperties());
        return out;
    }
}

package io.rocketmqts.interop;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.message.Message;
import java.nio.charset.StandardCharsets;

/**
 * A DefaultMQProducer of the RocketMQ version under test sending InteropMessages to a topic: --count sync sends,
 * --count async sends, --count oneway sends, one batch of --count, and one 8 KiB (compressed) message. Prints
 * one JSON line: every SendResult (status, msgId, offsetMsgId, queue, offset) and every error.
 *
 * --namesrv ADDR --topic T [--group PG] [--count 10] [--serialize JSON|ROCKETMQ]
 *
 * Other modes: --delay-level L sends --count sync messages at that delay level, nothing else; --orderly-queues Q
 * sends --count sync messages to each of queues 0..Q-1 in turn (keys "q<queue>-<seq>"), --interval-ms apart;
 * --linger-ms keeps the producer online that long after sending (for mqadmin producerConnection). Each result then
 * also carries sentAt (epoch ms).
 */
public final class ProducerDriver {
    private ProducerDriver() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        args.applyRemotingDefaults();
        String topic = args.require("topic");
        int count = args.getInt("count", 10);
        DefaultMQProducer producer = new DefaultMQProducer(args.get("group", "InteropPG"));
        producer.setNamesrvAddr(args.require("namesrv"));
        producer.setSendMsgTimeout(10_000);
        producer.setRetryTimesWhenSendFailed(0);
        producer.setRetryTimesWhenSendAsyncFailed(0);
        producer.start();
        List<Object> results = new ArrayList<>();
        List<Object> errors = new ArrayList<>();
        if (args.has("delay-level") || args.has("orderly-queues")) {
            try {
                sendSpecial(args, producer, topic, count, results);
            } catch (Exception e) {
                errors.add(e.toString());
            }
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("results", results);
            report.put("errors", errors);
            System.out.println(Json.write(report));
            System.out.println("SENT");
            System.out.flush();
            Thread.sleep(args.getInt("linger-ms", 0));
            producer.shutdown();
            System.exit(errors.isEmpty() ? 0 : 1);
        }
        try {
            for (int i = 0; i < count; i++) {
                results.add(describe("sync", InteropMessages.key("sync", i), producer.send(InteropMessages.build(topic, "sync", i))));
            }
            CountDownLatch asyncDone = new CountDownLatch(count);
            for (int i = 0; i < count; i++) {
                String key = InteropMessages.key("async", i);
                producer.send(InteropMessages.build(topic, "async", i), new SendCallback() {
                    @Override
                    public void onSuccess(SendResult sendResult) {
                        synchronized (results) {
                            results.add(describe("async", key, sendResult));
                        }
                        asyncDone.countDown();
                    }

                    @Override
                    public void onException(Throwable e) {
                        synchronized (errors) {
                            errors.add(key + ": " + e);
                        }
                        asyncDone.countDown();
                    }
                });
            }
            if (!asyncDone.await(30, TimeUnit.SECONDS)) {
                errors.add("async sends did not complete within 30 s");
            }
            for (int i = 0; i < count; i++) {
                producer.sendOneway(InteropMessages.build(topic, "oneway", i));
            }
            // Sync sends on the same connection after the oneway ones: when they are answered, the oneway frames were read.
            results.add(describe("batch", "batch", producer.send(InteropMessages.batch(topic, count))));
            results.add(describe("big", InteropMessages.key("big", 0), producer.send(InteropMessages.build(topic, "big", 0))));
        } catch (Exception e) {
            errors.add(e.toString());
        } finally {
            producer.shutdown();
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("results", results);
        report.put("errors", errors);
        System.out.println(Json.write(report));
        System.exit(errors.isEmpty() ? 0 : 1);
    }

    private static void sendSpecial(Args args, DefaultMQProducer producer, String topic, int count, List<Object> results) throws Exception {
        int intervalMs = args.getInt("interval-ms", 0);
        if (args.has("delay-level")) {
            int level = args.getInt("delay-level", 1);
            for (int i = 0; i < count; i++) {
                Message msg = InteropMessages.build(topic, "delay", i);
                msg.setDelayTimeLevel(level);
                long sentAt = System.currentTimeMillis();
                Map<String, Object> out = describe("delay", InteropMessages.key("delay", i), producer.send(msg));
                out.put("sentAt", sentAt);
                results.add(out);
                Thread.sleep(intervalMs);
            }
            return;
        }
        int queues = args.getInt("orderly-queues", 1);
        for (int i = 0; i < count; i++) {
            for (int q = 0; q < queues; q++) {
                String key = "q" + q + "-" + i;
                Message msg = new Message(topic, "TagOrder", key, ("seq " + i).getBytes(StandardCharsets.UTF_8));
                msg.putUserProperty("seq", String.valueOf(i));
                long sentAt = System.currentTimeMillis();
                SendResult result = producer.send(msg, (mqs, message, arg) -> mqs.get((Integer) arg % mqs.size()), q);
                Map<String, Object> out = describe("orderly", key, result);
                out.put("sentAt", sentAt);
                results.add(out);
            }
            Thread.sleep(intervalMs);
        }
    }

    private static Map<String, Object> describe(String kind, String key, SendResult result) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("kind", kind);
        out.put("key", key);
        out.put("status", result.getSendStatus().name());
        out.put("msgId", result.getMsgId());
        out.put("offsetMsgId", result.getOffsetMsgId());
        out.put("brokerName", result.getMessageQueue().getBrokerName());
        out.put("queueId", result.getMessageQueue().getQueueId());
        out.put("queueOffset", result.getQueueOffset());
        out.put("regionId", result.getRegionId());
        return out;
    }
}

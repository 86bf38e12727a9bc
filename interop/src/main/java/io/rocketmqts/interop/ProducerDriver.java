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

/**
 * A DefaultMQProducer of the RocketMQ version under test sending InteropMessages to a topic: --count sync sends,
 * --count async sends, --count oneway sends, one batch of --count, and one 8 KiB (compressed) message. Prints
 * one JSON line: every SendResult (status, msgId, offsetMsgId, queue, offset) and every error.
 *
 * --namesrv ADDR --topic T [--group PG] [--count 10] [--serialize JSON|ROCKETMQ]
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

    private static Map<String, Object> describe(String kind, String key, SendResult result) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("kind", kind);
        out.put("key", key);
        out.put("status", result.getSendStatus().name());
        out.put("msgId", result.getMsgId());
        out.put("offsetMsgId", result.getOffsetMsgId());
        out.put("queueId", result.getMessageQueue().getQueueId());
        out.put("queueOffset", result.getQueueOffset());
        out.put("regionId", result.getRegionId());
        return out;
    }
}

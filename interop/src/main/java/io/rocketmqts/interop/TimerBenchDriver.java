package io.rocketmqts.interop;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * The driver of {@code npm run bench:timer} (bench/timer.ts): one JVM with the RocketMQ client under test that sends
 * timer messages and consumes them, measuring how late each arrives. The same driver runs against both brokers.
 *
 * --namesrv ADDR --topic T --queues Q --messages N [--rate R] [--min-delay-ms A] [--max-delay-ms B] [--size S]
 * [--threads T] [--inflight K] [--consume-threads C] [--precision-ms P] [--settle-ms W] [--warmup-messages M]
 * [--warmup-ms D] [--group CG] [--serialize JSON|ROCKETMQ]
 *
 * 1. Starts a DefaultMQProducer and a DefaultMQPushConsumer (separate client instances, so separate connections;
 *    CONSUME_FROM_FIRST_OFFSET, C consume threads), waits until the consumer owns all Q queues, sends M ordinary
 *    messages and waits until they are consumed (routes, connections and pull loops are up); then, for D ms, sends
 *    timer messages as below but due 1 to 5 s after their send, and waits until they are all consumed (the JIT
 *    warm-up of both brokers' timer paths and of this client); prints WARMUP {json} and READY.
 * 2. One second later, T threads send messages 0..N-1, each taking the next index i from a shared counter and
 *    waiting for its time, start + i / R (R = 0: no pacing); asynchronous sends, at most K unanswered, no retries.
 *    Message i's deliver time is the time of its send plus a uniform draw from [A, B] ms, set as TIMER_DELIVER_MS
 *    (what 5.x's Message.setDeliverTimeMs sets; through the property map, which 4.9's client also has); its S-byte
 *    body begins with i and that deliver time.
 * 3. The consumer keeps, per message, the first arrival (System.currentTimeMillis() when the listener gets it) and
 *    the delivered copy's storeTimestamp (the broker's put of the delivery); a later arrival is a duplicate.
 * 4. Prints STATS {json} every second. Once every send is answered and every acknowledged message has arrived, or W
 *    ms after the last deliver time, prints RESULT {json} (lateness = arrival - deliver time, and the rest, see
 *    result(); cpu_ms: this process's CPU time from READY on) and exits 0.
 */
public final class TimerBenchDriver {
    private static final int HEADER_BYTES = 16;
    private static final byte ACKED = 1;
    private static final byte FAILED = 2;

    private final int messages;
    private final int precisionMs;
    private final long minDelayMs;
    private final long maxDelayMs;
    private final AtomicLongArray deliverMs;
    private final AtomicLongArray arrivedMs;
    private final AtomicLongArray storedMs;
    /** Per message: ACKED or FAILED once its send is answered. */
    private final byte[] sendState;
    /** Per message: send to answer, microseconds. */
    private final int[] rtMicros;
    private final AtomicLong issued = new AtomicLong();
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong early = new AtomicLong();
    private final AtomicLong warmupReceived = new AtomicLong();
    private final AtomicLong warmupAcked = new AtomicLong();
    private final AtomicLong warmupFailed = new AtomicLong();
    private final AtomicLong warmupLastDeliverMs = new AtomicLong();
    private final AtomicLong lastDeliverMs = new AtomicLong();
    private final AtomicLong firstSendMs = new AtomicLong();
    private final AtomicLong lastAnswerMs = new AtomicLong();
    private final List<String> failureSamples = new ArrayList<>();
    private final AtomicInteger failureSampleCount = new AtomicInteger();

    private TimerBenchDriver(int messages, int precisionMs, long minDelayMs, long maxDelayMs) {
        this.messages = messages;
        this.precisionMs = precisionMs;
        this.minDelayMs = minDelayMs;
        this.maxDelayMs = maxDelayMs;
        this.deliverMs = new AtomicLongArray(messages);
        this.arrivedMs = new AtomicLongArray(messages);
        this.storedMs = new AtomicLongArray(messages);
        this.sendState = new byte[messages];
        this.rtMicros = new int[messages];
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        args.applyRemotingDefaults();
        String namesrv = args.require("namesrv");
        String topic = args.require("topic");
        int queues = args.getInt("queues", 8);
        int messages = Integer.parseInt(args.require("messages"));
        double rate = Double.parseDouble(args.get("rate", "0"));
        int size = Math.max(HEADER_BYTES, args.getInt("size", 1024));
        int threads = args.getInt("threads", 16);
        int inflight = args.getInt("inflight", 1024);
        long settleMs = args.getInt("settle-ms", 30_000);
        int warmup = args.getInt("warmup-messages", 1000);
        TimerBenchDriver driver = new TimerBenchDriver(messages, args.getInt("precision-ms", 1000),
            args.getInt("min-delay-ms", 1000), args.getInt("max-delay-ms", 120_000));

        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(args.get("group", "timer_bench_consumer"));
        consumer.setNamesrvAddr(namesrv);
        consumer.setInstanceName("timer-bench-consumer");
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        int consumeThreads = args.getInt("consume-threads", 20);
        consumer.setConsumeThreadMin(consumeThreads);
        consumer.setConsumeThreadMax(consumeThreads);
        consumer.subscribe(topic, "*");
        consumer.registerMessageListener((MessageListenerConcurrently) (batch, context) -> {
            long now = System.currentTimeMillis();
            for (MessageExt msg : batch) {
                driver.arrived(msg, now);
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        consumer.start();

        DefaultMQProducer producer = new DefaultMQProducer("timer_bench_producer");
        producer.setNamesrvAddr(namesrv);
        producer.setInstanceName("timer-bench-producer");
        producer.setSendMsgTimeout(10_000);
        producer.setRetryTimesWhenSendFailed(0);
        producer.setRetryTimesWhenSendAsyncFailed(0);
        producer.setCompressMsgBodyOverHowmuch(Integer.MAX_VALUE);
        producer.start();

        awaitQueues(consumer, queues);
        for (int i = 0; i < warmup; i++) {
            ByteBuffer body = ByteBuffer.allocate(size);
            body.putLong(-1L);
            producer.send(new Message(topic, body.array()));
        }
        long deadline = System.currentTimeMillis() + 60_000;
        while (driver.warmupReceived.get() < warmup) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("warm-up: " + driver.warmupReceived.get() + " of " + warmup + " consumed in 60 s");
            }
            Thread.sleep(20);
        }
        long warmupMs = args.getInt("warmup-ms", 0);
        if (warmupMs > 0) {
            long began = System.currentTimeMillis();
            int sent = paced(Integer.MAX_VALUE, warmupMs * 1_000_000, rate, threads, inflight,
                (i, done) -> driver.sendWarmup(producer, topic, size, done));
            long expected = warmup + driver.warmupAcked.get();
            while (driver.warmupReceived.get() < expected && System.currentTimeMillis() < driver.warmupLastDeliverMs.get() + settleMs) {
                Thread.sleep(20);
            }
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("ms", System.currentTimeMillis() - began);
            line.put("sent", sent);
            line.put("acked", driver.warmupAcked.get());
            line.put("failed", driver.warmupFailed.get());
            line.put("received", driver.warmupReceived.get() - warmup);
            System.out.println("WARMUP " + Json.write(line));
        }
        com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        System.out.println("READY");
        System.out.flush();
        Thread.sleep(1000);

        Thread reporter = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                System.out.println("STATS " + Json.write(driver.stats()));
                System.out.flush();
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "timer-bench-stats");
        reporter.setDaemon(true);
        reporter.start();

        driver.firstSendMs.set(System.currentTimeMillis());
        paced(messages, Long.MAX_VALUE, rate, threads, inflight, (i, done) -> driver.sendOne(producer, topic, size, i, done));
        // Every send answered; now the deliveries.
        while (driver.received.get() < driver.acked.get() && System.currentTimeMillis() < driver.lastDeliverMs.get() + settleMs) {
            Thread.sleep(50);
        }
        reporter.interrupt();
        Map<String, Object> result = driver.result(rate, size, threads, inflight);
        result.put("cpu_ms", (os.getProcessCpuTime() - cpu0) / 1_000_000);
        System.out.println("STATS " + Json.write(driver.stats()));
        System.out.println("RESULT " + Json.write(result));
        System.out.flush();
        producer.shutdown();
        consumer.shutdown();
        System.exit(0);
    }

    private static void awaitQueues(DefaultMQPushConsumer consumer, int queues) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (consumer.getDefaultMQPushConsumerImpl().getRebalanceImpl().getProcessQueueTable().size() < queues) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("the consumer was not assigned " + queues + " queues within 60 s");
            }
            Thread.sleep(20);
        }
    }

    /** Sends message i; calls done once it is answered, whatever the answer. */
    private interface Sender {
        void send(int i, Runnable done);
    }

    /**
     * Messages 0, 1, ... up to count - 1 and for durationNanos at most, from `threads` threads, each taking the next
     * index from a shared counter and waiting until start + i / rate (rate 0: not paced), with at most `inflight`
     * unanswered; returns once every send is answered, with the number sent.
     */
    private static int paced(int count, long durationNanos, double rate, int threads, int inflight, Sender sender) throws InterruptedException {
        Semaphore permits = new Semaphore(inflight);
        AtomicInteger next = new AtomicInteger();
        AtomicInteger sent = new AtomicInteger();
        long startNanos = System.nanoTime();
        List<Thread> senders = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread thread = new Thread(() -> {
                for (int i = next.getAndIncrement(); i >= 0 && i < count; i = next.getAndIncrement()) {
                    if (rate > 0) {
                        long at = startNanos + (long) (i * 1e9 / rate);
                        if (at - startNanos >= durationNanos) {
                            return;
                        }
                        for (long wait = at - System.nanoTime(); wait > 0; wait = at - System.nanoTime()) {
                            LockSupport.parkNanos(wait);
                        }
                    }
                    if (System.nanoTime() - startNanos >= durationNanos) {
                        return;
                    }
                    permits.acquireUninterruptibly();
                    sent.incrementAndGet();
                    sender.send(i, permits::release);
                }
            }, "timer-bench-sender-" + t);
            thread.start();
            senders.add(thread);
        }
        for (Thread thread : senders) {
            thread.join();
        }
        permits.acquire(inflight); // every send answered
        return sent.get();
    }

    /** A warm-up timer message: due 1 to 5 s after its send, seq -1 (not counted in the results). */
    private void sendWarmup(DefaultMQProducer producer, String topic, int size, Runnable done) {
        long deliver = System.currentTimeMillis() + 1000 + ThreadLocalRandom.current().nextLong(4001);
        warmupLastDeliverMs.accumulateAndGet(deliver, Math::max);
        ByteBuffer body = ByteBuffer.allocate(size);
        body.putLong(-1L).putLong(deliver);
        Message msg = new Message(topic, body.array());
        msg.getProperties().put("TIMER_DELIVER_MS", String.valueOf(deliver));
        try {
            producer.send(msg, new SendCallback() {
                @Override
                public void onSuccess(SendResult result) {
                    (result.getSendStatus() == SendStatus.SEND_OK ? warmupAcked : warmupFailed).incrementAndGet();
                    done.run();
                }

                @Override
                public void onException(Throwable e) {
                    warmupFailed.incrementAndGet();
                    done.run();
                }
            });
        } catch (Exception e) {
            warmupFailed.incrementAndGet();
            done.run();
        }
    }

    private void sendOne(DefaultMQProducer producer, String topic, int size, int seq, Runnable done) {
        long now = System.currentTimeMillis();
        long deliver = now + minDelayMs + (maxDelayMs > minDelayMs ? ThreadLocalRandom.current().nextLong(maxDelayMs - minDelayMs + 1) : 0);
        deliverMs.set(seq, deliver);
        lastDeliverMs.accumulateAndGet(deliver, Math::max);
        ByteBuffer body = ByteBuffer.allocate(size);
        body.putLong(seq).putLong(deliver);
        Message msg = new Message(topic, body.array());
        msg.getProperties().put("TIMER_DELIVER_MS", String.valueOf(deliver));
        long begin = System.nanoTime();
        issued.incrementAndGet();
        try {
            producer.send(msg, new SendCallback() {
                @Override
                public void onSuccess(SendResult result) {
                    answered(seq, begin, result.getSendStatus() == SendStatus.SEND_OK ? null : String.valueOf(result.getSendStatus()));
                    done.run();
                }

                @Override
                public void onException(Throwable e) {
                    answered(seq, begin, String.valueOf(e));
                    done.run();
                }
            });
        } catch (Exception e) {
            answered(seq, begin, String.valueOf(e));
            done.run();
        }
    }

    private void answered(int seq, long beginNanos, String failure) {
        rtMicros[seq] = (int) Math.min(Integer.MAX_VALUE, (System.nanoTime() - beginNanos) / 1000);
        sendState[seq] = failure == null ? ACKED : FAILED;
        lastAnswerMs.accumulateAndGet(System.currentTimeMillis(), Math::max);
        if (failure == null) {
            acked.incrementAndGet();
            return;
        }
        failed.incrementAndGet();
        if (failureSampleCount.getAndIncrement() < 5) {
            synchronized (failureSamples) {
                failureSamples.add(failure.length() > 300 ? failure.substring(0, 300) : failure);
            }
        }
    }

    private void arrived(MessageExt msg, long now) {
        ByteBuffer body = ByteBuffer.wrap(msg.getBody());
        long seq = body.getLong();
        if (seq < 0) {
            warmupReceived.incrementAndGet();
            return;
        }
        if (seq >= messages) {
            return;
        }
        int i = (int) seq;
        if (!arrivedMs.compareAndSet(i, 0, now)) {
            duplicates.incrementAndGet();
            return;
        }
        storedMs.set(i, msg.getStoreTimestamp());
        if (now < body.getLong()) {
            early.incrementAndGet();
        }
        received.incrementAndGet();
    }

    private Map<String, Object> stats() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("t", System.currentTimeMillis());
        out.put("issued", issued.get());
        out.put("acked", acked.get());
        out.put("failed", failed.get());
        out.put("received", received.get());
        out.put("duplicates", duplicates.get());
        out.put("early", early.get());
        return out;
    }

    private Map<String, Object> result(double rate, int size, int threads, int inflight) {
        long ackedCount = 0;
        long missing = 0;
        long arrivedUnacked = 0;
        long storeEarly = 0;
        long[] late = new long[messages];
        long[] storeLate = new long[messages];
        long[] slotLate = new long[messages];
        long[] storeSlotLate = new long[messages];
        long[] rts = new long[messages];
        int n = 0;
        int sent = 0;
        long t0 = firstSendMs.get();
        // Lateness per 10 s of deliver time since the first send: falling behind shows as a rising p99.
        Map<Long, List<Long>> byBucket = new TreeMap<>();
        for (int i = 0; i < messages; i++) {
            if (sendState[i] != 0) {
                rts[sent++] = rtMicros[i];
            }
            boolean isAcked = sendState[i] == ACKED;
            long arrived = arrivedMs.get(i);
            if (isAcked) {
                ackedCount++;
            }
            if (arrived == 0) {
                if (isAcked) {
                    missing++;
                }
                continue;
            }
            if (!isAcked) {
                arrivedUnacked++;
            }
            long deliver = deliverMs.get(i);
            late[n] = arrived - deliver;
            storeLate[n] = storedMs.get(i) - deliver;
            if (storeLate[n] < 0) {
                storeEarly++;
            }
            // A broker of precision P fires the slot of a deliver time at the next multiple of P (or at the time itself
            // when it is one): what comes after that is the broker's and the consumer's own delay.
            long slotEnd = (deliver + precisionMs - 1) / precisionMs * precisionMs;
            slotLate[n] = arrived - slotEnd;
            storeSlotLate[n] = storedMs.get(i) - slotEnd;
            byBucket.computeIfAbsent((deliver - t0) / 10_000, k -> new ArrayList<>()).add(late[n]);
            n++;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("messages", messages);
        out.put("rate", rate);
        out.put("size", size);
        out.put("threads", threads);
        out.put("inflight", inflight);
        out.put("min_delay_ms", minDelayMs);
        out.put("max_delay_ms", maxDelayMs);
        out.put("precision_ms", precisionMs);
        out.put("first_send_ms", t0);
        out.put("last_answer_ms", lastAnswerMs.get());
        out.put("last_deliver_ms", lastDeliverMs.get());
        out.put("issued", issued.get());
        out.put("acked", ackedCount);
        out.put("failed", failed.get());
        out.put("failure_samples", failureSamples);
        out.put("send_rt_us", summary(Arrays.copyOf(rts, sent)));
        out.put("received", (long) n);
        out.put("duplicates", duplicates.get());
        out.put("missing", missing);
        out.put("arrived_unacked", arrivedUnacked);
        out.put("early", early.get());
        out.put("store_early", storeEarly);
        out.put("lateness_ms", summary(Arrays.copyOf(late, n)));
        out.put("store_lateness_ms", summary(Arrays.copyOf(storeLate, n)));
        out.put("slot_lateness_ms", summary(Arrays.copyOf(slotLate, n)));
        out.put("store_slot_lateness_ms", summary(Arrays.copyOf(storeSlotLate, n)));
        List<Object> timeline = new ArrayList<>();
        byBucket.entrySet().forEach(entry -> {
            Map<String, Object> bucket = summary(entry.getValue().stream().mapToLong(Long::longValue).toArray());
            bucket.put("from_s", entry.getKey() * 10);
            timeline.add(bucket);
        });
        out.put("lateness_by_deliver_10s", timeline);
        return out;
    }

    /** count, mean, min, p50, p90, p99, p99.9, max of the values (nearest rank), or count 0. */
    private static Map<String, Object> summary(long[] values) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("count", values.length);
        if (values.length == 0) {
            return out;
        }
        Arrays.sort(values);
        double sum = 0;
        for (long v : values) {
            sum += v;
        }
        out.put("mean", Math.round(sum / values.length * 10) / 10.0);
        out.put("min", values[0]);
        out.put("p50", rank(values, 0.50));
        out.put("p90", rank(values, 0.90));
        out.put("p99", rank(values, 0.99));
        out.put("p999", rank(values, 0.999));
        out.put("max", values[values.length - 1]);
        return out;
    }

    private static long rank(long[] sorted, double q) {
        int r = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, r))];
    }
}

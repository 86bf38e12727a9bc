package io.rocketmqts.interop;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.rocketmq.client.apis.ClientConfiguration;
import org.apache.rocketmq.client.apis.ClientServiceProvider;
import org.apache.rocketmq.client.apis.consumer.ConsumeResult;
import org.apache.rocketmq.client.apis.consumer.FilterExpression;
import org.apache.rocketmq.client.apis.consumer.PushConsumer;
import org.apache.rocketmq.client.apis.consumer.SimpleConsumer;
import org.apache.rocketmq.client.apis.message.Message;
import org.apache.rocketmq.client.apis.message.MessageView;
import org.apache.rocketmq.client.apis.producer.Producer;

/**
 * The Java 5.x SDK (rocketmq-client-java 5.2.0) as the load of {@code npm run bench:grpc --sdk java}
 * (bench/grpc-java-sdk.ts): the same three phases as the bench's Node SDK path, in one JVM for a whole target, the
 * bench keeping the clock. Plaintext gRPC, as the Node path.
 *
 * <pre>
 * GrpcSdkBench --endpoints 127.0.0.1:8081 --topic T [--size 1024] [--inflight 16]
 * </pre>
 *
 * Prints {@code READY}, then reads one command a line on stdin and answers each with {@code BENCH <seq> <json>}
 * ({@code {"ok":true,...}} or {@code {"ok":false,"error":"..."}}):
 * <ul>
 * <li>{@code <seq> start send|simple|push}: starts the phase's clients and load, answers once they are started.
 *     send: a Producer with --inflight sendAsync outstanding (a semaphore); simple: a SimpleConsumer (receive 16 with
 *     a 15 s invisible time, ack each, max(1, inflight / 16) + 1 threads, 1 s await duration); push: a PushConsumer
 *     acking every message. Both consumers run while a second producer (the feeder) keeps --inflight sends outstanding;
 *     the feeder starts with the first consumer phase and stops with push's.</li>
 * <li>{@code <seq> open}: counting starts (no answer line is needed, one is printed all the same).</li>
 * <li>{@code <seq> close}: counting stops; answers count, p50_us and p99_us (send: sendAsync to its completion;
 *     consumers: receipt minus the message's born time) and errors (failed calls over the whole phase, warm-up
 *     included) with the first error's text.</li>
 * <li>{@code <seq> stop}: stops the phase's load and closes its clients.</li>
 * </ul>
 * Exits when stdin ends. Latency percentiles are computed as bench/latency.ts's LatencyReservoir computes them.
 */
public final class GrpcSdkBench {
    private static final int BATCH = 16;
    private static final Duration INVISIBLE = Duration.ofSeconds(15);
    private static final Duration AWAIT = Duration.ofSeconds(1);
    /** After a failed call a loop waits this long, so a refusing server is not asked in a tight loop. */
    private static final long ERROR_PAUSE_MILLIS = 100;

    private final ClientServiceProvider provider = ClientServiceProvider.loadService();
    private final ClientConfiguration configuration;
    private final String topic;
    private final Message message;
    private final int inflight;

    /** The current phase's window (read by the SDK's callback threads). */
    private volatile Window window = new Window();
    private Phase current;
    private Sender feeder;

    private GrpcSdkBench(Args args) {
        this.configuration = ClientConfiguration.newBuilder().setEndpoints(args.require("endpoints")).enableSsl(false)
            .build();
        this.topic = args.require("topic");
        byte[] body = new byte[args.getInt("size", 1024)];
        Arrays.fill(body, (byte) 'x');
        this.message = provider.newMessageBuilder().setTopic(topic).setBody(body).build();
        this.inflight = args.getInt("inflight", 16);
    }

    public static void main(String[] argv) throws Exception {
        GrpcSdkBench bench = new GrpcSdkBench(new Args(argv));
        System.out.println("READY");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            String[] words = line.trim().split(" ");
            if (words.length < 2) {
                continue;
            }
            Map<String, Object> reply = new LinkedHashMap<>();
            try {
                reply.put("ok", true);
                reply.putAll(bench.command(words[1], words.length > 2 ? words[2] : ""));
            } catch (Throwable t) {
                reply.clear();
                reply.put("ok", false);
                reply.put("error", describe(t));
            }
            System.out.println("BENCH " + words[0] + " " + Json.write(reply));
            System.out.flush();
        }
        bench.stopPhase();
        bench.stopFeeder();
        System.exit(0);
    }

    private Map<String, Object> command(String verb, String argument) throws Exception {
        switch (verb) {
            case "start":
                startPhase(argument);
                return Map.of("phase", argument);
            case "open":
                window.open();
                return Map.of();
            case "close":
                return window.close();
            case "stop":
                stopPhase();
                if ("push".equals(argument)) {
                    stopFeeder();
                }
                return Map.of();
            default:
                throw new IllegalArgumentException("unknown command " + verb);
        }
    }

    /** The error's class and message; a future's wrapper gives way to what failed. */
    private static String describe(Throwable t) {
        Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Phases

    /** A running phase's load. */
    private interface Phase {
        void stop() throws Exception;
    }

    private void startPhase(String name) throws Exception {
        if (current != null) {
            throw new IllegalStateException("a phase is running");
        }
        window = new Window();
        switch (name) {
            case "send": {
                Producer producer = producer();
                Sender sender = new Sender(producer, window);
                current = () -> {
                    sender.stop();
                    producer.close();
                };
                break;
            }
            case "simple":
                startFeeder();
                current = simple();
                break;
            case "push":
                startFeeder();
                current = push();
                break;
            default:
                throw new IllegalArgumentException("unknown phase " + name);
        }
    }

    private void stopPhase() throws Exception {
        Phase phase = current;
        current = null;
        if (phase != null) {
            phase.stop();
        }
    }

    private Producer producer() throws Exception {
        return provider.newProducerBuilder().setClientConfiguration(configuration).setTopics(topic).build();
    }

    private void startFeeder() throws Exception {
        if (feeder == null) {
            feeder = new Sender(producer(), null);
        }
    }

    private void stopFeeder() throws Exception {
        Sender f = feeder;
        feeder = null;
        if (f != null) {
            f.stop();
            f.producer.close();
        }
    }

    private Phase simple() throws Exception {
        SimpleConsumer consumer = provider.newSimpleConsumerBuilder().setClientConfiguration(configuration)
            .setConsumerGroup("BenchGrpcSimple").setSubscriptionExpressions(Map.of(topic, FilterExpression.SUB_ALL))
            .setAwaitDuration(AWAIT).build();
        Window counted = window;
        List<Thread> threads = new ArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        for (int i = 0; i < Math.max(1, inflight / BATCH) + 1; i++) {
            Thread thread = new Thread(() -> {
                while (running.get()) {
                    try {
                        for (MessageView m : consumer.receive(BATCH, INVISIBLE)) {
                            consumer.ack(m);
                            counted.record((System.currentTimeMillis() - m.getBornTimestamp()) * 1_000_000L);
                        }
                    } catch (Exception e) {
                        counted.failed(e);
                        pause();
                    }
                }
            }, "bench-simple-" + i);
            thread.start();
            threads.add(thread);
        }
        return () -> {
            running.set(false);
            for (Thread thread : threads) {
                thread.join(30_000);
            }
            consumer.close();
        };
    }

    private Phase push() throws Exception {
        Window counted = window;
        PushConsumer consumer = provider.newPushConsumerBuilder().setClientConfiguration(configuration)
            .setConsumerGroup("BenchGrpcPush").setSubscriptionExpressions(Map.of(topic, FilterExpression.SUB_ALL))
            .setMessageListener(m -> {
                counted.record((System.currentTimeMillis() - m.getBornTimestamp()) * 1_000_000L);
                return ConsumeResult.SUCCESS;
            }).build();
        return consumer::close;
    }

    private static void pause() {
        try {
            Thread.sleep(ERROR_PAUSE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A thread keeping {@code inflight} sendAsync calls outstanding; their latency counted into {@code counted} unless null. */
    private final class Sender {
        private final Producer producer;
        private final Semaphore permits = new Semaphore(inflight);
        private final Thread thread;
        private volatile boolean running = true;
        /** Set by a failed send: the thread pauses before the next one. */
        private volatile boolean lastFailed;

        Sender(Producer producer, Window counted) {
            this.producer = producer;
            this.thread = new Thread(() -> {
                while (running) {
                    if (lastFailed) {
                        lastFailed = false;
                        pause();
                    }
                    try {
                        if (!permits.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                            continue;
                        }
                    } catch (InterruptedException e) {
                        return;
                    }
                    long start = System.nanoTime();
                    producer.sendAsync(message).whenComplete((receipt, error) -> {
                        if (error != null) {
                            // The feeder's failures too: they starve the consumer phase being measured.
                            window.failed(error);
                            lastFailed = true;
                        } else if (counted != null) {
                            counted.record(System.nanoTime() - start);
                        }
                        permits.release();
                    });
                }
            }, counted == null ? "bench-feeder" : "bench-sender");
            thread.start();
        }

        /** Stops sending and waits (30 s at most) for the sends outstanding. */
        void stop() throws InterruptedException {
            running = false;
            thread.join(30_000);
            permits.tryAcquire(inflight, 30, TimeUnit.SECONDS);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The measured window

    /**
     * What a phase's window counted: messages and a latency reservoir (Algorithm R, 2^18 samples, as
     * bench/latency.ts), and the phase's failed calls.
     */
    private static final class Window {
        private static final int CAPACITY = 1 << 18;
        private final double[] samples = new double[CAPACITY];
        private long seen;
        private boolean counting;
        private final AtomicLong errors = new AtomicLong();
        private final AtomicReference<String> firstError = new AtomicReference<>();

        synchronized void open() {
            counting = true;
        }

        /** A message (or send) with its latency in nanoseconds, counted when the window is open. */
        synchronized void record(long nanos) {
            if (!counting) {
                return;
            }
            long n = seen++;
            if (n < CAPACITY) {
                samples[(int) n] = nanos;
                return;
            }
            long slot = ThreadLocalRandom.current().nextLong(n + 1);
            if (slot < CAPACITY) {
                samples[(int) slot] = nanos;
            }
        }

        void failed(Throwable error) {
            errors.incrementAndGet();
            firstError.compareAndSet(null, describe(error));
        }

        synchronized Map<String, Object> close() {
            counting = false;
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("count", seen);
            int kept = (int) Math.min(seen, CAPACITY);
            double[] sorted = Arrays.copyOf(samples, kept);
            Arrays.sort(sorted);
            figures.put("p50_us", percentileMicros(sorted, 50));
            figures.put("p99_us", percentileMicros(sorted, 99));
            figures.put("errors", errors.get());
            figures.put("first_error", firstError.get());
            return figures;
        }

        /** Nearest rank, in microseconds with one decimal (LatencyReservoir.percentilesMicros); null when empty. */
        private static Double percentileMicros(double[] sorted, double p) {
            if (sorted.length == 0) {
                return null;
            }
            int rank = (int) Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1));
            return Math.round(sorted[rank] / 100) / 10.0;
        }
    }
}

package io.rocketmqts.interop;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.rocketmq.remoting.netty.NettyClientConfig;
import org.apache.rocketmq.remoting.netty.NettyRemotingClient;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;

/**
 * Java's NettyRemotingClient driving a server that implements {@link PeerCodes} (RemotingPeerServer or the TS server).
 *
 * <pre>
 * RemotingPeerClient --scenario NAME --addr host:port [--serialize JSON|ROCKETMQ] [--tls]
 * RemotingPeerClient --scenarios NAME,NAME,... --addr host:port [--serialize JSON|ROCKETMQ] [--tls]
 * RemotingPeerClient --bench --addr host:port --mode sync|async|oneway [--inflight N] [--body-size B]
 *                    [--serialize T] [--seconds S] [--warmup-seconds W] [--tls]
 * </pre>
 *
 * Both print one JSON line on stdout and exit 0 (--scenarios: one line per scenario, in order, on one connection);
 * a scenario's failures are reported inside that line. Scenarios:
 * echo-sizes, unicode, unknown-code, throw, reject, oneway, async-many, timeout, callback.
 */
public final class RemotingPeerClient {
    private static final long TIMEOUT_MS = 10_000;

    private final NettyRemotingClient client;
    private final String addr;

    private RemotingPeerClient(NettyRemotingClient client, String addr) {
        this.client = client;
        this.addr = addr;
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        args.applyRemotingDefaults();
        NettyClientConfig config = new NettyClientConfig();
        config.setUseTLS(args.has("tls"));
        if (args.has("bench") && onewayWindow(benchPlan(args)) > 0) {
            // The benchmark's oneway window: at most N oneway requests not yet written (see bench below).
            config.setClientOnewaySemaphoreValue(onewayWindow(benchPlan(args)));
        }
        NettyRemotingClient client = new NettyRemotingClient(config);
        RemotingPeerClient peer = new RemotingPeerClient(client, args.require("addr"));
        Map<String, Object> report;
        try {
            if (args.has("scenarios")) {
                // Several scenarios in one JVM: one JSON line each, printed as soon as it is done. A scenario that
                // throws reports {"exception": "Class: message"} and the next one still runs.
                client.registerProcessor(PeerCodes.CALLBACK_TO_CLIENT,
                    RemotingPeerServer.processor((ctx, request) -> RemotingPeerServer.echo(request)),
                    Executors.newSingleThreadExecutor());
                client.start();
                for (String name : args.require("scenarios").split(",")) {
                    Map<String, Object> line = new LinkedHashMap<>();
                    line.put("scenario", name);
                    line.put("serialize", args.get("serialize", "JSON"));
                    try {
                        line.putAll(peer.scenario(name));
                    } catch (Exception e) {
                        line.put("exception", e.getClass().getSimpleName() + ": " + e.getMessage());
                    }
                    System.out.println(Json.write(line));
                    System.out.flush();
                }
                report = null;
            } else if (args.has("scenario")) {
                // Server-to-client requests (the callback scenario) need the processor before the first connection.
                client.registerProcessor(PeerCodes.CALLBACK_TO_CLIENT,
                    RemotingPeerServer.processor((ctx, request) -> RemotingPeerServer.echo(request)),
                    Executors.newSingleThreadExecutor());
                client.start();
                report = new LinkedHashMap<>();
                report.put("scenario", args.require("scenario"));
                report.put("serialize", args.get("serialize", "JSON"));
                report.putAll(peer.scenario(args.require("scenario")));
            } else if (args.has("bench")) {
                client.start();
                report = peer.bench(args);
            } else {
                throw new IllegalArgumentException("need --scenario NAME or --bench");
            }
        } finally {
            client.shutdown();
        }
        if (report != null) {
            System.out.println(Json.write(report));
        }
        System.out.flush();
        System.exit(0);
    }

    private Map<String, Object> scenario(String name) throws Exception {
        switch (name) {
            case "echo-sizes":
                return echoSizes();
            case "unicode":
                return unicode();
            case "unknown-code":
                return single(RemotingCommand.createRequestCommand(PeerCodes.UNKNOWN, null));
            case "throw":
                return single(RemotingCommand.createRequestCommand(PeerCodes.THROW, null));
            case "reject":
                return single(RemotingCommand.createRequestCommand(PeerCodes.REJECT, null));
            case "oneway":
                return oneway();
            case "async-many":
                return asyncMany();
            case "timeout":
                return timeout();
            case "callback":
                return callback();
            default:
                throw new IllegalArgumentException("unknown scenario " + name);
        }
    }

    /** Sends one request and reports what came back, or the exception's class name. */
    private Map<String, Object> single(RemotingCommand request) {
        Map<String, Object> out = new LinkedHashMap<>();
        try {
            describeResponse(out, client.invokeSync(addr, request, TIMEOUT_MS));
        } catch (Exception e) {
            out.put("error", e.getClass().getSimpleName());
        }
        return out;
    }

    private static void describeResponse(Map<String, Object> out, RemotingCommand response) {
        out.put("code", response.getCode());
        out.put("remark", response.getRemark());
        out.put("flag", response.getFlag());
        out.put("language", String.valueOf(response.getLanguage()));
        out.put("version", response.getVersion());
        out.put("serializeType", String.valueOf(response.getSerializeTypeCurrentRPC()));
        out.put("extFields", response.getExtFields() == null ? null : new TreeMap<>(response.getExtFields()));
        byte[] body = response.getBody();
        out.put("bodyLength", body == null ? 0 : body.length);
    }

    private Map<String, Object> echoSizes() throws Exception {
        Random random = new Random(42);
        List<Object> results = new ArrayList<>();
        boolean allMatch = true;
        for (int size : new int[] {0, 1, 1024, 1024 * 1024, 4 * 1024 * 1024}) {
            byte[] body = new byte[size];
            random.nextBytes(body);
            RemotingCommand request = RemotingCommand.createRequestCommand(PeerCodes.ECHO, null);
            request.setBody(body);
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("size", size);
            result.put("sha256", sha256(body));
            try {
                RemotingCommand response = client.invokeSync(addr, request, TIMEOUT_MS);
                byte[] echoed = response.getBody() == null ? new byte[0] : response.getBody();
                result.put("code", response.getCode());
                result.put("bodyLength", echoed.length);
                result.put("bodySha256", sha256(echoed));
                allMatch &= response.getCode() == 0 && Arrays.equals(body, echoed);
            } catch (Exception e) {
                result.put("error", e.getClass().getSimpleName());
                allMatch = false;
            }
            results.add(result);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("ok", allMatch);
        out.put("results", results);
        return out;
    }

    private Map<String, Object> unicode() throws Exception {
        String remark = "h\u00e9llo w\u00f6rld \u2014 \u4f60\u597d \ud83d\ude80";
        HashMap<String, String> ext = new HashMap<>();
        ext.put("k\u00fcy", "v\u00e4lue \ud83d\ude00");
        ext.put("emoji", "\ud83c\udf89\ud83c\udf8a");
        ext.put("cjk", "\u4e2d\u6587");
        ext.put("ascii", "plain");
        RemotingCommand request = RemotingCommand.createRequestCommand(PeerCodes.ECHO, null);
        request.setRemark(remark);
        request.setExtFields(ext);
        request.setBody("\u00fcnicode body \ud83d\udc4b".getBytes(StandardCharsets.UTF_8));
        RemotingCommand response = client.invokeSync(addr, request, TIMEOUT_MS);
        Map<String, Object> out = new LinkedHashMap<>();
        describeResponse(out, response);
        out.put("remarkMatches", remark.equals(response.getRemark()));
        out.put("extFieldsMatch", ext.equals(response.getExtFields()));
        out.put("bodyMatches", Arrays.equals(request.getBody(), response.getBody()));
        return out;
    }

    /**
     * 5.x writes a oneway request from a channel-future listener, so a later invokeSync can overtake it: COUNT is
     * polled until every oneway has been seen or 5 s have passed.
     */
    private Map<String, Object> oneway() throws Exception {
        long before = Long.parseLong(count());
        int sent = 100;
        for (int i = 0; i < sent; i++) {
            RemotingCommand request = RemotingCommand.createRequestCommand(PeerCodes.ONEWAY_SINK, null);
            request.setBody(("oneway " + i).getBytes(StandardCharsets.UTF_8));
            client.invokeOneway(addr, request, TIMEOUT_MS);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        long after = Long.parseLong(count());
        int polls = 1;
        while (after - before < sent && System.nanoTime() < deadline) {
            Thread.sleep(20);
            after = Long.parseLong(count());
            polls++;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("sent", sent);
        out.put("countBefore", before);
        out.put("countAfter", after);
        out.put("delta", after - before);
        out.put("countPolls", polls);
        return out;
    }

    private String count() throws Exception {
        return client.invokeSync(addr, RemotingCommand.createRequestCommand(PeerCodes.COUNT, null), TIMEOUT_MS)
            .getRemark();
    }

    private Map<String, Object> asyncMany() throws Exception {
        int total = 1000;
        CountDownLatch done = new CountDownLatch(total);
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger mismatched = new AtomicInteger();
        Map<String, Integer> errors = new TreeMap<>();
        for (int i = 0; i < total; i++) {
            byte[] body = ("async " + i).getBytes(StandardCharsets.UTF_8);
            RemotingCommand request = RemotingCommand.createRequestCommand(PeerCodes.ECHO, null);
            request.setBody(body);
            request.addExtField("index", String.valueOf(i));
            String index = String.valueOf(i);
            client.invokeAsync(addr, request, TIMEOUT_MS, VersionApi.callback(response -> {
                boolean same = response.getCode() == 0 && Arrays.equals(body, response.getBody())
                    && response.getExtFields() != null && index.equals(response.getExtFields().get("index"));
                (same ? ok : mismatched).incrementAndGet();
                done.countDown();
            }, error -> {
                synchronized (errors) {
                    errors.merge(error.getClass().getSimpleName(), 1, Integer::sum);
                }
                done.countDown();
            }));
        }
        boolean finished = done.await(TIMEOUT_MS * 2, TimeUnit.MILLISECONDS);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("sent", total);
        out.put("finished", finished);
        out.put("ok", ok.get());
        out.put("mismatched", mismatched.get());
        synchronized (errors) {
            out.put("errors", new TreeMap<>(errors));
        }
        return out;
    }

    private Map<String, Object> timeout() {
        RemotingCommand request = RemotingCommand.createRequestCommand(PeerCodes.SLOW, null);
        request.addExtField("sleepMs", "2000");
        long start = System.nanoTime();
        Map<String, Object> out = new LinkedHashMap<>();
        try {
            RemotingCommand response = client.invokeSync(addr, request, 500);
            out.put("code", response.getCode());
        } catch (Exception e) {
            out.put("error", e.getClass().getSimpleName());
        }
        out.put("elapsedMs", (System.nanoTime() - start) / 1_000_000);
        return out;
    }

    /** The server calls back CALLBACK_TO_CLIENT on this connection; our echo processor answers it. */
    private Map<String, Object> callback() {
        RemotingCommand request = RemotingCommand.createRequestCommand(PeerCodes.CALLBACK, null);
        request.setBody("ping-callback".getBytes(StandardCharsets.UTF_8));
        Map<String, Object> out = new LinkedHashMap<>();
        try {
            RemotingCommand response = client.invokeSync(addr, request, TIMEOUT_MS);
            describeResponse(out, response);
            out.put("body", response.getBody() == null ? null : new String(response.getBody(), StandardCharsets.UTF_8));
        } catch (Exception e) {
            out.put("error", e.getClass().getSimpleName());
        }
        return out;
    }

    private static String sha256(byte[] data) throws Exception {
        StringBuilder hex = new StringBuilder();
        for (byte b : MessageDigest.getInstance("SHA-256").digest(data)) {
            hex.append(String.format("%02x", b));
        }
        return hex.toString();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Benchmark. The workloads match bench/remoting-core.ts (the TS driver) one for one:
    //   sync    one thread (per --inflight) calling invokeSync ECHO in a loop: one request outstanding per thread;
    //   async   --inflight closed chains of invokeAsync ECHO, each sending its next request from the callback of
    //           its previous one, so exactly N requests are outstanding (the TS driver's N closed loops);
    //   oneway  one thread calling invokeOnewayImpl ONEWAY_SINK with the client's oneway semaphore set to --inflight,
    //           so at most N oneway requests are not yet written (the TS driver's N closed loops of invokeOneway,
    //           each awaiting its write); throughput counts requests DELIVERED, read with COUNT before and after.
    // Usage: --bench --addr A [--serialize T] [--seconds S] [--warmup-seconds W] [--prewarm-seconds P] and either
    // --mode M [--inflight N] [--body-size B] or --plan mode:inflight:bodySize,... (several workloads, one JVM).
    // A request carries no body when the body size is 0; an answer counts only if its code is 0 and its body has the
    // request's length.

    /** One workload: {@code mode:inflight:bodySize}, e.g. {@code async:256:0}. */
    private static final class Workload {
        final String mode;
        final int inflight;
        final int bodySize;
        final String spec;

        Workload(String mode, int inflight, int bodySize) {
            if (!mode.equals("sync") && !mode.equals("async") && !mode.equals("oneway")) {
                throw new IllegalArgumentException("unknown mode " + mode);
            }
            if (inflight < 1 || bodySize < 0) {
                throw new IllegalArgumentException("bad workload " + mode + ":" + inflight + ":" + bodySize);
            }
            this.mode = mode;
            this.inflight = inflight;
            this.bodySize = bodySize;
            this.spec = mode + ":" + inflight + ":" + bodySize;
        }
    }

    /** Where an async chain continues after a failure (never on the failing call's stack). */
    private final java.util.concurrent.ExecutorService retries = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "bench-retries");
        thread.setDaemon(true);
        return thread;
    });

    private static final class LoadResult {
        long ops;
        long errors;
        long elapsedNanos;
    }

    /** --plan "mode:inflight:bodySize,..." or the single workload of --mode/--inflight/--body-size. */
    static List<Workload> benchPlan(Args args) {
        List<Workload> plan = new ArrayList<>();
        if (args.has("plan")) {
            for (String item : args.require("plan").split(",")) {
                String[] parts = item.trim().split(":");
                if (parts.length != 3) {
                    throw new IllegalArgumentException("--plan items are mode:inflight:bodySize, got " + item);
                }
                plan.add(new Workload(parts[0], Integer.parseInt(parts[1]), Integer.parseInt(parts[2])));
            }
        } else {
            plan.add(new Workload(args.require("mode"), args.getInt("inflight", 1), args.getInt("body-size", 128)));
        }
        return plan;
    }

    /** The oneway window of the plan (its oneway workloads must agree): the client's oneway semaphore. */
    static int onewayWindow(List<Workload> plan) {
        int window = 0;
        for (Workload w : plan) {
            if (w.mode.equals("oneway")) {
                if (window != 0 && window != w.inflight) {
                    throw new IllegalArgumentException("all oneway workloads of a plan need the same --inflight");
                }
                window = w.inflight;
            }
        }
        return window;
    }

    private static double seconds(Args args, String name, double fallback) {
        return args.has(name) ? Double.parseDouble(args.get(name, "")) : fallback;
    }

    /**
     * Runs every workload of the plan: first --prewarm-seconds spread over all of them (JIT warm-up, once per JVM),
     * then per workload --warmup-seconds unmeasured, a line {@code BEGIN <spec>}, --seconds measured, and one JSON
     * line with the result. The last line is returned (main prints it), the others are printed here.
     */
    private Map<String, Object> bench(Args args) throws Exception {
        List<Workload> plan = benchPlan(args);
        double measureSeconds = seconds(args, "seconds", 10);
        double warmupSeconds = seconds(args, "warmup-seconds", 2);
        double prewarmSeconds = seconds(args, "prewarm-seconds", 0);
        String serialize = args.get("serialize", "JSON");
        com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

        if (prewarmSeconds > 0) {
            for (Workload w : plan) {
                runLoad(w, prewarmSeconds / plan.size(), new LatencyRecorder());
            }
        }
        Map<String, Object> last = null;
        for (Workload w : plan) {
            if (last != null) {
                System.out.println(Json.write(last));
                System.out.flush();
            }
            if (warmupSeconds > 0) {
                runLoad(w, warmupSeconds, new LatencyRecorder());
            }
            System.out.println("BEGIN " + w.spec);
            System.out.flush();
            LatencyRecorder measured = new LatencyRecorder();
            long cpu0 = os.getProcessCpuTime();
            LoadResult result = runLoad(w, measureSeconds, measured);
            long cpu = os.getProcessCpuTime() - cpu0;
            double elapsed = result.elapsedNanos / 1e9;

            Map<String, Object> out = new LinkedHashMap<>();
            out.put("plan", w.spec);
            out.put("mode", w.mode);
            out.put("inflight", w.inflight);
            out.put("bodySize", w.bodySize);
            out.put("serialize", serialize);
            out.put("ops", result.ops);
            out.put("errors", result.errors);
            out.put("seconds", Math.round(elapsed * 1000) / 1000.0);
            out.put("opsPerSec", Math.round(result.ops / elapsed));
            boolean timed = !w.mode.equals("oneway");
            out.put("p50us", timed ? measured.percentileMicros(0.50) : null);
            out.put("p99us", timed ? measured.percentileMicros(0.99) : null);
            out.put("cpu", Math.round(cpu / (double) result.elapsedNanos * 100) / 100.0);
            last = out;
        }
        return last;
    }

    private static boolean isEcho(RemotingCommand response, int bodySize) {
        byte[] body = response.getBody();
        return response.getCode() == 0 && (body == null ? 0 : body.length) == bodySize;
    }

    private static RemotingCommand request(int code, byte[] body) {
        RemotingCommand request = RemotingCommand.createRequestCommand(code, null);
        request.setBody(body);
        return request;
    }

    private LoadResult runLoad(Workload w, double seconds, LatencyRecorder recorder) throws Exception {
        byte[] body = null;
        if (w.bodySize > 0) {
            body = new byte[w.bodySize];
            Arrays.fill(body, (byte) 0x61);
        }
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        LoadResult result;
        switch (w.mode) {
            case "sync":
                result = runSync(w.inflight, body, w.bodySize, deadline, recorder);
                break;
            case "async":
                result = runAsync(w.inflight, body, w.bodySize, deadline, recorder);
                break;
            default:
                return runOneway(body, deadline);
        }
        result.elapsedNanos = System.nanoTime() - start;
        return result;
    }

    /** {@code threads} threads, each calling invokeSync ECHO in a loop (one request outstanding per thread). */
    private LoadResult runSync(int threads, byte[] body, int bodySize, long deadline, LatencyRecorder recorder)
        throws InterruptedException {
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread thread = new Thread(() -> {
                while (System.nanoTime() < deadline) {
                    RemotingCommand request = request(PeerCodes.ECHO, body);
                    long begin = System.nanoTime();
                    try {
                        if (isEcho(client.invokeSync(addr, request, TIMEOUT_MS), bodySize)) {
                            recorder.record(System.nanoTime() - begin);
                        } else {
                            recorder.errors.incrementAndGet();
                        }
                    } catch (InterruptedException e) {
                        return;
                    } catch (Exception e) {
                        recorder.errors.incrementAndGet();
                    }
                }
            }, "bench-" + t);
            thread.start();
            started.add(thread);
        }
        for (Thread thread : started) {
            thread.join();
        }
        LoadResult result = new LoadResult();
        result.ops = recorder.count();
        result.errors = recorder.errors.get();
        return result;
    }

    /** {@code inflight} chains of invokeAsync ECHO; each callback sends its chain's next request until the deadline. */
    private LoadResult runAsync(int inflight, byte[] body, int bodySize, long deadline, LatencyRecorder recorder)
        throws InterruptedException {
        CountDownLatch chains = new CountDownLatch(inflight);
        for (int i = 0; i < inflight; i++) {
            sendNext(body, bodySize, deadline, recorder, chains);
        }
        long waitNanos = Math.max(0, deadline - System.nanoTime()) + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS * 2);
        if (!chains.await(waitNanos, TimeUnit.NANOSECONDS)) {
            throw new IllegalStateException("async calls still outstanding " + 2 * TIMEOUT_MS + " ms after the run");
        }
        LoadResult result = new LoadResult();
        result.ops = recorder.count();
        result.errors = recorder.errors.get();
        return result;
    }

    private void sendNext(byte[] body, int bodySize, long deadline, LatencyRecorder recorder, CountDownLatch chains) {
        while (System.nanoTime() < deadline) {
            RemotingCommand request = request(PeerCodes.ECHO, body);
            long begin = System.nanoTime();
            try {
                client.invokeAsync(addr, request, TIMEOUT_MS, VersionApi.callback(response -> {
                    if (isEcho(response, bodySize)) {
                        recorder.record(System.nanoTime() - begin);
                    } else {
                        recorder.errors.incrementAndGet();
                    }
                    sendNext(body, bodySize, deadline, recorder, chains);
                }, error -> {
                    recorder.errors.incrementAndGet();
                    // 5.x reports a failed connect from inside invokeAsync: continuing here would recurse.
                    retries.execute(() -> sendNext(body, bodySize, deadline, recorder, chains));
                }));
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Exception e) {
                recorder.errors.incrementAndGet(); // not sent: this chain tries again at once
            }
        }
        chains.countDown();
    }

    /**
     * The connection to {@link #addr}, through NettyRemotingClient's private getAndCreateChannel (4.9.x and 5.x).
     * 5.x's invokeOneway acquires the oneway semaphore on the Netty event loop (from a channel-future listener), where
     * a bounded window deadlocks: the loop blocks waiting for permits that only its own write completions release.
     * The benchmark therefore calls invokeOnewayImpl (the same semaphore, write and listener) from its own thread,
     * which is what 4.9.x's invokeOneway does.
     */
    private io.netty.channel.Channel onewayChannel() throws Exception {
        java.lang.reflect.Method method = NettyRemotingClient.class.getDeclaredMethod("getAndCreateChannel", String.class);
        method.setAccessible(true);
        io.netty.channel.Channel channel = (io.netty.channel.Channel) method.invoke(client, addr);
        if (channel == null || !channel.isActive()) {
            throw new IllegalStateException("no connection to " + addr);
        }
        return channel;
    }

    /**
     * invokeOnewayImpl ONEWAY_SINK in a loop, the oneway semaphore bounding unwritten requests; ops = requests the server
     * counted. 5.x may write a oneway after a later invokeSync, so COUNT is polled until every sent request has been
     * counted (or 5 s passed); the clock stops at the last COUNT answer.
     */
    private LoadResult runOneway(byte[] body, long deadline) throws Exception {
        long before = Long.parseLong(count());
        io.netty.channel.Channel channel = onewayChannel();
        long start = System.nanoTime();
        long sent = 0;
        long failed = 0;
        while (System.nanoTime() < deadline) {
            try {
                RemotingCommand request = request(PeerCodes.ONEWAY_SINK, body);
                request.markOnewayRPC();
                client.invokeOnewayImpl(channel, request, TIMEOUT_MS);
                sent++;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                failed++;
            }
        }
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        long delivered = Long.parseLong(count()) - before;
        while (delivered < sent && System.nanoTime() < giveUp) {
            Thread.sleep(1);
            delivered = Long.parseLong(count()) - before;
        }
        LoadResult result = new LoadResult();
        result.elapsedNanos = System.nanoTime() - start;
        result.ops = delivered;
        result.errors = failed + Math.max(0, sent - delivered);
        return result;
    }

    /** Latencies in microseconds: a counting histogram with 1 us buckets up to 100 ms, and one overflow bucket. */
    private static final class LatencyRecorder {
        private static final int BUCKETS = 100_000;
        private final AtomicLong[] counts = new AtomicLong[BUCKETS + 1];
        final AtomicLong errors = new AtomicLong();

        LatencyRecorder() {
            for (int i = 0; i < counts.length; i++) {
                counts[i] = new AtomicLong();
            }
        }

        void record(long nanos) {
            counts[(int) Math.min(BUCKETS, nanos / 1000)].incrementAndGet();
        }

        long count() {
            long total = 0;
            for (AtomicLong c : counts) {
                total += c.get();
            }
            return total;
        }

        long percentileMicros(double fraction) {
            long total = count();
            if (total == 0) {
                return 0;
            }
            long rank = (long) Math.ceil(fraction * total);
            long seen = 0;
            for (int i = 0; i < counts.length; i++) {
                seen += counts[i].get();
                if (seen >= rank) {
                    return i;
                }
            }
            return BUCKETS;
        }
    }
}

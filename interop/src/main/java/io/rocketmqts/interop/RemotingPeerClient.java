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
import java.util.concurrent.Semaphore;
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
 * RemotingPeerClient --bench --addr host:port --mode sync|async|oneway [--inflight N] [--body-size B]
 *                    [--serialize T] [--seconds S] [--warmup-seconds W] [--tls]
 * </pre>
 *
 * Both print one JSON line on stdout and exit 0; a scenario's failures are reported inside that line. Scenarios:
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
        NettyRemotingClient client = new NettyRemotingClient(config);
        RemotingPeerClient peer = new RemotingPeerClient(client, args.require("addr"));
        Map<String, Object> report;
        try {
            if (args.has("scenario")) {
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
        System.out.println(Json.write(report));
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

    private Map<String, Object> bench(Args args) throws Exception {
        String mode = args.require("mode");
        int inflight = args.getInt("inflight", 1);
        int bodySize = args.getInt("body-size", 128);
        int seconds = args.getInt("seconds", 10);
        int warmupSeconds = args.getInt("warmup-seconds", 2);
        byte[] body = new byte[bodySize];
        new Random(7).nextBytes(body);

        LatencyRecorder warmup = new LatencyRecorder();
        runLoad(mode, inflight, body, warmupSeconds, warmup);
        LatencyRecorder measured = new LatencyRecorder();
        long start = System.nanoTime();
        runLoad(mode, inflight, body, seconds, measured);
        double elapsed = (System.nanoTime() - start) / 1e9;

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("mode", mode);
        out.put("inflight", inflight);
        out.put("bodySize", bodySize);
        out.put("serialize", args.get("serialize", "JSON"));
        out.put("ops", measured.count());
        out.put("errors", measured.errors.get());
        out.put("seconds", Math.round(elapsed * 1000) / 1000.0);
        out.put("opsPerSec", Math.round(measured.count() / elapsed));
        out.put("p50us", measured.percentileMicros(0.50));
        out.put("p99us", measured.percentileMicros(0.99));
        return out;
    }

    private void runLoad(String mode, int inflight, byte[] body, int seconds, LatencyRecorder recorder)
        throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        switch (mode) {
            case "sync":
            case "oneway":
                runThreads(mode.equals("oneway"), inflight, body, deadline, recorder);
                break;
            case "async":
                runAsync(inflight, body, deadline, recorder);
                break;
            default:
                throw new IllegalArgumentException("unknown --mode " + mode);
        }
    }

    /** {@code inflight} threads, each with one call outstanding: invokeSync ECHO, or invokeOneway ONEWAY_SINK. */
    private void runThreads(boolean oneway, int inflight, byte[] body, long deadline, LatencyRecorder recorder)
        throws InterruptedException {
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < inflight; t++) {
            Thread thread = new Thread(() -> {
                while (System.nanoTime() < deadline) {
                    RemotingCommand request =
                        RemotingCommand.createRequestCommand(oneway ? PeerCodes.ONEWAY_SINK : PeerCodes.ECHO, null);
                    request.setBody(body);
                    long begin = System.nanoTime();
                    try {
                        if (oneway) {
                            client.invokeOneway(addr, request, TIMEOUT_MS);
                            recorder.record(System.nanoTime() - begin);
                        } else if (client.invokeSync(addr, request, TIMEOUT_MS).getCode() == 0) {
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
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join();
        }
    }

    /** One thread keeping {@code inflight} invokeAsync ECHO calls outstanding. */
    private void runAsync(int inflight, byte[] body, long deadline, LatencyRecorder recorder) throws Exception {
        Semaphore permits = new Semaphore(inflight);
        while (System.nanoTime() < deadline) {
            if (!permits.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                continue;
            }
            RemotingCommand request = RemotingCommand.createRequestCommand(PeerCodes.ECHO, null);
            request.setBody(body);
            long begin = System.nanoTime();
            try {
                client.invokeAsync(addr, request, TIMEOUT_MS, VersionApi.callback(response -> {
                    if (response.getCode() == 0) {
                        recorder.record(System.nanoTime() - begin);
                    } else {
                        recorder.errors.incrementAndGet();
                    }
                    permits.release();
                }, error -> {
                    recorder.errors.incrementAndGet();
                    permits.release();
                }));
            } catch (Exception e) {
                recorder.errors.incrementAndGet();
                permits.release();
            }
        }
        if (!permits.tryAcquire(inflight, TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("async calls still outstanding " + TIMEOUT_MS + " ms after the run");
        }
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

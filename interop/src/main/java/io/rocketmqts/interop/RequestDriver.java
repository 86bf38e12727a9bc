package io.rocketmqts.interop;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.exception.RequestTimeoutException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.RequestCallback;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageConst;

/**
 * The requester of request-reply: a DefaultMQProducer that sends --count requests ("req-<i>", key the same) to
 * --topic, one after the other, with request(msg, timeout) (--mode sync) or request(msg, RequestCallback, timeout)
 * (--mode callback: the form that works in 5.3.1-5.3.3, whose sync form is broken). Then, with --silent-topic, one
 * request to a topic nobody answers, with --silent-timeout-ms. One JSON line per request: "reply" (the request's
 * CORRELATION_ID, the reply's topic, body, properties and round trip) or "error" (class, responseCode,
 * errorMessage, message, elapsed); both with nullCallbacks, the callback form's onSuccess(null) calls (Java calls
 * it once the request is sent, before any reply). Prints "DONE" and exits.
 *
 * --namesrv ADDR --topic T --mode sync|callback [--count 3] [--timeout-ms 5000] [--group G] [--instance NAME]
 * [--silent-topic T2 --silent-timeout-ms 3000]
 */
public final class RequestDriver {
    private RequestDriver() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        args.applyRemotingDefaults();
        boolean callback = args.require("mode").equals("callback");
        DefaultMQProducer producer = new DefaultMQProducer(args.get("group", "RequesterGroup"));
        producer.setNamesrvAddr(args.require("namesrv"));
        producer.setInstanceName(args.get("instance", "requester"));
        producer.start();
        int count = args.getInt("count", 3);
        for (int i = 0; i < count; i++) {
            request(producer, callback, args.require("topic"), i, args.getInt("timeout-ms", 5000));
        }
        if (args.has("silent-topic")) {
            request(producer, callback, args.require("silent-topic"), count, args.getInt("silent-timeout-ms", 3000));
        }
        System.out.println("DONE");
        System.out.flush();
        producer.shutdown();
        System.exit(0);
    }

    private static void request(DefaultMQProducer producer, boolean callback, String topic, int i, int timeout) {
        Message msg = new Message(topic, ("req-" + i).getBytes(StandardCharsets.UTF_8));
        msg.setKeys("req-" + i);
        AtomicInteger nullCallbacks = new AtomicInteger();
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("mode", callback ? "callback" : "sync");
        line.put("i", i);
        line.put("topic", topic);
        line.put("timeoutMs", timeout);
        long begin = System.currentTimeMillis();
        try {
            Message reply;
            if (callback) {
                CompletableFuture<Message> future = new CompletableFuture<>();
                producer.request(msg, new RequestCallback() {
                    @Override
                    public void onSuccess(Message message) {
                        if (message == null) {
                            nullCallbacks.incrementAndGet();
                        } else {
                            future.complete(message);
                        }
                    }

                    @Override
                    public void onException(Throwable e) {
                        future.completeExceptionally(e);
                    }
                }, timeout);
                try {
                    reply = future.get(timeout + 5000L, TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    throw e.getCause();
                }
            } else {
                reply = producer.request(msg, timeout);
            }
            line.put("event", "reply");
            line.put("elapsedMs", System.currentTimeMillis() - begin);
            line.put("correlationId", msg.getProperty(MessageConst.PROPERTY_CORRELATION_ID));
            line.put("replyTopic", reply.getTopic());
            line.put("body", new String(reply.getBody(), StandardCharsets.UTF_8));
            line.put("properties", reply.getProperties());
        } catch (Throwable e) {
            line.put("event", "error");
            line.put("elapsedMs", System.currentTimeMillis() - begin);
            line.put("correlationId", msg.getProperty(MessageConst.PROPERTY_CORRELATION_ID));
            line.put("class", e.getClass().getSimpleName());
            line.put("message", e.getMessage());
            if (e instanceof RequestTimeoutException) {
                line.put("responseCode", ((RequestTimeoutException) e).getResponseCode());
                line.put("errorMessage", ((RequestTimeoutException) e).getErrorMessage());
            } else if (e instanceof MQClientException) {
                line.put("responseCode", ((MQClientException) e).getResponseCode());
                line.put("errorMessage", ((MQClientException) e).getErrorMessage());
            } else if (e instanceof MQBrokerException) {
                line.put("responseCode", ((MQBrokerException) e).getResponseCode());
                line.put("errorMessage", ((MQBrokerException) e).getErrorMessage());
            }
        }
        line.put("nullCallbacks", nullCallbacks.get());
        System.out.println(Json.write(line));
        System.out.flush();
    }
}

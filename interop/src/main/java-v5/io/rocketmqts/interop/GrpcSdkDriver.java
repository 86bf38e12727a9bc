package io.rocketmqts.interop;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.rocketmq.client.apis.ClientConfiguration;
import org.apache.rocketmq.client.apis.ClientServiceProvider;
import org.apache.rocketmq.client.apis.consumer.ConsumeResult;
import org.apache.rocketmq.client.apis.consumer.FilterExpression;
import org.apache.rocketmq.client.apis.consumer.PushConsumer;
import org.apache.rocketmq.client.apis.consumer.SimpleConsumer;
import org.apache.rocketmq.client.apis.message.Message;
import org.apache.rocketmq.client.apis.message.MessageView;
import org.apache.rocketmq.client.apis.producer.Producer;
import org.apache.rocketmq.client.apis.producer.SendReceipt;
import org.apache.rocketmq.client.apis.producer.Transaction;
import org.apache.rocketmq.client.apis.producer.TransactionResolution;
import org.apache.rocketmq.client.java.impl.producer.SendReceiptImpl;
import org.apache.rocketmq.client.java.message.MessageViewImpl;

/**
 * Scenario driver for the Java 5.x gRPC SDK (org.apache.rocketmq:rocketmq-client-java 5.2.0) against a RocketMQ 5.x
 * gRPC endpoint; the same checks as test/fixtures/grpc-sdk/node-sdk.cjs, one JSON line each.
 *
 * <pre>
 * GrpcSdkDriver --endpoints 127.0.0.1:8081 --run ID --sdk java [--tls true|false] [--scenarios all|basic]
 *               [--await-ms 2000] [--invisible-ms 2000]
 * </pre>
 *
 * The Java SDK defaults to TLS (trusting any certificate); --tls false is its plaintext mode. "basic" runs the
 * startup, a NORMAL send and the simple-consumer checks only. Expects the topics TopicNORMAL, TopicFIFO, TopicDELAY,
 * TopicTRANSACTION with their message.type and the FIFO group GroupFifo-&lt;sdk&gt;.
 */
public final class GrpcSdkDriver {
    private static final String[] TOPICS = {"TopicNORMAL", "TopicFIFO", "TopicDELAY", "TopicTRANSACTION"};
    private static final long DELAY_MS = 3000;

    private final ClientServiceProvider provider = ClientServiceProvider.loadService();
    private final ClientConfiguration configuration;
    private final String sdk;
    private final String run;
    private final Duration await;
    private final Duration invisible;
    /** Every transaction check either producer is asked, as [body, time]. */
    private final List<Object[]> checks = new CopyOnWriteArrayList<>();

    private GrpcSdkDriver(Args args) {
        this.sdk = args.get("sdk", "java");
        this.run = args.get("run", Long.toString(System.currentTimeMillis(), 36));
        this.await = Duration.ofMillis(Long.parseLong(args.get("await-ms", "2000")));
        this.invisible = Duration.ofMillis(Long.parseLong(args.get("invisible-ms", "2000")));
        this.configuration = ClientConfiguration.newBuilder()
            .setEndpoints(args.get("endpoints", "127.0.0.1:8081"))
            .enableSsl(Boolean.parseBoolean(args.get("tls", "true")))
            .build();
    }

    public static void main(String[] argv) {
        Args args = new Args(argv);
        GrpcSdkDriver driver = new GrpcSdkDriver(args);
        try {
            driver.runScenarios("all".equals(args.get("scenarios", "all")));
            driver.emit("done", Map.of());
            System.out.flush();
            System.exit(0);
        } catch (Throwable t) {
            driver.emit("failed", Map.of("error", t.getClass().getSimpleName() + ": " + t.getMessage()));
            t.printStackTrace();
            System.out.flush();
            System.exit(1);
        }
    }

    private void emit(String check, Map<String, ?> fields) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("sdk", sdk);
        line.put("check", check);
        line.putAll(fields);
        System.out.println(Json.write(line));
    }

    private static Map<String, Object> fields(Object... pairs) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], pairs[i + 1]);
        }
        return map;
    }

    private String body(String name) {
        return sdk + "-" + name + "-" + run;
    }

    private static String text(MessageView m) {
        return StandardCharsets.UTF_8.decode(m.getBody().duplicate()).toString();
    }

    private static String error(Throwable t) {
        return "error " + t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    /** Answers what the local transaction did: the rolled-back message ROLLBACK, everything else COMMIT. */
    private TransactionResolution check(MessageView m) {
        checks.add(new Object[] {text(m), System.currentTimeMillis()});
        return text(m).equals(body("tx-rollback")) ? TransactionResolution.ROLLBACK : TransactionResolution.COMMIT;
    }

    private Message message(String topic, String text) {
        return provider.newMessageBuilder().setTopic(topic).setBody(text.getBytes(StandardCharsets.UTF_8)).build();
    }

    private SimpleConsumer simpleConsumer(String group, String topic) throws Exception {
        return provider.newSimpleConsumerBuilder().setClientConfiguration(configuration).setConsumerGroup(group)
            .setSubscriptionExpressions(Map.of(topic, FilterExpression.SUB_ALL)).setAwaitDuration(await).build();
    }

    /** A message the consumer received and when. */
    private record Received(MessageView message, long at) {
    }

    /** Receives until {@code want} holds for one message or {@code ms} pass; the others go to {@code other}. */
    private static Received receiveUntil(SimpleConsumer sc, Predicate<MessageView> want, long ms, Duration invisible,
        Consumer<MessageView> other) throws Exception {
        long until = System.currentTimeMillis() + ms;
        while (System.currentTimeMillis() < until) {
            MessageView found = null;
            for (MessageView m : sc.receive(16, invisible)) {
                if (found == null && want.test(m)) {
                    found = m;
                } else {
                    other.accept(m);
                }
            }
            if (found != null) {
                return new Received(found, System.currentTimeMillis());
            }
        }
        return null;
    }

    private static Consumer<MessageView> acking(SimpleConsumer sc) {
        return m -> {
            try {
                sc.ack(m);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
    }

    private void runScenarios(boolean all) throws Exception {
        long started = System.currentTimeMillis();
        Producer producer = provider.newProducerBuilder().setClientConfiguration(configuration).setTopics(TOPICS)
            .setTransactionChecker(this::check).build();
        emit("startup-4-topics", fields("started", true, "outcome", "ok", "ms", System.currentTimeMillis() - started));

        SendReceipt normal = producer.send(provider.newMessageBuilder().setTopic("TopicNORMAL").setTag("TagA")
            .setKeys("k-" + run).addProperty("p1", "v1").setBody(body("normal").getBytes(StandardCharsets.UTF_8))
            .build());
        emit("send-normal", fields("ok", true, "messageId", normal.getMessageId().toString()));
        if (all) {
            sends(producer);
        }

        try (SimpleConsumer sc = simpleConsumer(sdk + "-normal", "TopicNORMAL")) {
            Received got = receiveUntil(sc, m -> text(m).equals(body("normal")), 20_000, Duration.ofSeconds(10),
                acking(sc));
            if (got == null) {
                emit("receive-normal", fields("found", false));
            } else {
                MessageView m = got.message();
                emit("receive-normal", fields("found", true, "tag", m.getTag().orElse(null), "keys",
                    new ArrayList<>(m.getKeys()), "property", m.getProperties().get("p1"), "attempt",
                    m.getDeliveryAttempt(), "messageIdMatches", m.getMessageId().equals(normal.getMessageId())));
                String before = ((MessageViewImpl) m).getReceiptHandle();
                sc.changeInvisibleDuration(m, Duration.ofSeconds(10));
                String ack;
                try {
                    sc.ack(m);
                    ack = "ok";
                } catch (Exception e) {
                    ack = error(e);
                }
                emit("change-invisible", fields("newHandle", !before.equals(((MessageViewImpl) m).getReceiptHandle()),
                    "ack", ack));
            }
        }
        if (all) {
            consumers();
            orphan();
        }
        producer.close();
    }

    private long deliverAt;

    private void sends(Producer producer) throws Exception {
        for (int i = 0; i < 3; i++) {
            producer.send(provider.newMessageBuilder().setTopic("TopicFIFO").setMessageGroup("g-" + run)
                .setBody((body("fifo") + "-" + i).getBytes(StandardCharsets.UTF_8)).build());
        }
        emit("send-fifo", fields("ok", true, "count", 3));
        deliverAt = System.currentTimeMillis() + DELAY_MS;
        producer.send(provider.newMessageBuilder().setTopic("TopicDELAY").setDeliveryTimestamp(deliverAt)
            .setBody(body("delay").getBytes(StandardCharsets.UTF_8)).build());
        emit("send-delay", fields("ok", true));
        Transaction rollback = producer.beginTransaction();
        producer.send(message("TopicTRANSACTION", body("tx-rollback")), rollback);
        rollback.rollback();
        emit("tx-rollback", fields("ok", true));
        Transaction commit = producer.beginTransaction();
        SendReceipt committed = producer.send(message("TopicTRANSACTION", body("tx-commit")), commit);
        commit.commit();
        emit("tx-commit", fields("ok", true, "transactionIdIsMessageId",
            ((SendReceiptImpl) committed).getTransactionId().equals(committed.getMessageId().toString())));
        try {
            producer.send(message("TopicFIFO", body("wrong-type")));
            emit("wrong-type", fields("rejected", false, "error", "ok"));
        } catch (Exception e) {
            emit("wrong-type", fields("rejected", true, "error", error(e)));
        }
        producer.send(message("TopicNORMAL", body("redeliver")));
    }

    private void consumers() throws Exception {
        try (SimpleConsumer sc = simpleConsumer(sdk + "-delay", "TopicDELAY")) {
            Received got = receiveUntil(sc, m -> text(m).equals(body("delay")), 20_000, Duration.ofSeconds(10),
                acking(sc));
            emit("receive-delay", got == null ? fields("found", false)
                : fields("found", true, "earlyMs", deliverAt - got.at()));
            if (got != null) {
                sc.ack(got.message());
            }
        }
        try (SimpleConsumer sc = simpleConsumer(sdk + "-tx", "TopicTRANSACTION")) {
            boolean[] rollbackSeen = {false};
            Consumer<MessageView> ack = acking(sc);
            Received got = receiveUntil(sc, m -> text(m).equals(body("tx-commit")), 20_000, Duration.ofSeconds(10),
                m -> {
                    rollbackSeen[0] |= text(m).equals(body("tx-rollback"));
                    ack.accept(m);
                });
            emit("receive-tx", got == null ? fields("found", false, "rollbackSeen", rollbackSeen[0])
                : fields("found", true, "rollbackSeen", rollbackSeen[0], "propertyKeys",
                    new ArrayList<>(new TreeSet<>(got.message().getProperties().keySet()))));
            if (got != null) {
                sc.ack(got.message());
            }
        }
        try (SimpleConsumer sc = simpleConsumer(sdk + "-redeliver", "TopicNORMAL")) {
            Predicate<MessageView> want = m -> text(m).equals(body("redeliver"));
            Received first = receiveUntil(sc, want, 20_000, invisible, acking(sc));
            Received second = first == null ? null
                : receiveUntil(sc, want, invisible.toMillis() + 15_000, invisible, acking(sc));
            emit("redelivery", fields("attempts", Arrays.asList(
                    first == null ? null : first.message().getDeliveryAttempt(),
                    second == null ? null : second.message().getDeliveryAttempt()),
                "afterMs", first == null || second == null ? null : second.at() - first.at(),
                "invisibleMs", invisible.toMillis()));
            if (second != null) {
                sc.ack(second.message());
            }
        }
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        try (PushConsumer pc = provider.newPushConsumerBuilder().setClientConfiguration(configuration)
            .setConsumerGroup("GroupFifo-" + sdk).setSubscriptionExpressions(Map.of("TopicFIFO", FilterExpression.SUB_ALL))
            .setMessageListener(m -> {
                seen.add(text(m));
                return ConsumeResult.SUCCESS;
            }).build()) {
            long until = System.currentTimeMillis() + 20_000;
            List<Integer> order = List.of();
            while (System.currentTimeMillis() < until) {
                synchronized (seen) {
                    order = seen.stream().filter(s -> s.startsWith(body("fifo")))
                        .map(s -> Integer.valueOf(s.substring(s.lastIndexOf('-') + 1))).toList();
                }
                if (order.size() >= 3) {
                    break;
                }
                Thread.sleep(100);
            }
            emit("push-fifo", fields("order", order, "inOrder", order.equals(List.of(0, 1, 2))));
        }
    }

    private void orphan() throws Exception {
        try (Producer orphanProducer = provider.newProducerBuilder().setClientConfiguration(configuration)
            .setTopics("TopicTRANSACTION").setTransactionChecker(this::check).build()) {
            Transaction tx = orphanProducer.beginTransaction();
            long sentAt = System.currentTimeMillis();
            orphanProducer.send(message("TopicTRANSACTION", body("orphan")), tx);
            long until = sentAt + 40_000;
            Long askedAt = null;
            while (askedAt == null && System.currentTimeMillis() < until) {
                askedAt = checks.stream().filter(c -> c[0].equals(body("orphan"))).map(c -> (Long) c[1]).findFirst()
                    .orElse(null);
                if (askedAt == null) {
                    Thread.sleep(100);
                }
            }
            // The checker's COMMIT must land before this producer goes: the committed orphan reaches a consumer.
            boolean consumed = false;
            if (askedAt != null) {
                try (SimpleConsumer sc = simpleConsumer(sdk + "-orphan", "TopicTRANSACTION")) {
                    Received got = receiveUntil(sc, m -> text(m).equals(body("orphan")), 20_000,
                        Duration.ofSeconds(10), acking(sc));
                    consumed = got != null;
                    if (got != null) {
                        sc.ack(got.message());
                    }
                }
            }
            TreeSet<String> checked = new TreeSet<>();
            int others = 0;
            for (Object[] c : checks) {
                String text = (String) c[0];
                if (text.startsWith(sdk + "-") && text.endsWith("-" + run)) {
                    checked.add(text.substring(sdk.length() + 1, text.length() - run.length() - 1));
                } else {
                    others++;
                }
            }
            emit("orphan-tx", fields("checkerCalled", askedAt != null, "afterMs", askedAt == null ? null
                : askedAt - sentAt, "consumed", consumed, "checked", new ArrayList<>(checked), "otherChecks", others));
        }
    }
}

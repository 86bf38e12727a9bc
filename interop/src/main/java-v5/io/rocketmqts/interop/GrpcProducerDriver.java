package io.rocketmqts.interop;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.rocketmq.client.apis.ClientConfiguration;
import org.apache.rocketmq.client.apis.ClientServiceProvider;
import org.apache.rocketmq.client.apis.message.Message;
import org.apache.rocketmq.client.apis.producer.Producer;
import org.apache.rocketmq.client.apis.producer.SendReceipt;
import org.apache.rocketmq.client.apis.producer.Transaction;
import org.apache.rocketmq.client.apis.producer.TransactionResolution;

/**
 * The RocketMQ 5.x gRPC Java SDK (rocketmq-client-java) as a producer against an endpoint: starts a producer of the
 * four typed topics, sends NORMAL (tag, keys, property), FIFO x3 (one message group), DELAY (+2 s) and a
 * committed transactional message, then a NORMAL message to the FIFO topic (which the SDK must refuse). Prints one
 * JSON line per step ("started" with the start-up time, "send" with kind, message id and recall handle,
 * "wrongType" with the exception's class) and "DONE".
 *
 * --endpoints HOST:PORT [--ssl true|false] (the SDK's default is TLS on) [--prefix P] (bodies start with P)
 */
public final class GrpcProducerDriver {
    private GrpcProducerDriver() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        boolean ssl = Boolean.parseBoolean(args.get("ssl", "true"));
        String prefix = args.get("prefix", "java");
        ClientServiceProvider provider = ClientServiceProvider.loadService();
        ClientConfiguration config = ClientConfiguration.newBuilder()
            .setEndpoints(args.require("endpoints"))
            .enableSsl(ssl)
            .setRequestTimeout(Duration.ofSeconds(5))
            .build();
        long begin = System.currentTimeMillis();
        Producer producer = provider.newProducerBuilder()
            .setClientConfiguration(config)
            .setTopics("TopicNORMAL", "TopicFIFO", "TopicDELAY", "TopicTRANSACTION")
            .setTransactionChecker(view -> TransactionResolution.COMMIT)
            .build();
        print(Map.of("event", "started", "millis", System.currentTimeMillis() - begin));

        send(producer, "normal", provider.newMessageBuilder().setTopic("TopicNORMAL").setTag("TagJ").setKeys("kj1", "kj2")
            .addProperty("pj", "vj").setBody(body(prefix + "-normal")).build());
        for (int i = 0; i < 3; i++) {
            send(producer, "fifo", provider.newMessageBuilder().setTopic("TopicFIFO").setMessageGroup("jg")
                .setBody(body(prefix + "-fifo-" + i)).build());
        }
        send(producer, "delay", provider.newMessageBuilder().setTopic("TopicDELAY")
            .setDeliveryTimestamp(System.currentTimeMillis() + 2000).setBody(body(prefix + "-delay")).build());
        Transaction tx = producer.beginTransaction();
        SendReceipt txReceipt = producer.send(provider.newMessageBuilder().setTopic("TopicTRANSACTION")
            .setBody(body(prefix + "-tx")).build(), tx);
        tx.commit();
        printReceipt("transaction", txReceipt);
        try {
            producer.send(provider.newMessageBuilder().setTopic("TopicFIFO").setBody(body(prefix + "-wrong")).build());
            print(Map.of("event", "wrongType", "error", "none"));
        } catch (Exception e) {
            print(Map.of("event", "wrongType", "error", e.getClass().getSimpleName()));
        }
        producer.close();
        System.out.println("DONE");
        System.exit(0);
    }

    private static byte[] body(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static void send(Producer producer, String kind, Message message) throws Exception {
        printReceipt(kind, producer.send(message));
    }

    private static void printReceipt(String kind, SendReceipt receipt) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("event", "send");
        line.put("kind", kind);
        line.put("messageId", receipt.getMessageId().toString());
        line.put("recallHandle", receipt.getRecallHandle());
        print(line);
    }

    private static void print(Map<String, Object> line) {
        System.out.println(Json.write(line));
    }
}

package io.rocketmqts.interop;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.rocketmq.common.message.Message;

/**
 * The messages ProducerDriver sends and ConsumerDriver reports, derived from their key so the TypeScript test can
 * check every field without shipping the messages around: kind sync/async/oneway/batch/big, tag per kind, user
 * properties kind, seq and a non-ASCII note, and a body made from the key (8 KiB for "big", which the producer
 * compresses).
 */
final class InteropMessages {
    static final int BIG_BODY_BYTES = 8192;

    private InteropMessages() {
    }

    static String key(String kind, int seq) {
        return kind + "-" + seq;
    }

    static String tag(String kind) {
        switch (kind) {
            case "sync": return "TagSync";
            case "async": return "TagAsync";
            case "oneway": return "TagOneway";
            case "batch": return "TagBatch";
            default: return "TagBig";
        }
    }

    static String body(String kind, int seq) {
        String key = key(kind, seq);
        if (!kind.equals("big")) {
            return "body of " + key;
        }
        StringBuilder body = new StringBuilder();
        while (body.length() < BIG_BODY_BYTES) {
            body.append("big body of ").append(key).append(' ');
        }
        return body.substring(0, BIG_BODY_BYTES);
    }

    static Message build(String topic, String kind, int seq) {
        Message msg = new Message(topic, tag(kind), key(kind, seq), body(kind, seq).getBytes(StandardCharsets.UTF_8));
        msg.putUserProperty("kind", kind);
        msg.putUserProperty("seq", String.valueOf(seq));
        msg.putUserProperty("note", "h\u00e9llo \u2713");
        return msg;
    }

    static List<Message> batch(String topic, int count) {
        List<Message> messages = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            messages.add(build(topic, "batch", i));
        }
        return messages;
    }
}

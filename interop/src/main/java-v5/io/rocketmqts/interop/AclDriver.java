package io.rocketmqts.interop;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.rocketmq.acl.common.AclClientRPCHook;
import org.apache.rocketmq.acl.common.SessionCredentials;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueAveragely;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.remoting.protocol.body.AclInfo;
import org.apache.rocketmq.remoting.protocol.body.UserInfo;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

/**
 * ACL 2.0 with Java 5.x clients, against any broker: the super user (DefaultMQAdminExt signed with --root-ak/--root-sk)
 * creates two topics, a Normal user and its ACL (Pub, Sub, Get on --allowed and on --group), and reads them back;
 * the user's producer sends to --allowed and is refused --forbidden; a producer with a wrong password is refused;
 * the user's push consumer receives what was sent. Prints one JSON line with what happened.
 *
 * --namesrv ADDR --broker ADDR --root-ak AK --root-sk SK --user U --password P --allowed T --forbidden T --group G
 */
public final class AclDriver {
    private AclDriver() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        args.applyRemotingDefaults();
        String namesrv = args.require("namesrv");
        String broker = args.require("broker");
        String user = args.require("user");
        String password = args.require("password");
        String allowed = args.require("allowed");
        String forbidden = args.require("forbidden");
        String group = args.require("group");
        Map<String, Object> report = new LinkedHashMap<>();

        DefaultMQAdminExt admin = new DefaultMQAdminExt(hook(args.require("root-ak"), args.require("root-sk")), 10_000);
        admin.setNamesrvAddr(namesrv);
        admin.setInstanceName("acl-admin-" + ProcessHandle.current().pid());
        admin.start();
        for (String topic : Arrays.asList(allowed, forbidden)) {
            admin.createAndUpdateTopicConfig(broker, new TopicConfig(topic, 2, 2, 6));
        }
        admin.createUser(broker, user, password, "Normal");
        admin.createAcl(broker, "User:" + user, Arrays.asList("Topic:" + allowed, "Group:" + group), Arrays.asList("Pub", "Sub", "Get"), null, "Allow");
        UserInfo info = admin.getUser(broker, user);
        report.put("userType", info == null ? null : info.getUserType());
        AclInfo acl = admin.getAcl(broker, "User:" + user);
        List<String> resources = new ArrayList<>();
        if (acl != null && acl.getPolicies() != null) {
            acl.getPolicies().forEach(p -> p.getEntries().forEach(e -> resources.add(e.getResource() + "=" + String.join(",", e.getActions()) + "/" + e.getDecision())));
        }
        report.put("acl", resources);

        DefaultMQProducer producer = producer("PID_ACL_JAVA", user, password, namesrv);
        report.put("allowed", producer.send(new Message(allowed, "TagA", "acl-java-allowed", "allowed".getBytes(StandardCharsets.UTF_8))).getSendStatus().name());
        report.put("forbidden", refusal(producer, forbidden));
        DefaultMQProducer wrong = producer("PID_ACL_JAVA_WRONG", user, "not-the-password", namesrv);
        report.put("wrongPassword", refusal(wrong, allowed));

        CountDownLatch received = new CountDownLatch(1);
        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(group, hook(user, password), new AllocateMessageQueueAveragely());
        consumer.setNamesrvAddr(namesrv);
        consumer.setInstanceName("acl-consumer-" + ProcessHandle.current().pid());
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.subscribe(allowed, "*");
        consumer.registerMessageListener((MessageListenerConcurrently) (msgs, context) -> {
            for (MessageExt msg : msgs) {
                if ("acl-java-allowed".equals(msg.getKeys())) {
                    received.countDown();
                }
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        consumer.start();
        report.put("consumed", received.await(60, TimeUnit.SECONDS));

        System.out.println(Json.write(report));
        System.out.flush();
        consumer.shutdown();
        producer.shutdown();
        wrong.shutdown();
        admin.shutdown();
        System.exit(0);
    }

    private static AclClientRPCHook hook(String accessKey, String secretKey) {
        return new AclClientRPCHook(new SessionCredentials(accessKey, secretKey));
    }

    private static DefaultMQProducer producer(String group, String user, String password, String namesrv) throws Exception {
        DefaultMQProducer producer = new DefaultMQProducer(group, hook(user, password));
        producer.setNamesrvAddr(namesrv);
        producer.setInstanceName(group + "-" + ProcessHandle.current().pid());
        producer.setSendMsgTimeout(10_000);
        producer.setRetryTimesWhenSendFailed(0);
        producer.start();
        return producer;
    }

    /** The refusal of one send: {code, remark} of the broker's answer, or what else happened. */
    private static Map<String, Object> refusal(DefaultMQProducer producer, String topic) {
        Map<String, Object> out = new LinkedHashMap<>();
        try {
            out.put("sent", producer.send(new Message(topic, "x".getBytes(StandardCharsets.UTF_8))).getSendStatus().name());
        } catch (Exception e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof MQBrokerException) {
                    out.put("code", ((MQBrokerException) t).getResponseCode());
                    out.put("remark", ((MQBrokerException) t).getErrorMessage());
                    return out;
                }
            }
            out.put("error", e.toString());
        }
        return out;
    }
}

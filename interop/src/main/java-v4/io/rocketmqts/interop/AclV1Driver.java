package io.rocketmqts.interop;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
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
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.common.DataVersion;
import org.apache.rocketmq.common.PlainAccessConfig;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.protocol.body.ClusterAclVersionInfo;
import org.apache.rocketmq.remoting.RPCHook;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

/**
 * The ACL 1.0 matrix with RocketMQ 4.9.x's own clients (AclClientRPCHook, DefaultMQAdminExt), in one JVM, against
 * whichever broker --broker is: an account sends to its topic and is refused --denied; a wrong secret and no
 * credentials are refused; the account cannot create a topic; the admin account creates an account with
 * updateAclConfig, which then sends; clusterAclConfigVersion; deleteAclConfig, after which that account is refused;
 * the account's push consumer receives the first message. Prints one JSON object, each step's outcome
 * ({"ok":...} or {"code":N,"remark":"..."}) under its name.
 *
 * --namesrv ADDR --broker ADDR --user AK:SK --admin AK:SK --topic T --denied T --group G [--timeout-ms 60000]
 */
public final class AclV1Driver {
    private AclV1Driver() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        args.applyRemotingDefaults();
        String namesrv = args.require("namesrv");
        String broker = args.require("broker");
        String[] user = args.require("user").split(":", 2);
        String[] admin = args.require("admin").split(":", 2);
        String topic = args.require("topic");
        String denied = args.require("denied");
        Map<String, Object> out = new LinkedHashMap<>();
        String key = "acl-v1-java-" + System.nanoTime();

        out.put("send", send(namesrv, "PID_J_USER", hook(user[0], user[1]), topic, key));
        out.put("sendDenied", send(namesrv, "PID_J_USER2", hook(user[0], user[1]), denied, null));
        out.put("wrongSecret", send(namesrv, "PID_J_WRONG", hook(user[0], "not-the-secret"), topic, null));
        out.put("noCredentials", send(namesrv, "PID_J_NONE", null, topic, null));
        out.put("createTopicAsUser", admin(namesrv, hook(user[0], user[1]), a -> {
            TopicConfig config = new TopicConfig("AclV1JavaByUser", 1, 1, 6);
            a.createAndUpdateTopicConfig(broker, config);
            return "created";
        }));

        // QUERY_MESSAGE (12): 4.9.4+ clients sign the _UNIQUE_KEY_QUERY ext field they add, which a 4.9.8 broker
        // leaves out of the content it checks.
        out.put("queryByKey", admin(namesrv, hook(user[0], user[1]), a -> a.queryMessage(topic, key, 32, 0, Long.MAX_VALUE).getMessageList().size()));

        RPCHook adminHook = hook(admin[0], admin[1]);
        out.put("updateAclConfig", admin(namesrv, adminHook, a -> {
            PlainAccessConfig config = new PlainAccessConfig();
            config.setAccessKey("java-newcomer");
            config.setSecretKey("java-newcomer-secret");
            config.setAdmin(false);
            config.setDefaultTopicPerm("PUB");
            config.setTopicPerms(Arrays.asList(denied + "=DENY"));
            a.createAndUpdatePlainAccessConfig(broker, config);
            return "updated";
        }));
        out.put("sendAsNewcomer", send(namesrv, "PID_J_NEW", hook("java-newcomer", "java-newcomer-secret"), topic, null));
        out.put("sendDeniedAsNewcomer", send(namesrv, "PID_J_NEW2", hook("java-newcomer", "java-newcomer-secret"), denied, null));
        out.put("clusterAclConfigVersion", admin(namesrv, adminHook, a -> {
            ClusterAclVersionInfo info = a.examineBrokerClusterAclVersionInfo(broker);
            Map<String, Object> versions = new LinkedHashMap<>();
            for (Map.Entry<String, DataVersion> e : info.getAllAclConfigDataVersion().entrySet()) {
                versions.put(e.getKey(), e.getValue().getCounter().get());
            }
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("brokerName", info.getBrokerName());
            result.put("clusterName", info.getClusterName());
            result.put("versions", versions);
            return result;
        }));
        out.put("deleteAclConfig", admin(namesrv, adminHook, a -> {
            a.deletePlainAccessConfig(broker, "java-newcomer");
            return "deleted";
        }));
        out.put("sendAfterDelete", send(namesrv, "PID_J_NEW3", hook("java-newcomer", "java-newcomer-secret"), topic, null));
        out.put("consume", consume(namesrv, args.require("group"), hook(user[0], user[1]), topic, key, args.getInt("timeout-ms", 60_000)));
        System.out.println(Json.write(out));
        System.out.flush();
        System.exit(0);
    }

    private static RPCHook hook(String accessKey, String secretKey) {
        return new AclClientRPCHook(new SessionCredentials(accessKey, secretKey));
    }

    private static Map<String, Object> send(String namesrv, String group, RPCHook hook, String topic, String key) {
        DefaultMQProducer producer = hook == null ? new DefaultMQProducer(group) : new DefaultMQProducer(group, hook);
        producer.setNamesrvAddr(namesrv);
        producer.setSendMsgTimeout(10_000);
        producer.setRetryTimesWhenSendFailed(0);
        try {
            producer.start();
            Message msg = new Message(topic, "TagA", "acl v1".getBytes(StandardCharsets.UTF_8));
            if (key != null) msg.setKeys(key);
            return ok(producer.send(msg).getSendStatus().name());
        } catch (Exception e) {
            return failure(e);
        } finally {
            producer.shutdown();
        }
    }

    private interface AdminCall {
        Object call(DefaultMQAdminExt admin) throws Exception;
    }

    private static Map<String, Object> admin(String namesrv, RPCHook hook, AdminCall call) {
        DefaultMQAdminExt admin = new DefaultMQAdminExt(hook, 10_000);
        admin.setNamesrvAddr(namesrv);
        admin.setInstanceName("acl-v1-admin-" + System.nanoTime());
        try {
            admin.start();
            return ok(call.call(admin));
        } catch (Exception e) {
            return failure(e);
        } finally {
            admin.shutdown();
        }
    }

    private static Map<String, Object> consume(String namesrv, String group, RPCHook hook, String topic, String key, int timeoutMs) {
        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(group, hook, new AllocateMessageQueueAveragely());
        consumer.setNamesrvAddr(namesrv);
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        CountDownLatch received = new CountDownLatch(1);
        consumer.registerMessageListener((MessageListenerConcurrently) (msgs, context) -> {
            for (MessageExt msg : msgs) if (key.equals(msg.getKeys())) received.countDown();
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        try {
            consumer.subscribe(topic, "*");
            consumer.start();
            return ok(received.await(timeoutMs, TimeUnit.MILLISECONDS));
        } catch (Exception e) {
            return failure(e);
        } finally {
            consumer.shutdown();
        }
    }

    private static Map<String, Object> ok(Object value) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("ok", value);
        return result;
    }

    /**
     * The broker's answer a failure carries: an MQBrokerException anywhere in the chain (a send wraps it in an
     * MQClientException "Send [1] times, still failed"), else an MQClientException with a code, else its text.
     */
    private static Map<String, Object> failure(Throwable e) {
        Map<String, Object> result = new LinkedHashMap<>();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MQBrokerException) {
                result.put("code", ((MQBrokerException) t).getResponseCode());
                result.put("remark", ((MQBrokerException) t).getErrorMessage());
                return result;
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MQClientException && ((MQClientException) t).getResponseCode() > 0) {
                result.put("code", ((MQClientException) t).getResponseCode());
                result.put("remark", ((MQClientException) t).getErrorMessage());
                return result;
            }
        }
        result.put("error", e.toString());
        return result;
    }
}

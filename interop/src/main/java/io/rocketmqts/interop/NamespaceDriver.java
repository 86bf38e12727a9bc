package io.rocketmqts.interop;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.rocketmq.client.ClientConfig;

/**
 * Evaluates namespace cases with the RocketMQ version under test: NamespaceUtil (org.apache.rocketmq.remoting.protocol
 * in 5.x, org.apache.rocketmq.common.protocol in 4.9.x, found by reflection so that one source serves both) and
 * ClientConfig's name-server endpoint handling. Reads the cases from a file, one per line: op, namespace, resource,
 * tab-separated, "&lt;null&gt;" for null (test/fixtures/namespace-cases.ts writes it); prints one JSON line per case,
 * {"op", "namespace", "resource", "result"}, then "DONE n".
 *
 * --cases FILE
 */
public final class NamespaceDriver {
    private static final String NULL = "<null>";

    private NamespaceDriver() {
    }

    public static void main(String[] argv) throws Exception {
        Args args = new Args(argv);
        List<String> lines = Files.readAllLines(Paths.get(args.require("cases")), StandardCharsets.UTF_8);
        Class<?> util = namespaceUtil();
        Method wrap = util.getMethod("wrapNamespace", String.class, String.class);
        Method unwrap = util.getMethod("withoutNamespace", String.class, String.class);
        Method unwrapAny = util.getMethod("withoutNamespace", String.class);
        Method isAlready = util.getMethod("isAlreadyWithNamespace", String.class, String.class);
        Method retry = util.getMethod("wrapNamespaceAndRetry", String.class, String.class);
        Method namespaceOf = util.getMethod("getNamespaceFromResource", String.class);
        // public in 5.x, private in 4.9.x
        Method strip = util.getDeclaredMethod("withOutRetryAndDLQ", String.class);
        strip.setAccessible(true);
        int count = 0;
        for (String line : lines) {
            if (line.isEmpty()) {
                continue;
            }
            String[] fields = line.split("\t", -1);
            String op = fields[0];
            String namespace = NULL.equals(fields[1]) ? null : fields[1];
            String resource = NULL.equals(fields[2]) ? null : fields[2];
            Object result;
            switch (op) {
                case "wrap":
                    result = wrap.invoke(null, namespace, resource);
                    break;
                case "unwrap":
                    result = unwrap.invoke(null, resource, namespace);
                    break;
                case "unwrapAny":
                    result = unwrapAny.invoke(null, resource);
                    break;
                case "isAlready":
                    result = isAlready.invoke(null, resource, namespace);
                    break;
                case "retry":
                    result = retry.invoke(null, namespace, resource);
                    break;
                case "namespaceOf":
                    result = namespaceOf.invoke(null, resource);
                    break;
                case "strip":
                    result = strip.invoke(null, resource);
                    break;
                case "endpoint": {
                    ClientConfig config = new ClientConfig();
                    config.setNamesrvAddr(resource);
                    result = config.getNamespace();
                    break;
                }
                case "namesrv": {
                    ClientConfig config = new ClientConfig();
                    config.setNamesrvAddr(resource);
                    result = config.getNamesrvAddr();
                    break;
                }
                default:
                    throw new IllegalArgumentException("unknown op " + op);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("op", op);
            out.put("namespace", namespace);
            out.put("resource", resource);
            out.put("result", result);
            System.out.println(Json.write(out));
            count++;
        }
        System.out.println("DONE " + count);
    }

    private static Class<?> namespaceUtil() throws ClassNotFoundException {
        try {
            return Class.forName("org.apache.rocketmq.remoting.protocol.NamespaceUtil");
        } catch (ClassNotFoundException e) {
            return Class.forName("org.apache.rocketmq.common.protocol.NamespaceUtil");
        }
    }
}

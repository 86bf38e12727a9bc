package io.rocketmqts.interop;

import java.util.HashMap;
import java.util.Map;

/** Command line of the form {@code --name value ... --flag}; a name not followed by a value is a flag. */
final class Args {
    private final Map<String, String> values = new HashMap<>();

    Args(String[] argv) {
        for (int i = 0; i < argv.length; i++) {
            if (!argv[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + argv[i]);
            }
            String name = argv[i].substring(2);
            if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) {
                values.put(name, argv[++i]);
            } else {
                values.put(name, "true");
            }
        }
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    String get(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    String require(String name) {
        String value = values.get(name);
        if (value == null) {
            throw new IllegalArgumentException("missing --" + name);
        }
        return value;
    }

    int getInt(String name, int fallback) {
        return values.containsKey(name) ? Integer.parseInt(values.get(name)) : fallback;
    }

    /**
     * Applies --serialize JSON|ROCKETMQ and makes requests carry this release's version number, as Java clients and
     * servers do. Must run before RemotingCommand is loaded: both settings are read once, at class initialisation.
     */
    void applyRemotingDefaults() {
        System.setProperty("rocketmq.serialize.type", get("serialize", "JSON"));
        System.setProperty("rocketmq.remoting.version",
            String.valueOf(org.apache.rocketmq.common.MQVersion.CURRENT_VERSION));
    }
}

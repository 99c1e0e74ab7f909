package io.otaflow.topology;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the topology until stopped: settings from the environment ({@code OTAFLOW_TOPOLOGY_*})
 * and arguments {@code key=value} (e.g. {@code otaflow.topology.kafka.bootstrap=127.0.0.1:9092}).
 */
public final class TopologyMain {
    private TopologyMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        Map<String, Object> overrides = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 1) {
                System.err.println("arguments are key=value settings, not: " + arg);
                System.exit(2);
            }
            overrides.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        TopologyApp app = new TopologyApp(TopologyConfig.fromEnvironment(System.getenv(), overrides)).start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.close();
            stopped.countDown();
        }, "otaflow-topology-shutdown"));
        stopped.await();
    }
}

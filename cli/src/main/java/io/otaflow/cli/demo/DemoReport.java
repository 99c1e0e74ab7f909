package io.otaflow.cli.demo;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.otaflow.bridge.akri.Akri;
import io.otaflow.devstack.Kubectl;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** The end of a demo run in words: versions before and after, results, durations, and the Instances as kubectl shows them. */
public final class DemoReport {
    private static final double MEANINGFUL_BOUND_SECONDS = 1.0;

    private DemoReport() {
    }

    public static void print(PrintWriter out, DemoSummary s, KubernetesClient kubernetes, Path kubeconfig, int maxRows)
            throws InterruptedException {
        out.println();
        out.println("Firmware            before   after");
        for (String version : new TreeSet<>(union(s.versionsBefore(), s.versionsAfter()))) {
            out.printf("  %-16s %7d %7d%n", version, s.versionsBefore().getOrDefault(version, 0), s.versionsAfter().getOrDefault(version, 0));
        }
        out.println();
        out.printf("Results             %d devices: %d updated, %d held (locked), %d not updated, %d rolled back, %d skipped, rollout %s%n",
                s.devices(), s.updated(), s.locked(), s.failed(), s.rolledBack(), s.skipped(), s.rolloutState());
        s.failuresByCode().forEach((code, n) -> out.printf("  not updated: %-22s %d%n", code, n));
        s.operatorResumes().forEach(why -> out.println("  operator: " + why));
        out.printf("Flash duration      p50 %.1f s   p95 %.1f s%n", s.flashP50Seconds(), s.flashP95Seconds());
        if (s.noBootVerdicts() > 0) {
            out.printf("No-boot verdicts    %d, the slowest %.1f s after the boot request (the app boots in %.1f s)%n",
                    s.noBootVerdicts(), s.noBootVerdictMaxSeconds(), s.deviceBootSeconds());
        }
        if (s.deviceBoundSeconds() < MEANINGFUL_BOUND_SECONDS) {
            // fast timing: the devices need next to nothing, and a ratio to that says nothing
            out.printf("Wall time           %.1f s from the Configuration change (device-bound lower bound under %.0f s: no ratio)%n",
                    s.wallSeconds(), MEANINGFUL_BOUND_SECONDS);
        } else {
            out.printf("Wall time           %.1f s from the Configuration change (device-bound lower bound %.1f s, ratio %.2f)%n",
                    s.wallSeconds(), s.deviceBoundSeconds(), s.wallSeconds() / s.deviceBoundSeconds());
        }
        out.printf("Duplicate commands  %d%n", s.duplicateCommands());
        out.println();
        out.println("$ kubectl get akrii");
        Kubectl.Result table = kubeconfig == null ? new Kubectl.Result(Kubectl.NOT_INSTALLED, "")
                : Kubectl.run(kubeconfig, "get", "akrii", "-n", DemoRun.NAMESPACE);
        if (table.exit() == 0) {
            table.lines().stream().limit(maxRows + 1L).forEach(out::println);
            if (table.lines().size() > maxRows + 1) {
                out.printf("... and %d more (otaflow devices lists them all)%n", table.lines().size() - maxRows - 1);
            }
        } else {
            out.println(table.exit() == Kubectl.NOT_INSTALLED ? "(no kubectl here: otaflow's rendering of the same columns)"
                    : "(kubectl failed, exit " + table.exit() + ": " + String.join(" ", table.lines()) + "; otaflow's rendering instead)");
            printInstances(out, kubernetes, DemoRun.NAMESPACE, maxRows);
        }
        out.println();
        if (s.passed()) {
            out.println("✔ every healthy unlocked device runs blink 1.1.0, no locked device was touched, every failure is explained, no duplicate commands");
        } else {
            out.println("✘ the run failed its checks:");
            if (!s.healthyMissed().isEmpty()) {
                out.println("  healthy devices not updated: " + s.healthyMissed());
            }
            if (!s.lockedTouched().isEmpty()) {
                out.println("  locked devices touched: " + s.lockedTouched());
            }
            if (!s.unexplained().isEmpty()) {
                out.println("  failures without an explanation: " + s.unexplained());
            }
            if (s.duplicateCommands() > 0) {
                out.println("  duplicate commands: " + s.duplicateCommands());
            }
        }
        out.flush();
    }

    /** Instances with the CRD's printer columns, as {@code kubectl get akrii} prints them. */
    public static void printInstances(PrintWriter out, KubernetesClient kubernetes, String namespace, int maxRows) {
        List<GenericKubernetesResource> instances = new ArrayList<>(kubernetes.genericKubernetesResources(Akri.INSTANCE)
                .inNamespace(namespace).list().getItems());
        instances.sort((a, b) -> String.valueOf(Akri.brokerProperties(a).get("DEVICE_ID")).compareTo(String.valueOf(Akri.brokerProperties(b).get("DEVICE_ID"))));
        String format = "%-20s %-12s %-7s %-10s %-9s %-8s %-7s %-20s %s%n";
        out.printf(format, "NAME", "CONFIG", "SHARED", "NODES", "FIRMWARE", "VERSION", "LOCKED", "PHASE", "TARGET");
        int rows = 0;
        for (GenericKubernetesResource instance : instances) {
            if (rows++ == maxRows) {
                out.printf("... and %d more (otaflow devices lists them all)%n", instances.size() - maxRows);
                break;
            }
            Object locked = instance.get("status", "firmware", "locked");
            Object phase = instance.get("status", "update", "phase");
            out.printf(format, instance.getMetadata().getName(), Akri.configurationName(instance), String.valueOf(instance.<Object>get("spec", "shared")),
                    String.join(",", Akri.nodes(instance)), orDash(instance.get("status", "firmware", "type")),
                    orDash(instance.get("status", "firmware", "version")),
                    orDash(locked), orDash(phase), orDash(instance.get("status", "update", "targetVersion")));
        }
    }

    private static String orDash(Object value) {
        return value == null ? "-" : value.toString();
    }

    private static List<String> union(Map<String, Integer> a, Map<String, Integer> b) {
        List<String> keys = new ArrayList<>(a.keySet());
        keys.addAll(b.keySet());
        return keys;
    }
}

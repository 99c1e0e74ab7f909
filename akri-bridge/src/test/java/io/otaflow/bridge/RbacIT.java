package io.otaflow.bridge;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.otaflow.bridge.akri.Akri;
import io.otaflow.bridge.status.StatusMode;
import io.otaflow.devstack.DevStack;
import io.otaflow.devstack.junit.SharedDevStack;
import io.otaflow.schemas.DeviceMode;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.EligibilityClass;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FlashProgress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every request the bridge sends to the API server, recorded below the fabric8 client, must be
 * allowed by the RBAC that deploy/ grants for its mode (base/akri-bridge/rbac.yaml, plus
 * components/flash-jobs or components/akri-stock-crds), and every verb granted there must be
 * used: the rules are exactly what the bridge needs. Each mode drives every path that calls the
 * API: leader election, CRD detection, informers, status, and Jobs.
 */
@ExtendWith(SharedDevStack.class)
class RbacIT {
    private static final Pattern PATH = Pattern.compile(
            "/(?:api/v1|apis/(?<group>[^/]+)/[^/]+)(?:/namespaces/(?<namespace>[^/]+))?/(?<resource>[^/]+)(?:/(?<name>[^/]+))?(?:/(?<sub>[^/]+))?");

    /** One API call, as RBAC sees it. */
    record Call(String group, String resource, String verb, String name) {
        @Override
        public String toString() {
            return verb + " " + (group.isEmpty() ? "" : group + "/") + resource + (name == null ? "" : " " + name);
        }
    }

    static final class Recorder implements Interceptor {
        final Set<Call> calls = ConcurrentHashMap.newKeySet();

        @Override
        public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
            Matcher m = PATH.matcher(request.uri().getPath());
            if (!m.matches()) {
                throw new AssertionError("unexpected API path " + request.uri());
            }
            String group = m.group("group") == null ? "" : m.group("group");
            // A namespaced path names the namespace, then the resource; "namespaces" itself is never listed here.
            String resource = m.group("resource") + (m.group("sub") == null ? "" : "/" + m.group("sub"));
            String name = m.group("name");
            String query = request.uri().getQuery() == null ? "" : request.uri().getQuery();
            String verb = switch (request.method()) {
                case "GET" -> query.contains("watch=true") ? "watch" : name == null ? "list" : "get";
                case "POST" -> "create";
                case "PUT" -> "update";
                case "PATCH" -> "patch";
                case "DELETE" -> name == null ? "deletecollection" : "delete";
                default -> request.method();
            };
            calls.add(new Call(group, resource, verb, name));
        }
    }

    private static final Path DEPLOY = Path.of("..", "deploy");

    @Test
    void withOtaflowsCrdsTheBaseRulesAreExactlyWhatTheBridgeUses(DevStack stack, @TempDir Path dir) throws Exception {
        List<Path> files = List.of(DEPLOY.resolve("base/akri-bridge/rbac.yaml"));
        check(stack, dir, "default", Map.of(), files, files);
    }

    @Test
    void jobModeNeedsExactlyTheFlashJobsComponentsRulesMore(DevStack stack, @TempDir Path dir) throws Exception {
        List<Path> files = List.of(DEPLOY.resolve("base/akri-bridge/rbac.yaml"), DEPLOY.resolve("components/flash-jobs/rbac.yaml"));
        check(stack, dir, "jobs", Map.of(BridgeConfig.JOB_MODE, true), files, files);
    }

    @Test
    void withAkrisStockCrdsTheAnnotationRuleIsNeededAndUsed(DevStack stack, @TempDir Path dir) throws Exception {
        // Forced here (the shared API has otaflow's CRDs), so the CRD lookup and /status patches of the base go unused;
        // on a stock cluster the bridge still looks the CRD up, and /status patches are refused there anyway.
        check(stack, dir, "annotations", Map.of(BridgeConfig.STATUS_MODE, "annotations"),
                List.of(DEPLOY.resolve("base/akri-bridge/rbac.yaml"), DEPLOY.resolve("components/akri-stock-crds/rbac.yaml")),
                List.of(DEPLOY.resolve("components/akri-stock-crds/rbac.yaml")));
    }

    /** Runs the bridge in one mode, recording its calls, against the rules the deploy files grant for that mode. */
    private static void check(DevStack stack, Path dir, String mode, Map<String, Object> settings, List<Path> rbacFiles,
                              List<Path> allUsed) throws Exception {
        Recorder recorder = new Recorder();
        List<PolicyRule> rules = rules(stack, rbacFiles);
        assertThat(rules).isNotEmpty();

        try (BridgeFixture fixture = new BridgeFixture(stack, () -> new KubernetesClientBuilder()
                .withConfig(stack.kubernetes().clientConfig())
                .withHttpClientBuilderConsumer(builder -> builder.addOrReplaceInterceptor("rbac-recorder", recorder))
                .build(), stack.kubernetes().newClient())) {
            byte[] bytes = "blink 1.1.0".getBytes(StandardCharsets.UTF_8);
            Path image = Files.write(dir.resolve("blink.bin"), bytes);
            String sha = ConfigurationsIT.sha256(bytes);
            Map<String, Object> all = new java.util.HashMap<>(settings);
            all.put(BridgeConfig.IDENTITY, mode);
            if (settings.containsKey(BridgeConfig.JOB_MODE)) {
                all.put(BridgeConfig.JOB_NAMESPACE, fixture.namespace);
            }
            fixture.leadingBridge(all);
            exercise(fixture, mode, image, sha);
            if (mode.equals("annotations")) {
                await().atMost(Duration.ofSeconds(20)).until(() -> {
                    var instance = fixture.get(Akri.INSTANCE, "picow-blink-" + mode);
                    return instance.getMetadata().getAnnotations() != null && instance.getMetadata().getAnnotations().containsKey(StatusMode.ANNOTATION);
                });
            }
        }

        Set<String> denied = new TreeSet<>();
        Set<String> used = new TreeSet<>();
        for (Call call : recorder.calls) {
            boolean allowed = false;
            for (PolicyRule rule : rules) {
                if (allows(rule, call)) {
                    allowed = true;
                    used.add(grant(rule, call.resource(), call.verb()));
                }
            }
            if (!allowed) {
                denied.add(call.toString());
            }
        }
        Set<String> granted = new TreeSet<>();
        for (PolicyRule rule : rules(stack, allUsed)) {
            for (String resource : rule.getResources()) {
                for (String verb : rule.getVerbs()) {
                    granted.add(grant(rule, resource, verb));
                }
            }
        }
        System.out.println("bridge API calls (" + mode + "): " + new TreeSet<>(recorder.calls.stream().map(Call::toString).toList()));
        assertThat(denied).as("calls the RBAC rules of " + rbacFiles + " do not allow").isEmpty();
        granted.removeAll(used);
        assertThat(granted).as("grants of " + allUsed + " the bridge never uses in " + mode + " mode").isEmpty();
    }

    private static List<PolicyRule> rules(DevStack stack, List<Path> files) throws Exception {
        List<PolicyRule> rules = new ArrayList<>();
        try (KubernetesClient reader = stack.kubernetes().newClient()) {
            for (Path file : files) {
                try (InputStream in = Files.newInputStream(file)) {
                    for (HasMetadata item : reader.load(in).items()) {
                        if (item instanceof ClusterRole role) {
                            rules.addAll(role.getRules());
                        } else if (item instanceof Role role) {
                            rules.addAll(role.getRules());
                        }
                    }
                }
            }
        }
        return rules;
    }

    private static void exercise(BridgeFixture fixture, String suffix, Path image, String sha) {
        String configuration = "picow-blink-" + suffix;
        fixture.create(Akri.CONFIGURATION, ConfigurationsIT.firmwareConfiguration(configuration, "1.1.0", image, sha, ""));
        fixture.create(Akri.INSTANCE, InstancesIT.instance("picow-blink-" + suffix, configuration, Map.of("DEVICE_ID", "pico-" + suffix,
                "HOST_ENDPOINT", "http://127.10.0.9:8080")));
        fixture.produce(fixture.topics.deviceState(), "pico-" + suffix, DeviceState.newBuilder().setDeviceId("pico-" + suffix).setOnline(true)
                .setMode(DeviceMode.APP).setConfiguration(fixture.key(configuration)).setFirmware(new FirmwareRef("blink", "1.0.0"))
                .setLastSeen(Instant.now()).setEligibility(EligibilityClass.ELIGIBLE).build());
        String commandId = "cmd-" + suffix;
        fixture.produce(fixture.topics.flashCommands(), "pico-" + suffix, JobModeIT.command(commandId, fixture.key(configuration)));
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            var status = fixture.get(Akri.CONFIGURATION, configuration);
            return status.getAdditionalProperties().get("status") != null
                    || (status.getMetadata().getAnnotations() != null && status.getMetadata().getAnnotations().containsKey(StatusMode.ANNOTATION));
        });
        fixture.produce(fixture.topics.flashProgress(), "pico-" + suffix, FlashProgress.newBuilder().setCommandId(commandId)
                .setDeviceId("pico-" + suffix).setPhase(FlashPhase.SUCCEEDED).setTerminal(true).setWorker("job").setAt(Instant.now()).build());
        await().atMost(Duration.ofSeconds(20)).until(fixture::bridgeIdle);
    }

    private static boolean allows(PolicyRule rule, Call call) {
        return rule.getApiGroups().contains(call.group())
                && rule.getResources().contains(call.resource())
                && rule.getVerbs().contains(call.verb())
                && (rule.getResourceNames() == null || rule.getResourceNames().isEmpty() || rule.getResourceNames().contains(call.name()));
    }

    private static String grant(PolicyRule rule, String resource, String verb) {
        return String.join(",", rule.getApiGroups()) + " " + resource + " " + verb;
    }
}

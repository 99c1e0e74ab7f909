package io.otaflow.deploy;

import io.otaflow.bridge.BridgeConfig;
import io.otaflow.cli.Otaflow;
import io.otaflow.connectors.discovery.DiscoveryHandlerConfig;
import io.otaflow.flasher.FlasherWorkerConfig;
import io.otaflow.schemas.config.KafkaClientSecurity;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import io.otaflow.topology.TopologyConfig;
import org.apache.kafka.common.config.ConfigDef;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What each otaflow service reads, taken from the code itself: the {@code ConfigDef} of the
 * service (each key doubles as an environment variable) and the {@code ${env:...}} defaults of the
 * command's options. A manifest that sets anything else sets nothing.
 */
final class ServiceContracts {
    private static final Pattern ENV_DEFAULT = Pattern.compile("\\$\\{env:([A-Z0-9_]+)");
    /** Platform variables a service reads in place of one of its keys (EnvironmentSettings aliases). */
    private static final Map<String, Set<String>> PLATFORM_VARIABLES = Map.of(
            "discover", Set.of("DISCOVERY_HANDLERS_DIRECTORY", "POD_IP", "AGENT_NODE_NAME"),
            "bridge", Set.of("POD_NAME", "POD_NAMESPACE"),
            "worker", Set.of("HOSTNAME"),
            "topology", Set.of());

    private ServiceContracts() {
    }

    /** The service's settings definition, by its command name. */
    static Optional<ConfigDef> definition(String command) {
        return Optional.ofNullable(switch (command) {
            case "topology" -> TopologyConfig.DEFINITION;
            case "worker" -> FlasherWorkerConfig.DEFINITION;
            case "bridge" -> BridgeConfig.DEFINITION;
            case "discover" -> DiscoveryHandlerConfig.DEFINITION;
            default -> null;
        });
    }

    static String variable(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    /** Parses a container's args as the otaflow command would; throws picocli's error for a bad one. */
    static CommandSpec command(java.util.List<String> args) {
        ParseResult result = Otaflow.commandLine().parseArgs(args.toArray(String[]::new));
        if (!result.hasSubcommand()) {
            throw new CommandLine.ParameterException(Otaflow.commandLine(), "no otaflow command in " + args);
        }
        return result.subcommand().commandSpec();
    }

    /** Every environment variable the command reads, mapped to what reads it. */
    static Map<String, String> variables(CommandSpec command) {
        Map<String, String> variables = new HashMap<>();
        for (ArgSpec arg : command.args()) {
            String raw = arg.defaultValueString(false);
            if (raw != null) {
                Matcher m = ENV_DEFAULT.matcher(raw);
                while (m.find()) {
                    variables.put(m.group(1), "option " + (arg.isOption() ? ((CommandLine.Model.OptionSpec) arg).longestName() : arg.paramLabel()));
                }
            }
        }
        definition(command.name()).ifPresent(def -> def.names().forEach(key -> variables.put(variable(key), "setting " + key)));
        PLATFORM_VARIABLES.getOrDefault(command.name(), Set.of()).forEach(v -> variables.put(v, "platform variable"));
        variables.put("JDK_JAVA_OPTIONS", "the java launcher (heap size)");
        KafkaClientSecurity.variables().forEach(v -> variables.put(v, "Kafka client security setting"));
        variables.put(SchemaRegistryClient.BASIC_AUTH_VARIABLE, "registry credentials");
        return variables;
    }

    /** Checks literal values against the service's ConfigDef (types, ranges, choices); returns the problems. */
    static Set<String> invalidValues(CommandSpec command, Map<String, String> literalEnv) {
        Set<String> problems = new TreeSet<>();
        definition(command.name()).ifPresent(def -> def.configKeys().forEach((key, spec) -> {
            String value = literalEnv.get(variable(key));
            if (value != null) {
                try {
                    Object parsed = ConfigDef.parseType(key, value, spec.type);
                    if (spec.validator != null) {
                        spec.validator.ensureValid(key, parsed);
                    }
                } catch (RuntimeException e) {
                    problems.add(variable(key) + "=" + value + ": " + e.getMessage());
                }
            }
        }));
        return problems;
    }
}

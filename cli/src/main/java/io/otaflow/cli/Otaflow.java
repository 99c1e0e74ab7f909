package io.otaflow.cli;

import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code otaflow} command: the embedded platform today; demo, simulate, flash and operator commands join it. */
@Command(name = "otaflow",
        mixinStandardHelpOptions = true,
        versionProvider = Otaflow.Version.class,
        description = "Cloud-native, event-driven firmware updates for IoT fleets.",
        subcommands = {DemoCommand.class, UpCommand.class, SimulateCommand.class, FirmwareCommand.class, DiscoverCommand.class, TopologyCommand.class, BridgeCommand.class, WorkerCommand.class, FlashCommandLine.class, DevicesCommand.class, DeviceCommand.class, RolloutCommand.class, TopicsCommand.class, CommandLine.HelpCommand.class})
public final class Otaflow {

    public static void main(String[] args) {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        System.exit(commandLine().execute(args));
    }

    /** The command tree, shared by main and the tests. */
    public static CommandLine commandLine() {
        return new CommandLine(new Otaflow())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println(cmd.getColorScheme().errorText("otaflow: " + e.getMessage()));
                    return 1;
                });
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Otaflow.class.getPackage().getImplementationVersion();
            return new String[] {"otaflow " + (version == null ? "(development build)" : version)};
        }
    }
}

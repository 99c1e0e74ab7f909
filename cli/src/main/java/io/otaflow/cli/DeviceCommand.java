package io.otaflow.cli;

import io.otaflow.schemas.DeviceAction;
import io.otaflow.schemas.DeviceControl;
import io.otaflow.schemas.DeviceState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.concurrent.Callable;

/** {@code otaflow device}: instructions about one device. */
@Command(name = "device", mixinStandardHelpOptions = true, description = "Instructions about one device.",
        subcommands = {DeviceCommand.Unblock.class})
final class DeviceCommand {
    @Command(name = "unblock", mixinStandardHelpOptions = true,
            description = "Let a device out of the penalty box now (policy.penaltyBox) and forget its failure count.")
    static final class Unblock implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Connection connection;

        @Parameters(index = "0", paramLabel = "DEVICE", description = "Device id.")
        String deviceId;

        @Option(names = "--by", defaultValue = "${sys:user.name}", description = "Who asks, for the audit trail (default: your user name).")
        String by;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            DeviceState known = connection.table(connection.topics().deviceState()).get(deviceId);
            if (known == null) {
                spec.commandLine().getErr().printf("no device '%s' in otaflow's device-state table%n", deviceId);
                return 1;
            }
            connection.publish(connection.topics().deviceControl(), deviceId, DeviceControl.newBuilder().setDeviceId(deviceId)
                    .setAction(DeviceAction.UNBLOCK).setRequestedBy(by == null ? "operator" : by).setAt(Instant.now()).build());
            out.printf("unblock: asked for %s (%s); the rollout gate admits it again at once%n", deviceId,
                    known.getConfiguration() == null ? "no Configuration" : known.getConfiguration());
            out.flush();
            return 0;
        }
    }
}

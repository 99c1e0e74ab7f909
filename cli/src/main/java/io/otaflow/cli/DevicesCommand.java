package io.otaflow.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.FlashSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code otaflow devices}: the fleet as the topology sees it (the compacted device-state table). */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "List devices from otaflow's device-state table: online, mode, firmware, lock, eligibility and the current update.")
final class DevicesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Connection connection;

    @Option(names = "--config", description = "Only devices of this Configuration (namespace/name, or name in default).")
    String configuration;

    @Option(names = "--version", description = "Only devices running this firmware version.")
    String version;

    @Override
    public Integer call() {
        boolean json = connection.json();
        PrintWriter out = spec.commandLine().getOut();
        List<Map<String, Object>> rows = new ArrayList<>();
        String wanted = configuration == null ? null : Connection.configurationKey(configuration);
        for (DeviceState device : connection.table(connection.topics().deviceState()).values()) {
            if (wanted != null && !wanted.equals(device.getConfiguration())) {
                continue;
            }
            if (version != null && (device.getFirmware() == null || !version.equals(device.getFirmware().getFirmwareVersion()))) {
                continue;
            }
            rows.add(row(device));
        }
        rows.sort((a, b) -> String.valueOf(a.get("device")).compareTo(String.valueOf(b.get("device"))));
        if (json) {
            out.println(Json.write(rows));
        } else {
            String format = "%-14s %-22s %-7s %-11s %-9s %-8s %-7s %-18s %-20s %s%n";
            out.printf(format, "DEVICE", "CONFIG", "ONLINE", "MODE", "FIRMWARE", "VERSION", "LOCKED", "ELIGIBILITY", "UPDATE", "TARGET");
            for (Map<String, Object> r : rows) {
                out.printf(format, r.get("device"), dash(r.get("configuration")), r.get("online"), r.get("mode"), dash(r.get("firmwareType")),
                        dash(r.get("firmwareVersion")), r.get("locked"), dash(r.get("eligibility")), dash(r.get("updatePhase")), dash(r.get("targetVersion")));
            }
            out.printf("%d devices%n", rows.size());
        }
        out.flush();
        return 0;
    }

    static Map<String, Object> row(DeviceState device) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("device", device.getDeviceId());
        row.put("configuration", device.getConfiguration());
        row.put("online", device.getOnline());
        row.put("mode", device.getMode().name());
        row.put("firmwareType", device.getFirmware() == null ? null : device.getFirmware().getFirmwareType());
        row.put("firmwareVersion", device.getFirmware() == null ? null : device.getFirmware().getFirmwareVersion());
        row.put("locked", device.getLocked());
        row.put("eligibility", device.getEligibility() == null ? null : device.getEligibility().name());
        FlashSummary flash = device.getCurrentFlash();
        row.put("updatePhase", flash == null ? null : flash.getPhase().name());
        row.put("targetVersion", flash == null ? null : flash.getTarget().getFirmwareVersion());
        row.put("lastError", flash == null || flash.getLastError() == null ? null : flash.getLastError().getCode().name());
        row.put("endpoint", device.getEndpoint());
        row.put("lastSeen", device.getLastSeen().toString());
        return row;
    }

    static String dash(Object value) {
        return value == null ? "-" : value.toString();
    }

    /** JSON for scripts: stable field names, pretty-printed. */
    static final class Json {
        private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

        static String write(Object value) {
            try {
                return MAPPER.writeValueAsString(value);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}

package io.otaflow.cli;

import io.otaflow.picowota.AppImage;
import io.otaflow.picowota.ElfImage;
import io.otaflow.simulators.fleet.FaultPlan;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code otaflow firmware ...}: firmware images. */
@Command(name = "firmware", mixinStandardHelpOptions = true, description = "Firmware images.",
        subcommands = {FirmwareCommand.Build.class, FirmwarePublishCommand.class})
final class FirmwareCommand {

    @Command(name = "build", mixinStandardHelpOptions = true,
            description = "Write a Pico W application image (vector table, binary info with program name and version, "
                    + "padding), as a raw .bin linked at --base or as an ELF (by the output's extension).")
    static final class Build implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--type", required = true, description = "Firmware type: the program name in binary info (e.g. blink).")
        String type;

        @Option(names = "--version", required = true, description = "Program version string (e.g. 1.2.0).")
        String version;

        @Option(names = "--size", defaultValue = "256KiB", description = "Image size, e.g. 600KiB (default: ${DEFAULT-VALUE}).")
        String size;

        @Option(names = {"-o", "--output"}, required = true, description = "Output file; *.elf writes an ELF, anything else a raw .bin.")
        Path output;

        @Option(names = "--base", defaultValue = "0x1005B000", description = "Link address (default: ${DEFAULT-VALUE}, picowota's app start on a Pico W).")
        String base;

        @Option(names = "--also-elf", description = "Also write the ELF beside a .bin (same name, .elf).")
        boolean alsoElf;

        @Option(names = "--defect", defaultValue = "none",
                description = "Break the image on purpose: none, bad-vector-table (SEAL refuses it), no-binary-info (boots, reports no version).")
        String defect;

        @Override
        public Integer call() throws Exception {
            long bytes = FaultPlan.bytes(size, size);
            if (bytes < 1024 || bytes > 0x1A5000) {
                throw new IllegalArgumentException("--size must be between 1KiB and the Pico W's app window of 1684KiB, not " + size);
            }
            int address = (int) Long.decode(base).longValue();
            AppImage.Defect kind = AppImage.Defect.valueOf(defect.toUpperCase(Locale.ROOT).replace('-', '_'));
            byte[] image = AppImage.build(type, version, (int) bytes, address, kind);
            boolean elf = output.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".elf");
            byte[] written = elf ? ElfImage.write(image, address) : image;
            Files.write(output, written);
            PrintWriter out = spec.commandLine().getOut();
            out.printf("wrote %s: %s %s, %d bytes, %s, base 0x%08X, sha256 %s%n", output, type, version, written.length,
                    elf ? "ELF" : "raw bin", address, sha256(written));
            if (alsoElf && !elf) {
                Path elfPath = output.resolveSibling(output.getFileName().toString().replaceFirst("\\.[^.]*$", "") + ".elf");
                byte[] elfBytes = ElfImage.write(image, address);
                Files.write(elfPath, elfBytes);
                out.printf("wrote %s: ELF, %d bytes, sha256 %s%n", elfPath, elfBytes.length, sha256(elfBytes));
            }
            return 0;
        }
    }

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}

package io.otaflow.flasher;

import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.FlashCommand;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class DowngradeGuardTest {
    @ParameterizedTest(name = "[{index}] {0} {1} -> {2} (rollback {3}, allowed {4}): refused {5}")
    @CsvSource({
            "blink, 1.2.0,  1.1.0,  false, false, true",
            "blink, 1.2.0,  1.1.0,  true,  false, false",   // a rollback puts it back
            "blink, 1.2.0,  1.1.0,  false, true,  false",   // the policy allows it
            "blink, 1.0.0,  1.1.0,  false, false, false",
            "blink, 1.1.0,  1.1.0,  false, false, false",
            "blink, 1.1.0,  1.1.0-rc.1, false, false, true", // a pre-release comes before its release
            "blink, latest, 1.1.0,  false, false, false",   // no order: not a downgrade
            "other, 9.0.0,  1.1.0,  false, false, false",   // another type: the type rule decides
    })
    void olderTargetsAreRefusedUnlessRolledBackOrAllowed(String runningType, String running, String target, boolean rollback,
                                                         boolean allowed, boolean refused) {
        FlashCommand command = FlashCommand.newBuilder(DeviceAddressesTest.command("http://127.0.0.1", null))
                .setTo(new FirmwareRef("blink", target)).setRollback(rollback).setAllowDowngrade(allowed).build();
        assertThat(DowngradeGuard.refuses(command, runningType, running)).isEqualTo(refused);
    }
}

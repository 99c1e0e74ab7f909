package io.otaflow.flasher;

import io.otaflow.schemas.FirmwareImage;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.FlashCommand;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class SupersessionTest {
    private static FlashCommand command(long epoch, long generation, long issuedAt, boolean rollback) {
        return FlashCommand.newBuilder().setCommandId("c").setDeviceId("d").setEndpoint("http://d").setConfiguration("ns/c")
                .setEpoch(epoch).setGeneration(generation).setTo(new FirmwareRef("blink", "1.1.0"))
                .setImage(FirmwareImage.newBuilder().setUri("file:///x").setSha256("00").setSize(1).build())
                .setDeadline(Instant.ofEpochMilli(issuedAt + 60_000)).setIssuedAt(Instant.ofEpochMilli(issuedAt)).setRollback(rollback).build();
    }

    @ParameterizedTest(name = "[{index}] {0} then command epoch {1} gen {2} issued {3} -> superseded {4}, a rollback {5}")
    @CsvSource({
            "'',            5, 1, 100, false, false",  // nothing known
            "'p5:2',        5, 1, 100, true, true",   // older generation
            "'p5:2',        5, 2, 100, false, false",
            "'p5:2',        5, 3, 100, false, false",  // newer than known
            "'p5:2',        4, 9, 100, true, true",   // older epoch, whatever its generation
            "'p5:2',        6, 1, 100, false, false",  // created again: a later epoch the worker has not read yet
            "'p5:2,t200',   5, 2, 100, true, false",   // withdrawn after it was issued
            "'p5:2,t200',   6, 1, 300, false, false",  // the key created again after the tombstone
            "'t200',        5, 2, 100, true, false",   // compaction left only the tombstone
            "'p5:2,t200,p6:1', 5, 2, 150, true, true",
            "'p5:2,t200,p6:1', 6, 1, 300, false, false",
            "'p6:1,p5:9',   6, 1, 300, false, false",  // a late record of an older epoch changes nothing
    })
    void commandsOfEarlierOrWithdrawnRolloutsAreSuperseded(String history, long epoch, long generation, long issuedAt, boolean superseded, boolean rollbackSuperseded) {
        Supersession.Known known = null;
        for (String event : history.isBlank() ? new String[0] : history.split(",")) {
            if (event.startsWith("t")) {
                known = Supersession.withdrawn(known, Long.parseLong(event.substring(1)));
            } else {
                String[] parts = event.substring(1).split(":");
                known = Supersession.published(known, Long.parseLong(parts[0]), Long.parseLong(parts[1]));
            }
        }
        assertThat(Supersession.superseded(command(epoch, generation, issuedAt, false), known)).isEqualTo(superseded);
        assertThat(Supersession.superseded(command(epoch, generation, issuedAt, true), known))
                .as("a rollback stops only for a later rollout, not a withdrawal").isEqualTo(rollbackSuperseded);
    }
}

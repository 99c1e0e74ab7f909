package io.otaflow.topology.gate;

import org.junit.jupiter.api.Test;

import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class WaveRankTest {
    private static List<String> order(RolloutId rollout) {
        return IntStream.range(0, 1000).mapToObj(i -> String.format("pico-%04d", i))
                .sorted(Comparator.comparingLong(id -> WaveRank.of(id, rollout))).toList();
    }

    @Test
    void aStableShuffleSaltedByTheRollout() {
        List<String> first = order(new RolloutId(0, 1));
        assertThat(order(new RolloutId(0, 1))).isEqualTo(first);
        assertThat(order(new RolloutId(0, 2))).isNotEqualTo(first);
        assertThat(order(new RolloutId(7, 1))).isNotEqualTo(first);
        // A 10 % canary is spread over the id space, not its start: every tenth of the ids has some of it.
        List<String> canary = first.subList(0, 100);
        for (int tenth = 0; tenth < 10; tenth++) {
            int from = tenth * 100;
            assertThat(canary.stream().filter(id -> Integer.parseInt(id.substring(5)) / 100 == from / 100).count())
                    .as("canary devices among pico-%04d..", from).isBetween(2L, 25L);
        }
        assertThat(WaveRank.of("x", new RolloutId(0, 1))).isNotNegative();
    }
}

package io.edgebridge.core.internal.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PacketIdsTest {

    @Test
    void take_countsFromOne_wrapsAfter65535_andSkipsIdsStillInUse() {
        PacketIds ids = new PacketIds();
        assertThat(ids.take()).isEqualTo(1);
        assertThat(ids.take()).isEqualTo(2);
        for (int id = 3; id <= 65_534; id++) {
            assertThat(ids.take()).isEqualTo(id);
            ids.release(id);
        }
        assertThat(ids.take()).isEqualTo(65_535);
        // 1 and 2 are still in use: the wrap goes on at 3.
        assertThat(ids.take()).isEqualTo(3);
        ids.release(1);
        assertThat(ids.take()).isEqualTo(4); // after the last one handed out, not the lowest free
        assertThat(ids.inUse(1)).isFalse();
        assertThat(ids.inUse(2)).isTrue();
    }

    @Test
    void take_whenEveryIdIsInUse_fails() {
        PacketIds ids = new PacketIds();
        for (int i = 0; i < PacketIds.MAX; i++) {
            ids.take();
        }
        assertThatThrownBy(ids::take).isInstanceOf(IllegalStateException.class);
        ids.release(40_000);
        assertThat(ids.take()).isEqualTo(40_000);
    }
}

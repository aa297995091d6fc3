package io.edgebridge.core.internal.spool;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ChunkSizesTest {

    @Test
    void totals_followAddsSubtractsAndWholeChunkRemoval_acrossRingGrowth() {
        ChunkSizes sizes = new ChunkSizes();
        long chunk = ChunkSizes.CHUNK;
        for (long seq = 1; seq < chunk * 200; seq++) {
            sizes.add(seq, 10);
        }
        assertThat(sizes.total()).isEqualTo(10 * (chunk * 200 - 1));
        sizes.subtract(1, 10);
        sizes.subtract(2, 10);
        long freed = sizes.removeChunksBelow(2);
        assertThat(freed).isEqualTo(10 * (chunk - 3) + 10 * chunk);
        assertThat(sizes.total()).isEqualTo(10 * (chunk * 198));
        sizes.removeChunksBelow(1000);
        assertThat(sizes.total()).isZero();
        sizes.add(chunk * 500, 7);
        assertThat(sizes.total()).isEqualTo(7);
    }
}

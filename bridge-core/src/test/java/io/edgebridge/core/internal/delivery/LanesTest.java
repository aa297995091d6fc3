package io.edgebridge.core.internal.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class LanesTest {

    private static long[] unsent(SinkPump.Unsent unsent, long from, long to) {
        return LongStream.range(from, to).filter(unsent::contains).toArray();
    }

    @Test
    void withOneLane_aDropClaimsEverythingFromTheReadPosition() {
        Lanes lanes = new Lanes();
        lanes.start(10);
        assertThat(lanes.claim(lanes.live(), 15)).isEqualTo(10);

        SinkPump.Unsent unsent = lanes.claimDropped(20);

        assertThat(unsent(unsent, 0, 20)).containsExactly(15, 16, 17, 18, 19);
        assertThat(lanes.live().readPos()).isEqualTo(20);
        assertThat(lanes.claim(lanes.live(), 18)).as("read before the drop: nothing left to claim").isEqualTo(18);
    }

    @Test
    void aSplit_endsTheBacklogLaneWhereTheLiveLaneStarts() {
        Lanes lanes = new Lanes();
        lanes.start(0);
        lanes.claim(lanes.live(), 5);
        Lanes.Lane old = lanes.live();

        lanes.split(100);

        assertThat(lanes.backlog()).isSameAs(old);
        assertThat(old.end()).isEqualTo(100);
        assertThat(lanes.live().readPos()).isEqualTo(100);
        assertThat(lanes.live().end()).isEqualTo(Long.MAX_VALUE);
        assertThat(old.finished()).isFalse();
        assertThat(lanes.claim(old, 100)).isEqualTo(5);
        assertThat(old.finished()).isTrue();
        lanes.merge();
        assertThat(lanes.backlog()).isNull();
    }

    @Test
    void withTwoLanes_aDropSkipsWhatTheLiveLaneAlreadyClaimed() {
        Lanes lanes = new Lanes();
        lanes.start(0);
        lanes.claim(lanes.live(), 5);
        lanes.split(100);
        Lanes.Lane backlog = lanes.backlog();
        lanes.claim(lanes.live(), 110);

        SinkPump.Unsent first = lanes.claimDropped(50);
        assertThat(unsent(first, 0, 50)).containsExactly(LongStream.range(5, 50).toArray());
        assertThat(backlog.readPos()).isEqualTo(50);
        assertThat(lanes.live().readPos()).isEqualTo(110);

        SinkPump.Unsent second = lanes.claimDropped(120);
        assertThat(unsent(second, 0, 120)).containsExactly(
                LongStream.concat(LongStream.range(50, 100), LongStream.range(110, 120)).toArray());
        assertThat(backlog.readPos()).isEqualTo(100);
        assertThat(backlog.finished()).isTrue();
        assertThat(lanes.live().readPos()).isEqualTo(120);
    }
}

package io.edgebridge.config.internal;

import io.edgebridge.config.AdminConfig;
import io.edgebridge.config.DeadLetterConfig;
import io.edgebridge.config.ReloadConfig;
import io.edgebridge.config.SpoolConfig;
import io.edgebridge.config.StatsConfig;
import io.edgebridge.config.TemplateScope;
import io.edgebridge.config.template.Template;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The small top-level sections: {@code dataDir}, {@code spool}, {@code deadLetter}, {@code stats},
 * {@code reload}, {@code admin}.
 */
final class SectionReader {

    static final Path DEFAULT_DATA_DIR = Path.of("data");
    static final long DEFAULT_SPOOL_BYTES = 1024L * 1024 * 1024;
    static final long MIN_SPOOL_BYTES = 64L * 1024;
    static final Duration DEFAULT_MAX_AGE = Duration.ofDays(7);
    /** Read as "no upper limit" in messages. */
    static final Duration NO_LIMIT = Duration.ofDays(365_000);
    static final String DEFAULT_DEAD_LETTER_TOPIC = "edgebridge/dead-letter/<sink>/<route>";
    static final TemplateScope DEAD_LETTER_SCOPE = new TemplateScope("", List.of(), false);

    private SectionReader() {
    }

    static Path dataDir(NodeMap root) {
        return root.path("dataDir").orElse(DEFAULT_DATA_DIR);
    }

    static SpoolConfig spool(NodeMap m, Path dataDir) {
        m.checkKeys(Set.of("dir", "maxBytes", "maxAge", "whenFull"));
        return new SpoolConfig(
                m.path("dir").orElse(dataDir.resolve("spool")),
                m.byteSize("maxBytes", DEFAULT_SPOOL_BYTES, MIN_SPOOL_BYTES, Long.MAX_VALUE),
                m.duration("maxAge", DEFAULT_MAX_AGE, Duration.ZERO, NO_LIMIT),
                m.choice("whenFull", SpoolConfig.WhenFull.class, SpoolConfig.WhenFull.DROP_OLDEST));
    }

    static DeadLetterConfig deadLetter(NodeMap m) {
        m.checkKeys(Set.of("topic", "maxAttempts"));
        Template topic = Template.parse(DEFAULT_DEAD_LETTER_TOPIC);
        if (m.has("topic")) {
            Optional<Template> written = m.requiredTemplate("topic", DEAD_LETTER_SCOPE);
            written.ifPresent(t -> {
                TemplateChecks.literalProblem(t).ifPresent(p -> m.problem("topic", p));
                if (TemplateChecks.startsWithDollar(t)) {
                    m.problem("topic", "a dead-letter topic must not start with '$': the local broker refuses"
                            + " publishes to $ topics");
                }
            });
            topic = written.orElse(topic);
        }
        return new DeadLetterConfig(topic, m.integer("maxAttempts", 5, 1, 1000));
    }

    static StatsConfig stats(NodeMap m) {
        m.checkKeys(Set.of("logInterval"));
        return new StatsConfig(m.duration("logInterval", Duration.ofSeconds(60), Duration.ZERO, NO_LIMIT));
    }

    static ReloadConfig reload(NodeMap m) {
        m.checkKeys(Set.of("watch", "interval"));
        return new ReloadConfig(m.bool("watch", ReloadConfig.DEFAULT.watch()),
                m.duration("interval", ReloadConfig.DEFAULT.interval(), Duration.ofMillis(100), Duration.ofHours(1)));
    }

    static AdminConfig admin(NodeMap m) {
        m.checkKeys(Set.of("enabled", "address", "port", "readyWindow"));
        String address = m.string("address").orElse("127.0.0.1").trim();
        if (address.isEmpty()) {
            m.problem("address", "expected a listen address like 127.0.0.1 or 0.0.0.0, not an empty value");
        }
        return new AdminConfig(
                m.bool("enabled", true),
                address,
                m.integer("port", 9090, 0, 65_535),
                m.duration("readyWindow", Duration.ofSeconds(30), Duration.ofSeconds(1), NO_LIMIT));
    }
}

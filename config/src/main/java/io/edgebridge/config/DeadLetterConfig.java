package io.edgebridge.config;

import io.edgebridge.config.template.Template;

/**
 * {@code deadLetter}: where a message goes that a sink will never accept.
 *
 * @param topic       local topic template; may use {@code <route>}, {@code <sink>} and
 *                    {@code <topic>} (default {@code edgebridge/dead-letter/<sink>/<route>})
 * @param maxAttempts how many times a rejected message is tried before it is dead-lettered
 *                    (default 5); messages the sink marks as never acceptable go at once
 */
public record DeadLetterConfig(Template topic, int maxAttempts) {
}

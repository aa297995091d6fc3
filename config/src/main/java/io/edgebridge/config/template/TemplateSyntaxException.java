package io.edgebridge.config.template;

/** A topic filter or template that cannot be parsed; the message says what and where. */
public final class TemplateSyntaxException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public TemplateSyntaxException(String message) {
        super(message);
    }
}

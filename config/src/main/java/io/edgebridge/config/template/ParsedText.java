package io.edgebridge.config.template;

/**
 * Configuration syntax parsed once at load, such as a template or a topic filter: two are equal
 * when they are of the same kind and written the same, and each prints as written.
 */
public abstract class ParsedText {

    private final String text;

    protected ParsedText(String text) {
        this.text = text;
    }

    /** As written in the configuration. */
    public final String text() {
        return text;
    }

    @Override
    public final boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && ((ParsedText) o).text.equals(text);
    }

    @Override
    public final int hashCode() {
        return text.hashCode();
    }

    @Override
    public final String toString() {
        return text;
    }
}

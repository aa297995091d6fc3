package io.edgebridge.core.internal.admin;

/** Makes text that may hold request bytes safe for a log line. */
final class Printable {

    private static final int MAX = 200;

    private Printable() {
    }

    /** Printable ASCII kept, everything else as {@code \xNN} or {@code \\uNNNN}; cut after 200 characters. */
    static String escape(String text) {
        StringBuilder sb = new StringBuilder(Math.min(text.length(), MAX) + 16);
        int i = 0;
        for (; i < text.length() && i < MAX; i++) {
            char c = text.charAt(i);
            if (c == '\\') {
                sb.append("\\\\");
            } else if (c >= 0x20 && c < 0x7f) {
                sb.append(c);
            } else if (c < 0x100) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(String.format("\\u%04x", (int) c));
            }
        }
        if (i < text.length()) {
            sb.append("...");
        }
        return sb.toString();
    }
}

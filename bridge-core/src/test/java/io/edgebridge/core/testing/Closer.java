package io.edgebridge.core.testing;

/** Closes a test class's shared fixtures in {@code @AfterAll}: every one, whatever the others throw. */
public final class Closer {

    private Closer() {
    }

    /** Closes each non-null resource in order; a failure to close one does not keep the rest open. */
    public static void closeAll(AutoCloseable... resources) {
        for (AutoCloseable resource : resources) {
            if (resource == null) {
                continue;
            }
            try {
                resource.close();
            } catch (Exception e) {
                // keep closing the rest: a fixture that failed to close must not leak the others' ports
            }
        }
    }
}

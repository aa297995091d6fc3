package io.edgebridge.config.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Expands {@code ${NAME}}, {@code ${NAME:-default}} and {@code ${file:/path}} in one scalar value;
 * {@code $${} writes a literal {@code ${}. Substituted text is not expanded again. Error messages
 * name the reference, never the text it stands for.
 */
public final class Substitution {

    /**
     * @param value      the expanded text (meaningless when there are errors)
     * @param references the references that were expanded, as written ({@code ${NAME}}); a value
     *                   with any is sensitive and never echoed
     * @param errors     why expansion failed, one message per bad reference
     */
    public record Result(String value, List<String> references, List<String> errors) {

        public Result {
            references = List.copyOf(references);
            errors = List.copyOf(errors);
        }

        public boolean failed() {
            return !errors.isEmpty();
        }
    }

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final String FILE_PREFIX = "file:";
    private static final String DEFAULT_SEPARATOR = ":-";

    private final Function<String, String> environment;

    public Substitution(Function<String, String> environment) {
        this.environment = environment;
    }

    public Result expand(String text) {
        if (text.indexOf('$') < 0) {
            return new Result(text, List.of(), List.of());
        }
        StringBuilder out = new StringBuilder(text.length());
        List<String> references = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            if (text.startsWith("$${", i)) {
                out.append("${");
                i += 3;
            } else if (text.startsWith("${", i)) {
                int close = text.indexOf('}', i + 2);
                if (close < 0) {
                    errors.add("'${' is not closed with '}' (write $${ for a literal ${)");
                    break;
                }
                String expression = text.substring(i + 2, close);
                resolve(expression, out, references, errors);
                i = close + 1;
            } else {
                out.append(text.charAt(i));
                i++;
            }
        }
        return new Result(out.toString(), references, errors);
    }

    private void resolve(String expression, StringBuilder out, List<String> references, List<String> errors) {
        if (expression.startsWith(FILE_PREFIX)) {
            String file = expression.substring(FILE_PREFIX.length());
            references.add("${file:" + file + "}");
            readFile(file, out, errors);
            return;
        }
        int separator = expression.indexOf(DEFAULT_SEPARATOR);
        String name = separator < 0 ? expression : expression.substring(0, separator);
        if (!NAME.matcher(name).matches()) {
            // The text after the name may be a default such as a password: do not echo it.
            errors.add("invalid ${...} reference: write ${NAME}, ${NAME:-default} or ${file:/path},"
                    + " where NAME is letters, digits and '_'");
            return;
        }
        references.add("${" + name + "}");
        String value = environment.apply(name);
        if (separator >= 0 && (value == null || value.isEmpty())) {
            out.append(expression, separator + DEFAULT_SEPARATOR.length(), expression.length());
        } else if (value == null) {
            errors.add("environment variable " + name + " is not set (write ${" + name
                    + ":-default} to give a default)");
        } else {
            out.append(value);
        }
    }

    private static void readFile(String file, StringBuilder out, List<String> errors) {
        String reference = "${file:" + file + "}";
        if (file.isEmpty()) {
            errors.add("${file:} needs a path, like ${file:/run/secrets/password}");
            return;
        }
        try {
            Path path = Path.of(file);
            if (Files.isDirectory(path)) {
                errors.add("cannot read " + reference + ": it is a directory");
                return;
            }
            byte[] bytes = Files.readAllBytes(path);
            String content = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
            out.append(stripOneLineEnd(content));
        } catch (InvalidPathException e) {
            errors.add("cannot read " + reference + ": not a valid path");
        } catch (NoSuchFileException e) {
            errors.add("cannot read " + reference + ": the file does not exist");
        } catch (AccessDeniedException e) {
            errors.add("cannot read " + reference + ": permission denied");
        } catch (CharacterCodingException e) {
            errors.add("cannot read " + reference + ": the file is not UTF-8 text");
        } catch (IOException e) {
            errors.add("cannot read " + reference + ": " + e.getClass().getSimpleName());
        }
    }

    /** Files written by editors and {@code echo} end with one line break that is not part of the secret. */
    static String stripOneLineEnd(String content) {
        if (content.endsWith("\r\n")) {
            return content.substring(0, content.length() - 2);
        }
        if (content.endsWith("\n")) {
            return content.substring(0, content.length() - 1);
        }
        return content;
    }
}

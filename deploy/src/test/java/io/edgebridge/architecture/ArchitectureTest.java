package io.edgebridge.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The module boundaries, checked on the compiled classes of every module (this module sees them
 * all). A sink module is a plug-in: it compiles against the core's {@code api} and {@code support}
 * packages and the configuration's public packages, never against anything {@code internal}; and no
 * two packages depend on each other in a circle, so each can be read and changed on its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ArchitectureTest {

    /** The packages a sink module may use of the rest of EdgeBridge (besides its own). */
    static final String[] PUBLIC = {"io.edgebridge.core.api..", "io.edgebridge.core.support..",
            "io.edgebridge.config", "io.edgebridge.config.auth..", "io.edgebridge.config.template..",
            "io.edgebridge.config.tls.."};

    static final String[] SINK_MODULES = {"io.edgebridge.aws..", "io.edgebridge.azure..", "io.edgebridge.gcp.."};

    /**
     * The one door from the configuration's public package into its reader: the reader builds the
     * public records, and the loader hands them out. The only dependency the rules let through.
     */
    static final String CONFIG_LOADER = "io.edgebridge.config.ConfigLoader";

    static final int MAX_LINES = 400;
    static final String REASON = "Longer than 400 lines:";

    private JavaClasses classes;

    @BeforeAll
    void importClasses() {
        classes = new ClassFileImporter().withImportOption(ArchitectureTest::isMainCode).importPackages("io.edgebridge");
    }

    /** Main code only: not the test classes of this module nor the core's test jar on the class path. */
    static boolean isMainCode(Location location) {
        return ImportOption.Predefined.DO_NOT_INCLUDE_TESTS.includes(location) && !location.contains("-tests.jar");
    }

    @Test
    void sinkModules_useOnlyThePublicPackagesOfCoreAndConfig() {
        noClasses().that().resideInAnyPackage(SINK_MODULES)
                .should().dependOnClassesThat().resideInAnyPackage("io.edgebridge.core.internal..",
                        "io.edgebridge.core.cli..", "io.edgebridge.config.internal..")
                .because("a sink module is a plug-in; what it needs of the core belongs in core.api or core.support")
                .check(classes);
    }

    @Test
    void sinkModules_doNotDependOnEachOther() {
        for (String module : SINK_MODULES) {
            String[] others = java.util.Arrays.stream(SINK_MODULES).filter(m -> !m.equals(module))
                    .toArray(String[]::new);
            noClasses().that().resideInAPackage(module).should().dependOnClassesThat().resideInAnyPackage(others)
                    .check(classes);
        }
    }

    @Test
    void publicPackages_doNotDependOnInternals() {
        noClasses().that().resideInAnyPackage(PUBLIC).and().doNotHaveFullyQualifiedName(CONFIG_LOADER)
                .should().dependOnClassesThat().resideInAnyPackage("io.edgebridge.core.internal..",
                        "io.edgebridge.core.cli..", "io.edgebridge.config.internal..")
                .because("the sink modules see the public packages; an internal type there would leak to them")
                .check(classes);
    }

    /**
     * A newcomer finds one thing in one place: a main class over {@value #MAX_LINES} lines says why in
     * its header comment, with the words {@value #REASON}.
     */
    @Test
    void mainClasses_areSmall_orSayWhyNot() throws IOException {
        Path root = Path.of(System.getProperty("user.dir")).getParent(); // surefire runs in deploy/
        List<String> tooLong = new ArrayList<>();
        try (Stream<Path> modules = Files.list(root)) {
            for (Path main : modules.map(m -> m.resolve("src/main/java")).filter(Files::isDirectory).toList()) {
                try (Stream<Path> files = Files.walk(main)) {
                    for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                        List<String> lines = Files.readAllLines(file);
                        if (lines.size() > MAX_LINES && lines.stream().noneMatch(l -> l.contains(REASON))) {
                            tooLong.add(root.relativize(file) + " (" + lines.size() + " lines)");
                        }
                    }
                }
            }
        }
        assertThat(tooLong).as("classes over %d lines without '%s' in their header", MAX_LINES, REASON).isEmpty();
    }

    @Test
    void packages_areFreeOfCycles() {
        slices().matching("io.edgebridge.(**)").should().beFreeOfCycles()
                .ignoreDependency(DescribedPredicate.describe("the config loader", c -> c.getName().equals(CONFIG_LOADER)),
                        JavaClass.Predicates.resideInAPackage("io.edgebridge.config.internal.."))
                .check(classes);
    }
}

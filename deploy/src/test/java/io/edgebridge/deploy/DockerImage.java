package io.edgebridge.deploy;

/** Facts about the image that the Dockerfile states in commands rather than paths. */
final class DockerImage {

    /** The fixed user and group of the image (Dockerfile USER; Kubernetes runAsUser/fsGroup). */
    static final int UID = 10001;
    static final int GID = 10001;
    /** The configuration baked into the image, in the build context. */
    static final String BAKED_CONFIG_SOURCE = "deploy/docker/edgebridge.yaml";

    private DockerImage() {
    }

    /** Where the image installs the distribution tarball: the destination of the build stage's unpacked tarball. */
    static String installDir(Dockerfile docker) {
        return docker.destinationOf("/dist/edgebridge");
    }

    /** Where the image installs the jlink'ed Java runtime. */
    static String javaDir(Dockerfile docker) {
        return docker.destinationOf("/dist/java");
    }
}

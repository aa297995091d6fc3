#!/usr/bin/env bash
# Measures the spool's durable write rate on this machine.
# Usage: bench/spool/run.sh [messages] [payload bytes] [dir]   (dir picks the disk measured; default /tmp)
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mvn -B -q -Dstyle.color=never install -DskipTests -pl config,bridge-core -am
mvn -B -q -Dstyle.color=never dependency:build-classpath -pl bridge-core -Dmdep.outputFile="$work/cp.txt"
cp="bridge-core/target/classes:$(cat "$work/cp.txt")"
javac -d "$work" -cp "$cp" bench/spool/SpoolWriteRate.java
java -cp "$work:$cp" -Dlogback.configurationFile=/dev/null SpoolWriteRate "$@"

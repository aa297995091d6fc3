#!/usr/bin/env bash
# Measures the spool's durable write rate on this machine. Usage: bench/spool/run.sh [messages] [bytes] [dir]
# (the directory decides which disk is measured; default /tmp).
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -q -o install -DskipTests -pl config,bridge-core -am >/dev/null 2>&1 || mvn -B -q install -DskipTests -pl config,bridge-core -am
cp=$(mvn -B -q -o dependency:build-classpath -pl bridge-core -Dmdep.outputFile=/dev/stdout 2>/dev/null || true)
if [ -z "$cp" ]; then cp=$(mvn -B -q dependency:build-classpath -pl bridge-core -Dmdep.outputFile=/dev/stdout); fi
cp="bridge-core/target/classes:$cp"
out=$(mktemp -d)
javac -d "$out" -cp "$cp" bench/spool/SpoolWriteRate.java
java -cp "$out:$cp" -Dlogback.configurationFile=/dev/null SpoolWriteRate "$@"
rm -rf "$out"

#!/usr/bin/env bash
# The EdgeBridge benchmark in one command: installs Mosquitto (and gcc) from the Debian packages when
# missing, builds the fat jar and the load generator, then runs bench/run.py.
#   bench/run.sh                          full comparison (about 6 minutes on 2 cores)
#   bench/run.sh --messages 5000 --reps 1 a quick smoke
#   bench/run.sh --help                   all options
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v gcc >/dev/null 2>&1 || need+=(gcc libc6-dev)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "bench: installing ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
  $sudo systemctl disable --now mosquitto >/dev/null 2>&1 || true
fi

if [ "${BENCH_SKIP_BUILD:-}" != "1" ]; then
  mvn -B -q -Dstyle.color=never package -DskipTests
fi
mkdir -p bench/target
gcc -O2 -Wall -o bench/target/mqttload bench/loadgen/mqttload.c
exec python3 bench/run.py "$@"

#!/usr/bin/env bash
# Runs the whole test suite (all modules). The integration tests start real Mosquitto brokers, so
# Mosquitto is installed from the Debian packages first when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ]; then
  echo "test.sh: installing mosquitto (Debian package) for the integration tests"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq mosquitto mosquitto-clients >/dev/null
  # The package may start a system broker on port 1883; the tests and the quick start need neither it
  # nor that port.
  $sudo systemctl disable --now mosquitto >/dev/null 2>&1 || $sudo service mosquitto stop >/dev/null 2>&1 || true
fi

exec mvn -B verify "$@"

#!/usr/bin/env bash
# Runs the fault matrix (every *FaultTest of every module) and prints it as the Markdown table of
# docs/RELIABILITY.md. Each fault test asserts its own accounting; this script only collects the rows
# the tests recorded in <module>/target/fault-matrix.jsonl.
#
#   bash scripts/fault-matrix.sh            # run the fault tests, then print the table
#   bash scripts/fault-matrix.sh --print    # print the rows of the last run only
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--print" ]; then
  rm -f ./*/target/fault-matrix.jsonl
  mvn -B verify -Dtest='*FaultTest' -Dsurefire.failIfNoSpecifiedTests=false -DskipITs "$@"
fi

python3 - ./*/target/fault-matrix.jsonl <<'PY'
import json, sys
rows = []
for path in sys.argv[1:]:
    try:
        with open(path, encoding="utf-8") as f:
            rows += [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        pass
# Grouped as docs/RELIABILITY.md shows them: reloads, crashes and restarts, disk, overload, poison
# messages, downstream outages, hostile clients, TLS.
order = ["reload", "SIGKILL", "bridge restarted", "restart after", "disk full", "overload", "poison",
         "downstream", "mqtt:", "admin:", "tls:"]
def key(r):
    group = next((i for i, o in enumerate(order) if r["fault"].startswith(o)), len(order))
    return (group, r["sink"], r["local"])
rows.sort(key=key)
print("| fault | local broker | sink | acknowledged | delivered | counted drops | lost | duplicates | recovery | WARN/ERROR lines |")
print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    fault = r["fault"].replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    print("| {} | {local} | {sink} | {acknowledged:,} | {delivered:,} | {counted:,} | {lost:,} | {duplicates:,} | {rec} | {logLines:,} |"
          .format(fault, rec="%.1f s" % (r["recoveryMs"] / 1000.0), **r))
PY

#!/usr/bin/env python3
"""EdgeBridge benchmark: EdgeBridge (embedded broker), EdgeBridge (external Mosquitto as the local
broker), Mosquitto's bridge, and the direct path (a subscriber on the local broker, no bridge), all in
one run, on loopback.

Every contender gets fresh brokers. Per repetition, scenario and QoS it measures:
  * throughput: N messages at max rate for 100 device topics, received on the "cloud" side
    (distinct messages / time from first send to last receipt), with losses and duplicates. The
    scenario says over how many connections: "devices" (100, one per device) or "gateway" (4, as a
    gateway, a Node-RED flow or an OPC UA adapter multiplexes many devices);
  * latency at a fixed rate (default 5,000 msg/s): p50/p99/max from send to receipt;
  * CPU of the bridge process during the max-rate run (microseconds per message) and its peak RSS.
Contenders alternate order between repetitions; the table shows medians and each contender's ratio to
Mosquitto's bridge and to the direct path, all from this run.

Run it with bench/run.sh (which installs and builds what it needs); `--help` lists the options.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOADGEN = os.path.join(ROOT, "bench", "target", "mqttload")
JAR = os.path.join(ROOT, "deploy", "target", "edgebridge.jar")
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Mosquitto as every broker in a run is configured (local, cloud, and the bridging one alike):
#   stock: Mosquitto 2.0's defaults (in-flight 20, queue 1000, Nagle on). It drops QoS 1 messages
#          beyond 1,000 queued for a slower subscriber, so no path is lossless at max rate;
#   lossless (default): the defaults with an unbounded queue (max_queued_messages 0), the least change
#          that lets every path carry a max-rate QoS 1 run without loss;
#   tuned: a large in-flight window, no queue limit and TCP_NODELAY, Mosquitto at its fastest.
MOSQUITTO_CONFIGS = {
    "stock": "allow_anonymous true\n",
    "lossless": "allow_anonymous true\nmax_queued_messages 0\n",
    "tuned": "allow_anonymous true\nmax_inflight_messages 1000\nmax_queued_messages 0\nset_tcp_nodelay true\n",
}

CONTENDERS = ["edgebridge-embedded", "edgebridge-external", "mosquitto-bridge", "direct"]
OPTIONAL = ["edgebridge-embedded-mqtt-intake"]
# Publishing connections per scenario; the 100 device topics are spread over them.
SCENARIOS = {"devices": 100, "gateway": 4}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=60.0, proc=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {timeout}s")


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


class Mosquitto:
    config = "stock"

    def __init__(self, workdir, name, extra=""):
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        conf = os.path.join(self.dir, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write(f"listener {self.port} 127.0.0.1\nuser {os.environ.get('USER') or 'root'}\n")
            f.write(MOSQUITTO_CONFIGS[Mosquitto.config])
            f.write(extra)
        self.proc = subprocess.Popen(["mosquitto", "-c", conf], stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.dir, "log"), "w"))
        wait_port(self.port, 10, self.proc)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class EdgeBridge:
    """The fat jar as an operator runs it; the local broker is embedded or an external Mosquitto."""

    def __init__(self, workdir, name, jvm_opts, qos, cloud_port, local_uri=None, intake="extension", jar=JAR):
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        if local_uri is None:
            self.port = free_port()
            local = (f"local:\n  broker: embedded\n  embedded: {{ address: 127.0.0.1, port: {self.port}, "
                     f"intake: {intake} }}\n")
        else:
            self.port = None
            local = f"local:\n  broker: {local_uri}\n  clientId: edgebridge-bench\n"
        config = os.path.join(self.dir, "edgebridge.yaml")
        with open(config, "w") as f:
            f.write(local + f"""dataDir: {self.dir}/data
stats: {{ logInterval: 0 }}
admin: {{ port: 0 }}
reload: {{ watch: false }}
sinks:
  cloud: {{ type: mqtt, uri: "mqtt://127.0.0.1:{cloud_port}", reconnect: {{ min: 100ms, max: 1s }} }}
routes:
  - name: telemetry
    from: sensors/<deviceId>/telemetry
    sink: cloud
    topic: cloud/<deviceId>/telemetry
    qos: {qos}
""")
        self.log = os.path.join(self.dir, "bridge.log")
        cmd = ["java"] + jvm_opts.split() + ["-jar", jar, "run", "--config", config]
        self.proc = subprocess.Popen(cmd, stdout=open(self.log, "w"), stderr=subprocess.STDOUT)
        deadline = time.time() + 90
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"EdgeBridge exited with {self.proc.returncode}; see {self.log}")
            with open(self.log) as f:
                if "EdgeBridge started" in f.read():
                    break
            if time.time() > deadline:
                raise RuntimeError(f"EdgeBridge did not start; see {self.log}")
            time.sleep(0.1)

    def jfr(self, path):
        subprocess.run(["jcmd", str(self.proc.pid), "JFR.start", "name=bench", "settings=profile",
                        f"filename={path}"], stdout=subprocess.DEVNULL, check=False)

    def jfr_stop(self):
        subprocess.run(["jcmd", str(self.proc.pid), "JFR.stop", "name=bench"], stdout=subprocess.DEVNULL, check=False)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Setup:
    """One contender's processes: where devices publish, where to subscribe, which pid is 'the bridge'."""

    def __init__(self, kind, workdir, qos, args):
        self.kind = kind
        # "<contender>@baseline" runs the same set-up with the jar given by --baseline-jar.
        kind, _, variant = kind.partition("@")
        jar = args.baseline_jar if variant == "baseline" else JAR
        self.parts = []
        self.bridge = None
        if kind == "direct":
            local = self._own(Mosquitto(workdir, "local"))
            self.publish_port, self.subscribe_port, self.topic = local.port, local.port, "sensors/#"
            self.pid = local.proc.pid
        elif kind == "mosquitto-bridge":
            cloud = self._own(Mosquitto(workdir, "cloud"))
            local = self._own(Mosquitto(workdir, "local", f"""
connection cloud
address 127.0.0.1:{cloud.port}
topic +/telemetry out 1 sensors/ cloud/
cleansession true
notifications false
bridge_protocol_version mqttv311
"""))
            wait_for_bridge(cloud.port, local.port)
            self.publish_port, self.subscribe_port, self.topic = local.port, cloud.port, "cloud/#"
            self.pid = local.proc.pid
        else:
            cloud = self._own(Mosquitto(workdir, "cloud"))
            if kind == "edgebridge-external":
                local = self._own(Mosquitto(workdir, "local"))
                self.bridge = self._own(EdgeBridge(workdir, "edgebridge", args.jvm_opts, qos, cloud.port,
                                                   local_uri=f"mqtt://127.0.0.1:{local.port}", jar=jar))
                self.publish_port = local.port
            else:
                intake = "mqtt" if kind == "edgebridge-embedded-mqtt-intake" else "extension"
                self.bridge = self._own(EdgeBridge(workdir, "edgebridge", args.jvm_opts, qos, cloud.port,
                                                   intake=intake, jar=jar))
                self.publish_port = self.bridge.port
            self.subscribe_port, self.topic = cloud.port, "cloud/#"
            self.pid = self.bridge.proc.pid

    def _own(self, part):
        self.parts.append(part)
        return part

    def stop(self):
        for part in reversed(self.parts):
            part.stop()


def wait_for_bridge(cloud_port, local_port):
    """Mosquitto's bridge connects in the background: wait until a probe crosses it."""
    deadline = time.time() + 30
    while time.time() < deadline:
        sub = subprocess.Popen([LOADGEN, "sub", "--port", str(cloud_port), "--topic", "cloud/#", "--qos", "1",
                                "--count", "1", "--idle-ms", "500", "--timeout-s", "2"],
                               stdout=subprocess.PIPE, text=True)
        sub.stdout.readline()
        subprocess.run([LOADGEN, "pub", "--port", str(local_port), "--count", "1", "--qos", "1", "--devices", "1"],
                       stdout=subprocess.DEVNULL, check=True)
        out, _ = sub.communicate(timeout=10)
        if json.loads(out.strip().splitlines()[-1])["distinct"] == 1:
            return
    raise RuntimeError("Mosquitto's bridge did not connect")


def run_load(setup, qos, count, size, rate, idle_ms, conns):
    """Starts the receiver, then the publisher; returns (publisher, receiver, bridge cpu seconds)."""
    sub = subprocess.Popen([LOADGEN, "sub", "--port", str(setup.subscribe_port), "--topic", setup.topic,
                            "--qos", str(qos), "--count", str(count), "--idle-ms", str(idle_ms),
                            "--timeout-s", "240"], stdout=subprocess.PIPE, text=True)
    if sub.stdout.readline().strip() != "READY":
        raise RuntimeError("receiver did not subscribe")
    cpu0 = proc_cpu_seconds(setup.pid)
    pub = subprocess.run([LOADGEN, "pub", "--port", str(setup.publish_port), "--count", str(count),
                          "--size", str(size), "--qos", str(qos), "--rate", str(rate), "--conns", str(conns)],
                         stdout=subprocess.PIPE, text=True, check=True)
    out, _ = sub.communicate(timeout=300)
    cpu = proc_cpu_seconds(setup.pid) - cpu0
    return json.loads(pub.stdout.strip().splitlines()[-1]), json.loads(out.strip().splitlines()[-1]), cpu


def measure(kind, scenario, qos, args, workdir, rep):
    conns = SCENARIOS[scenario]
    setup = Setup(kind, os.path.join(workdir, f"{kind}-{scenario}-q{qos}-r{rep}"), qos, args)
    try:
        if setup.bridge is not None and args.warmup > 0:
            run_load(setup, qos, args.warmup, args.size, 0, 2000, conns)  # JIT warm-up, not measured
        if setup.bridge is not None and args.jfr:
            setup.bridge.jfr(os.path.join(args.out, f"{kind}-{scenario}-q{qos}-r{rep}.jfr"))
        pub, sub, cpu = run_load(setup, qos, args.messages, args.size, 0, args.idle_ms, conns)
        if setup.bridge is not None and args.jfr:
            setup.bridge.jfr_stop()
        seconds = max(1e-9, (sub["last_ns"] - pub["start_ns"]) / 1e9)
        result = {
            "contender": kind, "scenario": scenario, "qos": qos, "rep": rep,
            "throughput": sub["distinct"] / seconds if sub["distinct"] else 0.0,
            "lost": sub["lost"], "duplicates": sub["duplicates"], "cpu_s": cpu,
            "cpu_us_per_msg": cpu * 1e6 / sub["distinct"] if sub["distinct"] else float("nan"),
        }
        pub_l, sub_l, _ = run_load(setup, qos, args.latency_messages, args.size, args.rate, args.idle_ms, conns)
        result.update({"p50_ms": sub_l["p50_ms"], "p99_ms": sub_l["p99_ms"], "max_ms": sub_l["max_ms"],
                       "latency_lost": sub_l["lost"], "peak_rss_mb": proc_peak_rss_mb(setup.pid)})
        return result
    finally:
        setup.stop()


def median(rows, key):
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(values) if values else float("nan")


def table(results, args):
    lines = []
    header = ("| scenario | contender | QoS | msg/s | × Mosquitto bridge | × direct | lost | dup | p50 ms | p99 ms "
              "| max ms | CPU µs/msg | peak RSS MB |")
    lines.append(header)
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for scenario in args.scenarios:
        for qos in args.qos:
            same = [r for r in results if r.get("scenario", "devices") == scenario and r["qos"] == qos]
            base = {k: median([r for r in same if r["contender"] == k], "throughput")
                    for k in ("mosquitto-bridge", "direct")}
            for kind in args.contenders:
                rows = [r for r in same if r["contender"] == kind]
                if not rows:
                    continue
                t = median(rows, "throughput")
                ratio = lambda b: f"{t / b:.2f}" if b and b == b and b > 0 else "–"
                lines.append(f"| {scenario} ({SCENARIOS[scenario]} conns) | {kind} | {qos} | {t:,.0f} "
                             f"| {ratio(base['mosquitto-bridge'])} | {ratio(base['direct'])} "
                             f"| {max(r['lost'] for r in rows)} | {median(rows, 'duplicates'):.0f} "
                             f"| {median(rows, 'p50_ms'):.2f} | {median(rows, 'p99_ms'):.2f} "
                             f"| {median(rows, 'max_ms'):.2f} | {median(rows, 'cpu_us_per_msg'):.1f} "
                             f"| {median(rows, 'peak_rss_mb'):.0f} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=200_000, help="messages per max-rate run (default 200000)")
    parser.add_argument("--size", type=int, default=256, help="payload bytes (default 256)")
    parser.add_argument("--rate", type=int, default=5000, help="fixed rate for the latency runs, msg/s (default 5000)")
    parser.add_argument("--latency-messages", type=int, default=10_000, help="messages per latency run (default 10000)")
    parser.add_argument("--reps", type=int, default=3, help="repetitions (default 3)")
    parser.add_argument("--qos", type=lambda s: [int(q) for q in s.split(",")], default=[0, 1], help="e.g. 0,1")
    parser.add_argument("--scenarios", type=lambda s: s.split(","), default=list(SCENARIOS),
                        help="comma-separated, from: " + ", ".join(f"{k} ({v} connections)" for k, v in SCENARIOS.items()))
    parser.add_argument("--contenders", type=lambda s: s.split(","), default=CONTENDERS,
                        help="comma-separated, from: " + ", ".join(CONTENDERS + OPTIONAL))
    parser.add_argument("--jvm-opts", default="-Xms64m -Xmx256m -XX:+UseSerialGC",
                        help="JVM flags for EdgeBridge (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=20_000,
                        help="unmeasured warm-up messages per EdgeBridge start (default 20000)")
    parser.add_argument("--idle-ms", type=int, default=3000, help="receiver gives up after this long without messages")
    parser.add_argument("--mosquitto", choices=sorted(MOSQUITTO_CONFIGS), default="lossless",
                        help="how every Mosquitto in the run is configured (default: %(default)s; see MOSQUITTO_CONFIGS)")
    parser.add_argument("--fail-on-loss", action="store_true",
                        help="exit 1 if any QoS 1 run lost a message (CI's smoke uses it)")
    parser.add_argument("--baseline-jar", help="another build's fat jar; contender 'NAME@baseline' runs NAME with it, "
                        "so a change is compared with its base in one run (e.g. edgebridge-embedded@baseline)")
    parser.add_argument("--jfr", action="store_true", help="record a Flight Recorder profile of EdgeBridge's max-rate runs")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "results"), help="where results are written")
    args = parser.parse_args()
    for kind in args.contenders:
        name, _, variant = kind.partition("@")
        if name not in CONTENDERS + OPTIONAL or variant not in ("", "baseline"):
            parser.error(f"unknown contender {kind}")
        if variant and (not name.startswith("edgebridge") or not args.baseline_jar):
            parser.error(f"{kind}: '@baseline' needs an edgebridge contender and --baseline-jar")
    for scenario in args.scenarios:
        if scenario not in SCENARIOS:
            parser.error(f"unknown scenario {scenario}")
    os.makedirs(args.out, exist_ok=True)
    Mosquitto.config = args.mosquitto

    started = time.time()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    workdir = tempfile.mkdtemp(prefix="edgebridge-bench-")
    results = []
    failed = True
    try:
        for rep in range(args.reps):
            order = args.contenders[rep % len(args.contenders):] + args.contenders[:rep % len(args.contenders)]
            for scenario in args.scenarios:
                for kind in order:
                    for qos in args.qos:
                        r = measure(kind, scenario, qos, args, workdir, rep)
                        results.append(r)
                        print(f"  rep {rep + 1} {scenario:8} {kind:32} qos {qos}: {r['throughput']:9,.0f} msg/s "
                              f"lost {r['lost']:>6} dup {r['duplicates']:>5} p99 {r['p99_ms']:7.2f} ms "
                              f"cpu {r['cpu_us_per_msg']:6.1f} us/msg rss {r['peak_rss_mb']:4.0f} MB", flush=True)
        failed = False
    finally:
        if failed:
            print(f"bench: a run failed; logs and configs are kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    elapsed = time.time() - started
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    machine = f"{os.cpu_count()} CPUs, {os.uname().sysname} {os.uname().release}"
    header = (f"EdgeBridge benchmark {stamp} (commit {commit}), {machine}\n"
              f"command: bench/run.sh {' '.join(sys.argv[1:])}\n"
              f"{args.messages} messages of {args.size} B per max-rate run for 100 devices over "
              f"{', '.join(f'{SCENARIOS[k]} ({k})' for k in args.scenarios)} connections; latency at "
              f"{args.rate} msg/s over {args.latency_messages} messages; medians of {args.reps} repetitions; "
              f"Mosquitto: {args.mosquitto} configuration; EdgeBridge JVM: {args.jvm_opts}; took {elapsed:.0f} s\n")
    text = header + "\n" + table(results, args) + "\n"
    print("\n" + text)
    with open(os.path.join(args.out, f"{stamp}.md"), "w") as f:
        f.write(text)
    with open(os.path.join(args.out, f"{stamp}.json"), "w") as f:
        json.dump({"stamp": stamp, "commit": commit, "args": vars(args), "results": results}, f, indent=1)
    lossy = [r for r in results if r["qos"] >= 1 and (r["lost"] or r["latency_lost"])]
    if args.fail_on_loss and lossy:
        print("bench: QoS 1 runs lost messages: " + ", ".join(
            f"{r['contender']} {r['scenario']} rep {r['rep'] + 1}" for r in lossy),
              file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Startup benchmark for terraform-provider-harness.

Measures, per run, the time from spawning the provider (posix_spawn, as close to Go's
fork/exec as Python gets) to the handshake line arriving on its stdout, and the process's
VmRSS read from /proc/PID/status right after the line arrives, and its on-CPU time so far
(/proc/PID/schedstat, read at the same moment: unlike wall time it does not grow when other
processes compete for the CPUs, so it is the stabler figure on a busy machine). The provider is then killed
with SIGKILL and its socket directory removed (a SIGTERM could land before the signal
handlers exist; killing is not what is measured).

Scenarios (environment as Terraform sets it: cookie, PLUGIN_PROTOCOL_VERSIONS=5,6, port range):
  tls      PLUGIN_CLIENT_CERT = a fresh ECDSA P-521 CA:TRUE certificate (like go-plugin's)
  plain    no PLUGIN_CLIENT_CERT (TF_DISABLE_PLUGIN_TLS)
  *+ready  the same, then connect like go-plugin's client (TLS 1.3, ALPN h2, the P-521
           client certificate, server certificate verified by OpenSSL as the only root with
           hostname localhost), send the HTTP/2 preface and wait for the server's SETTINGS:
           the time until the provider can actually serve
  floor    a tiny C program that prints a handshake-shaped line: the cost of spawning
           anything on this machine, for context (built with the system cc if available)

Usage: startup.py BINARY [--runs N] [--out FILE.md] [--label TEXT] [--json FILE]
(bench/startup.sh builds the release binary and runs this.)
"""

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import targets as T  # noqa: E402

COOKIE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
TIMEOUT_S = 10.0


def p521_client_cert_pem(workdir):
    """A go-plugin-shaped client certificate made with openssl."""
    key = os.path.join(workdir, "client.key")
    crt = os.path.join(workdir, "client.crt")
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521",
            "-nodes", "-keyout", key, "-out", crt, "-days", "1", "-subj", "/O=HashiCorp/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=digitalSignature,keyEncipherment,keyAgreement,keyCertSign",
            "-addext", "extendedKeyUsage=clientAuth,serverAuth",
        ],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    with open(crt) as f:
        pem = f.read()
    assert "BEGIN CERTIFICATE" in pem
    return pem


def build_floor(workdir):
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        return None
    src = os.path.join(workdir, "floor.c")
    exe = os.path.join(workdir, "floor")
    with open(src, "w") as f:
        f.write('#include <stdio.h>\nint main(void){fputs("1|6|unix|/x|grpc|\\n",stdout);'
                'fflush(stdout);return 0;}\n')
    subprocess.run([cc, "-O2", "-o", exe, src], check=True)
    return exe


H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"


def await_h2_settings(parts, tls_ctx):
    """Connects like the plugin client, (TLS handshake with ALPN h2 and the client
    certificate,) sends the HTTP/2 preface and waits for the server's SETTINGS frame."""
    network, address, cert_field = parts[2], parts[3], parts[5]
    if network == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(address)
    else:
        host, port = address.rsplit(":", 1)
        sock = socket.create_connection((host, int(port)))
    sock.settimeout(TIMEOUT_S)
    if tls_ctx is not None:
        import base64
        der = base64.b64decode(cert_field + "=" * (-len(cert_field) % 4))
        ctx = tls_ctx["ctx"]
        ctx.load_verify_locations(cadata=der)
        sock = ctx.wrap_socket(sock, server_hostname="localhost")
        assert sock.selected_alpn_protocol() == "h2", sock.selected_alpn_protocol()
    sock.sendall(H2_PREFACE)
    buf = b""
    while len(buf) < 9:
        chunk = sock.recv(4096)
        if not chunk:
            raise SystemExit("server closed the connection before SETTINGS")
        buf += chunk
    if buf[3] != 4:
        raise SystemExit(f"first server frame is type {buf[3]}, not SETTINGS")
    sock.close()


def tls_client_factory(crt, key):
    """Returns a function making, per run and before the provider is spawned (go-plugin
    also prepares its client certificate first), an OpenSSL client context presenting the
    P-521 client certificate; after the handshake line the server certificate is added as
    the only trusted root (as go-plugin does) and hostname localhost is checked."""
    def make():
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(crt, key)
        ctx.set_alpn_protocols(["h2"])
        return {"ctx": ctx}
    return make


def read_cpu_ms(pid):
    """Time the process has spent on a CPU so far (sum_exec_runtime, ns precision): unlike
    wall time it does not grow when other processes compete for the CPUs."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[0]) / 1e6
    except (FileNotFoundError, ValueError, IndexError):
        return None


def read_rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        return None
    return None


def one_run(binary, env, ready=None):
    r, w = os.pipe()
    devnull = os.open(os.devnull, os.O_WRONLY)
    actions = [
        (os.POSIX_SPAWN_DUP2, w, 1),
        (os.POSIX_SPAWN_DUP2, devnull, 2),
        (os.POSIX_SPAWN_CLOSE, r),
    ]
    tls_ready = ready.get("tls")() if ready and ready.get("tls") else None
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(binary, [binary], env, file_actions=actions)
    os.close(w)
    os.close(devnull)
    buf = b""
    deadline = time.monotonic() + TIMEOUT_S
    while b"\n" not in buf:
        chunk = os.read(r, 4096)
        if not chunk:
            break
        buf += chunk
        if time.monotonic() > deadline:
            break
    t1 = time.perf_counter_ns()
    rss = read_rss_kb(pid)
    cpu = read_cpu_ms(pid)
    line = buf.split(b"\n", 1)[0].decode(errors="replace")
    parts = line.split("|")
    if len(parts) < 6:
        raise SystemExit(f"bad handshake line from {binary}: {line!r}")
    t2 = None
    if ready is not None:
        await_h2_settings(parts, tls_ready)
        t2 = time.perf_counter_ns()
    os.close(r)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
    if parts[2] == "unix" and parts[3].startswith("/") and "tf-provider-harness-" in parts[3]:
        try:
            os.unlink(parts[3])
        except FileNotFoundError:
            pass
        try:
            os.rmdir(os.path.dirname(parts[3]))
        except OSError:
            pass
    ready_ms = None if t2 is None else (t2 - t0) / 1e6
    return (t1 - t0) / 1e6, rss, parts, ready_ms, cpu


def pct(values, q):
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(q * (len(s) - 1)))))
    return s[k]


def measure(binary, env, runs, warmup=10, ready=None):
    for _ in range(warmup):
        one_run(binary, env, ready)
    times, rss, readies, cpus = [], [], [], []
    parts = None
    for _ in range(runs):
        t, r, parts, rd, cpu = one_run(binary, env, ready)
        times.append(t)
        if cpu is not None:
            cpus.append(cpu)
        if r is not None:
            rss.append(r)
        if rd is not None:
            readies.append(rd)
    return {
        "cpu_median_ms": statistics.median(cpus) if cpus else None,
        "cpu_p90_ms": pct(cpus, 0.90) if cpus else None,
        "ready_median_ms": statistics.median(readies) if readies else None,
        "ready_p90_ms": pct(readies, 0.90) if readies else None,
        "runs": runs,
        "median_ms": statistics.median(times),
        "p90_ms": pct(times, 0.90),
        "min_ms": min(times),
        "max_ms": max(times),
        "rss_median_kb": statistics.median(rss) if rss else None,
        "rss_max_kb": max(rss) if rss else None,
        "cert_field_len": len(parts[5]) if parts else 0,
    }


def git(*args):
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        return "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--out")
    ap.add_argument("--json")
    ap.add_argument("--label", default="")
    a = ap.parse_args()
    binary = os.path.abspath(a.binary)

    with tempfile.TemporaryDirectory(prefix="tfph-bench-") as wd:
        pem = p521_client_cert_pem(wd)
        tls = tls_client_factory(os.path.join(wd, "client.crt"), os.path.join(wd, "client.key"))
        base = {
            "TF_PLUGIN_MAGIC_COOKIE": COOKIE,
            "PLUGIN_PROTOCOL_VERSIONS": "5,6",
            "PLUGIN_MIN_PORT": "10000",
            "PLUGIN_MAX_PORT": "25000",
            "PATH": "/usr/bin:/bin",
            "TMPDIR": "/tmp",
        }
        results = {}
        results["tls"] = measure(binary, dict(base, PLUGIN_CLIENT_CERT=pem), a.runs)
        results["plain"] = measure(binary, base, a.runs)
        # Second pass: same, then connect like Terraform until the server's HTTP/2 SETTINGS.
        results["tls+ready"] = measure(binary, dict(base, PLUGIN_CLIENT_CERT=pem), a.runs, ready={"tls": tls})
        results["plain+ready"] = measure(binary, base, a.runs, ready={})
        floor = build_floor(wd)
        if floor:
            results["floor"] = measure(floor, base, a.runs)

    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "commit": git("rev-parse", "--short", "HEAD") + (" (dirty)" if git("status", "--porcelain") else ""),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {cpu_model()}, kernel {platform.release()}",
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "binary_bytes": os.path.getsize(binary),
        "label": a.label,
    }
    report = {"meta": meta, "results": results}
    print(json.dumps(report, indent=2))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=2)
    if a.out:
        with open(a.out, "w") as f:
            f.write(render_md(report))


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def render_md(report):
    m, r = report["meta"], report["results"]
    rows = []
    for name, target_ms in (("tls", T.STARTUP_MEDIAN_MS["tls"]), ("plain", T.STARTUP_MEDIAN_MS["plain"]), ("floor", None)):
        if name not in r:
            continue
        x = r[name]
        rd = r.get(name + "+ready")
        ready = "" if not rd else f"{rd['ready_median_ms']:.2f} / {rd['ready_p90_ms']:.2f}"
        cpu = "" if x["cpu_median_ms"] is None else f"{x['cpu_median_ms']:.2f} / {x['cpu_p90_ms']:.2f}"
        ok_t = "" if target_ms is None else (" ✅" if x["median_ms"] <= target_ms else " ❌")
        # the RSS target is on the largest run (bench/targets.py); no figure is no verdict
        ok_m = "" if name == "floor" or x["rss_max_kb"] is None else (
            " ✅" if T.kib_to_bytes(x["rss_max_kb"]) <= T.STARTUP_RSS_MAX_BYTES else " ❌")
        rows.append(
            f"| {name} | {x['median_ms']:.2f}{ok_t} | {x['p90_ms']:.2f} | {x['min_ms']:.2f} | "
            f"{cpu} | {x['rss_median_kb']} | {x['rss_max_kb']}{ok_m} | {ready} |"
        )
    return "\n".join([
        f"### {m['label'] or 'run'}",
        "",
        f"* date: {m['date']}; commit: {m['commit']}; machine: {m['machine']}; load average at end: {m['load']}",
        f"* binary: {m['binary_bytes']} bytes; runs per scenario: {r['tls']['runs']} (after 10 warm-up runs)",
        "",
        "| scenario | line median ms | line p90 ms | line min ms | on-CPU until line, median / p90 ms | RSS median KiB | RSS max KiB | h2 SETTINGS received, median / p90 ms |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ])


if __name__ == "__main__":
    sys.exit(main())

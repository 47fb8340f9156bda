#!/usr/bin/env python3
"""Writes BENCHMARKS.md from fresh measurements (bench/scorecard.sh builds and runs this).

Two steps, so every figure and verdict can be traced to saved data:
  measure   every figure below into one JSON (--json, default bench/results/scorecard.json)
  render    BENCHMARKS.md from that JSON and the saved before/after records in bench/results/
            (--render-only runs only this step)

Sections, each a table of scenario, N, runs, figure, min / median / max, target, met or why
not:
  1. startup        exec -> handshake line and RSS, AutoMTLS on and off (bench/startup.py)
  2. where the time goes
                    plan (refresh) and apply of N mixed resources and of terraform_data,
                    side by side in one run (bench/scale.py): wall, CPU of everything, CPU of
                    the provider, its share, wall as a ratio to terraform_data, state width
  3. API load       requests per operation and connections, counted by the emulator; requests
                    per application while waiting out a 10 s sync at -parallelism 10 and 50
  4. latency        apply of N repositories with --latency 50ms at -parallelism 10 against the
                    floor N x 50 ms / 10, and against terraform_data's wall at the same N
  5. memory         the provider's peak RSS in every run of 2-4
  6. codec          criterion: decode and encode of a 1000-attribute object and a 10 000-element
                    list, MB/s and allocations per value

Every verdict is computed here from the JSON against the constants of bench/targets.py; the
notes under the table are rendered from the same JSON and from the saved startup records
(bench/results/before-jitter.json, nojitter.json, static.json): no figure is written by hand.

Usage:
  scorecard.py --provider BIN --emulator BIN [--provider-build TEXT] [--runs 3] [--sizes 100,1000] [--startup-runs 200]
               [--json OUT.json] [--out BENCHMARKS.md]
  scorecard.py --render-only [--json IN.json] [--out BENCHMARKS.md]
"""

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# What "uncommitted changes" means in a scorecard's header: changes to anything but the
# scorecards' own outputs (a rerun of one scenario finds the other's fresh results uncommitted).
SOURCES = [".", ":(exclude)RELIABILITY.md", ":(exclude)BENCHMARKS.md", ":(exclude)bench/results"]
RESULTS = os.path.join(HERE, "results")
sys.path.insert(0, HERE)

import scale as scale_py  # noqa: E402
import targets as T  # noqa: E402

# Each resource type's operations in the emulator's request counters: (prefix, the read a refresh
# makes). Certificates have no GET in the API: a refresh lists them by server name and type.
TYPE_OPS = {
    "harness_gitops_repository": ("repositories", "get"),
    "harness_gitops_cluster": ("clusters", "get"),
    "harness_gitops_application": ("applications", "get"),
    "harness_gitops_agent": ("agents", "get"),
    "harness_gitops_app_project": ("projects", "get"),
    "harness_gitops_app_project_mapping": ("projectMappings", "get"),
    "harness_gitops_repository_credentials": ("repocreds", "get"),
    "harness_gitops_repository_certificate": ("certificates", "list"),
    "harness_gitops_gnupg_key": ("gpgkeys", "get"),
    "harness_gitops_applicationset": ("applicationsets", "get"),
}
READS = ("get", "list", "validate")


def run(cmd, **kw):
    print("$ " + " ".join(cmd), file=sys.stderr)
    return subprocess.run(cmd, check=True, **kw)


def mmm(xs, digits=1, unit=""):
    lo, med, hi = min(xs), statistics.median(xs), max(xs)
    return f"{lo:.{digits}f} / {med:.{digits}f} / {hi:.{digits}f}{unit}"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def terraform_bin():
    """`TERRAFORM`, else the `terraform` on PATH (as the tests find it)."""
    return scale_py.terraform_bin()


def terraform_version():
    """The version the binary reports (`terraform version -json`)."""
    p = subprocess.run([terraform_bin(), "version", "-json"], capture_output=True, text=True)
    try:
        return json.loads(p.stdout)["terraform_version"]
    except (ValueError, KeyError):
        return "unknown (`terraform version -json` failed: " + " ".join(p.stderr.split()[-20:]) + ")"


def git_meta():
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=ROOT).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--"] + SOURCES, capture_output=True,
                           text=True, cwd=ROOT).stdout.strip()
    return commit, bool(dirty)


# ------------------------------------------------------------------------------------------
# Measuring: everything goes into one dict, saved as JSON
# ------------------------------------------------------------------------------------------

def scale(args, scenarios, n, runs, extra=(), tag=None):
    out = os.path.join(args.work, f"scale-{tag or '-'.join(scenarios)}-{n}.json")
    run([sys.executable, os.path.join(HERE, "scale.py"), "--provider", args.provider, "--emulator", args.emulator,
         "--scenarios", ",".join(scenarios), "--n", str(n), "--runs", str(runs), "--json", out, *extra])
    with open(out) as f:
        return json.load(f)


def measure(args):
    commit, dirty = git_meta()
    data = {"meta": {
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": commit, "dirty": dirty,
        "machine": f"{platform.machine()}, {os.cpu_count()} vCPUs ({cpu_model()}), kernel {platform.release()}",
        "terraform": terraform_version(),
        "rustc": subprocess.run(["rustc", "-V"], capture_output=True, text=True).stdout.strip(),
        "runs": args.runs, "sizes": [int(x) for x in args.sizes.split(",")], "startup_runs": args.startup_runs,
        "parallelism": 10,
        "provider": os.path.relpath(args.provider, ROOT), "emulator": os.path.relpath(args.emulator, ROOT),
        "provider_build": args.provider_build,
    }}
    t0 = time.monotonic()
    sj = os.path.join(args.work, "startup.json")
    run([sys.executable, os.path.join(HERE, "startup.py"), args.provider, "--runs", str(args.startup_runs),
         "--json", sj, "--out", os.path.join(args.work, "startup.md")], stdout=subprocess.DEVNULL)
    with open(sj) as f:
        data["startup"] = json.load(f)
    data["scale"] = {str(n): scale(args, ["mixed", "terraform_data"], n, args.runs) for n in data["meta"]["sizes"]}
    data["waits"] = {}
    wn = args.wait_apps
    for par in (10, 50):
        res = scale(args, ["applications"], wn, 1, ["--parallelism", str(par), "--sync-delay", "10s"],
                    tag=f"wait-p{par}")
        data["waits"][str(par)] = {"n": wn, "parallelism": par, "sync_delay_s": 10, "run": res[f"applications/{wn}"][-1]}
    data["latency"] = {}
    for n in data["meta"]["sizes"]:
        lat = f"{int(T.LATENCY_S * 1000)}ms"
        res = scale(args, ["repositories", "terraform_data"], n, 1,
                    ["--latency", lat, "--parallelism", str(T.LATENCY_PARALLELISM)], tag="latency")
        res0 = scale(args, ["repositories"], n, 1, ["--parallelism", str(T.LATENCY_PARALLELISM)], tag="latency0")
        data["latency"][str(n)] = {"latency": lat, "parallelism": T.LATENCY_PARALLELISM,
                                   "with": res[f"repositories/{n}"][-1], "terraform_data": res[f"terraform_data/{n}"][-1],
                                   "without": res0[f"repositories/{n}"][-1]}
    data["codec"] = codec() if args.codec else {}
    data["meta"]["wall_s"] = time.monotonic() - t0
    return data


def codec():
    bench = subprocess.run(["cargo", "bench", "-p", "tfplugin", "--bench", "codec", "--", "--warm-up-time", "2",
                            "--measurement-time", "5"], cwd=ROOT, capture_output=True, text=True, check=True)
    allocs = [l for l in bench.stdout.splitlines() if l.startswith("ALLOCATIONS")]
    target_dir = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    out = {}
    for group in ("object_1000_attributes", "list_10000_elements"):
        g = {"allocations": [l.split(": ", 1)[1] for l in allocs if group in l]}
        g["bytes"] = int(g["allocations"][0].split(" bytes")[0]) if g["allocations"] else None
        for fn in ("decode", "encode"):
            with open(os.path.join(target_dir, "criterion", group, fn, "new", "estimates.json")) as f:
                e = json.load(f)["median"]
            g[fn] = {"median_ns": e["point_estimate"], "ci_low_ns": e["confidence_interval"]["lower_bound"],
                     "ci_high_ns": e["confidence_interval"]["upper_bound"]}
        out[group] = g
    return out


# ------------------------------------------------------------------------------------------
# Rendering: rows with computed verdicts
# ------------------------------------------------------------------------------------------

class Row(dict):
    """section, scenario, n, runs, figure, values, target, verdict (True / False / None), why."""


def row(section, scenario, n, runs, figure, values, target="–", verdict=None, why="", note=""):
    return Row(section=section, scenario=scenario, n=n, runs=runs, figure=figure, values=values, target=target,
               verdict=verdict, why=why, note=note)


def verdict_text(r):
    if r["verdict"] is None:
        return r["note"] or "–"
    return ("met" if r["verdict"] else "**not met**") + (f": {r['why']}" if r["why"] else "") + \
        (f"; {r['note']}" if r["note"] else "")


def expected_counts(per_type):
    """{(op prefix, read op): instances in the state} from the apply's state (an independent
    count). A type the table does not know fails the verdict instead of going uncounted."""
    return {TYPE_OPS.get(t, (t, "get")): v["count"] for t, v in per_type.items() if t != "terraform_data"}


def api_verdict(phase, requests, counts):
    """Refresh: exactly one read per resource (its type's read: a GET, a list for certificates)
    and nothing else. Apply: exactly one create per resource as the only writes (reads are the
    waits' polls and read-backs). Returns (ok, why)."""
    bad = []
    if phase == "plan":
        want = {f"{k}.{read}": v for (k, read), v in counts.items()}
        got = dict(requests)
        if got != want:
            bad.append(f"requests {sorted(got.items())} ≠ one read per resource {sorted(want.items())}")
    else:
        writes = {op: v for op, v in requests.items() if op.rsplit(".", 1)[-1] not in READS}
        want = {f"{k}.create": v for (k, _), v in counts.items()}
        if writes != want:
            bad.append(f"writes {sorted(writes.items())} ≠ one create per resource {sorted(want.items())}")
    return not bad, "; ".join(bad)


def startup_rows(st):
    rows = []
    res = st["results"]
    for name in ("tls", "plain"):
        if name not in res:
            continue
        x = res[name]
        label = "on" if name == "tls" else "off"
        limit = T.STARTUP_MEDIAN_MS[name]
        ok = x["median_ms"] <= limit
        rows.append(row("1. startup", f"exec → handshake line, AutoMTLS {label}", "–", x["runs"], "ms",
                        f"{x['min_ms']:.2f} / {x['median_ms']:.2f} / {x['max_ms']:.2f}", f"≤ {limit} ms (median)", ok,
                        "" if ok else f"median {x['median_ms']:.2f} ms > {limit} ms"))
        rss_max = T.kib_to_bytes(x["rss_max_kb"]) if x.get("rss_max_kb") is not None else None
        ok = rss_max is not None and rss_max <= T.STARTUP_RSS_MAX_BYTES
        rows.append(row("1. startup", f"RSS at the handshake line, AutoMTLS {label}", "–", x["runs"], "MB",
                        f"{T.kib_to_bytes(x['rss_median_kb']) / T.MB:.1f} (median) / "
                        f"{rss_max / T.MB:.1f} (max)" if rss_max is not None else "not measured",
                        f"≤ {T.STARTUP_RSS_MAX_BYTES // T.MB} MB (max)", ok,
                        "" if ok else ("not measured" if rss_max is None else
                                       f"largest of {x['runs']} runs {rss_max / T.MB:.1f} MB > "
                                       f"{T.STARTUP_RSS_MAX_BYTES // T.MB} MB")))
    if "floor" in res:
        x = res["floor"]
        rows.append(row("1. startup", "floor: a 5-line C program printing a line", "–", x["runs"], "ms",
                        f"{x['min_ms']:.2f} / {x['median_ms']:.2f} / {x['max_ms']:.2f}", note="context"))
    return rows


def scale_rows(n, res, parallelism):
    rows = []
    mixed, tfd = res[f"mixed/{n}"], res[f"terraform_data/{n}"]
    counts = expected_counts(mixed[-1]["per_type"])
    for phase in ("apply", "plan"):
        m = [r[phase] for r in mixed]
        t = [r[phase] for r in tfd]
        share = [100 * r["provider_cpu"] / r["cpu"] for r in m]
        ratio = [a["wall"] / b["wall"] for a, b in zip(m, t)]
        sec = "2. where the time goes"
        rows.append(row(sec, f"{phase} of mixed resources", n, len(m), "wall s", mmm([r["wall"] for r in m])))
        rows.append(row(sec, f"{phase} of terraform_data (Terraform alone)", n, len(t), "wall s",
                        mmm([r["wall"] for r in t]), note="reference"))
        rows.append(row(sec, f"{phase}: wall, mixed ÷ terraform_data", n, len(m), "ratio", mmm(ratio, 2)))
        rows.append(row(sec, f"{phase}: CPU of everything (terraform + provider)", n, len(m), "CPU s",
                        mmm([r["cpu"] for r in m])))
        rows.append(row(sec, f"{phase}: CPU of the provider processes", n, len(m), "CPU s",
                        mmm([r["provider_cpu"] for r in m], 2)))
        if n >= T.PROVIDER_SHARE_AT_N:
            ok = max(share) <= T.PROVIDER_SHARE_MAX_PCT
            rows.append(row(sec, f"{phase}: provider share of all CPU", n, len(m), "%", mmm(share, 1),
                            f"≤ {T.PROVIDER_SHARE_MAX_PCT:g} % at N = {T.PROVIDER_SHARE_AT_N} (every run)", ok,
                            "" if ok else f"largest {max(share):.1f} % > {T.PROVIDER_SHARE_MAX_PCT:g} %"))
        else:
            rows.append(row(sec, f"{phase}: provider share of all CPU", n, len(m), "%", mmm(share, 1)))
        # API load: every run's requests against the resources its state holds.
        bad = []
        for i, r in enumerate(m):
            ok, why = api_verdict(phase, r["api"]["requests"], counts)
            if not ok:
                bad.append(f"run {i + 1}: {why}")
        last = m[-1]["api"]
        reqs = ", ".join(f"{k} {v}" for k, v in sorted(last["requests"].items()))
        target = "1 read per resource, nothing else" if phase == "plan" else "1 create per resource, no other write"
        rows.append(row("3. API load", f"{phase} of mixed resources: requests by operation (last run)", n, len(m),
                        "requests", reqs, target, not bad, "; ".join(bad)[:500]))
        bad = []
        for i, r in enumerate(m):
            limit = parallelism * max(r.get("provider_processes", 1), 1)
            if r["api"]["connections"] > limit:
                bad.append(f"run {i + 1}: {r['api']['connections']} > {limit}")
        rows.append(row("3. API load", f"{phase} of mixed resources: TCP connections", n, len(m), "connections",
                        mmm([r["api"]["connections"] for r in m], 0)
                        + f" ({sum(last['requests'].values()) / max(last['connections'], 1):.0f} requests per "
                          f"connection in the last run)",
                        f"reused: ≤ {parallelism} × provider processes", not bad, "; ".join(bad)))
    for t_name, v in sorted(mixed[-1]["per_type"].items()):
        rows.append(row("2. where the time goes", f"state width of {t_name}", n, 1,
                        "attributes / JSON bytes per instance", f"{v['attributes']} / {v['bytes'] / max(v['count'], 1):.0f}"))
    for t_name, v in sorted(tfd[-1]["per_type"].items()):
        rows.append(row("2. where the time goes", f"state width of {t_name}", n, 1,
                        "attributes / JSON bytes per instance", f"{v['attributes']} / {v['bytes'] / max(v['count'], 1):.0f}",
                        note="reference"))
    return rows


def wait_rows(waits):
    rows = []
    for par, w in sorted(waits.items(), key=lambda kv: int(kv[0])):
        r = w["run"]["apply"]
        reqs = r["api"]["requests"]
        polls = reqs.get("applications.get", 0) + reqs.get("applications.list", 0)
        limit = math.ceil(r["wall"] / T.WAIT_SHORTEST_ROUND_S)
        ok = polls <= limit
        rows.append(row("3. API load", f"apply of {w['n']} applications waiting out a {w['sync_delay_s']} s sync, "
                                       f"-parallelism={par}: poll requests per application", w["n"], 1, "requests",
                        f"{polls / w['n']:.2f} ({polls} polls: {reqs.get('applications.list', 0)} list, "
                        f"{reqs.get('applications.get', 0)} get; apply {r['wall']:.1f} s)",
                        f"as low as the API allows: one poll per round, ≤ apply wall ÷ {T.WAIT_SHORTEST_ROUND_S} s",
                        ok, "" if ok else f"{polls} polls > {limit}"))
    return rows


def latency_rows(latency):
    rows = []
    for n_s, l in sorted(latency.items(), key=lambda kv: int(kv[0])):
        n = int(n_s)
        w = l["with"]["apply"]["wall"]
        floor = n * T.LATENCY_S / l["parallelism"]
        tf_floor = l["terraform_data"]["apply"]["wall"]
        larger = max(floor, tf_floor)
        ok = w <= T.LATENCY_FACTOR * larger
        rows.append(row("4. latency", f"apply with --latency {l['latency']}, -parallelism={l['parallelism']}", n, 1,
                        "wall s", f"{w:.1f} (latency floor {floor:.1f}, terraform_data {tf_floor:.1f})",
                        f"≤ {T.LATENCY_FACTOR} × the larger floor", ok,
                        "" if ok else f"{w / larger:.2f} × {larger:.1f} s"))
        w0 = l["without"]["apply"]["wall"]
        rows.append(row("4. latency", "the same apply without latency (Terraform's cost at this schema width)", n, 1,
                        "wall s", f"{w0:.1f}", note="context"))
        rows.append(row("4. latency", "wall time the latency adds (with − without)", n, 1, "wall s",
                        f"{w - w0:.1f} (latency floor {floor:.1f})", note="context"))
    return rows


def peak_rss_runs(data):
    """(N, MiB) of the provider's peak RSS in every run of sections 2-4."""
    out = []
    for n_s, res in data["scale"].items():
        for r in res[f"mixed/{n_s}"]:
            for phase in ("apply", "plan"):
                out.append((int(n_s), r[phase]["provider_rss_kib"]))
    for w in data["waits"].values():
        out.append((w["n"], w["run"]["apply"]["provider_rss_kib"]))
    for n_s, l in data["latency"].items():
        out.append((int(n_s), l["with"]["apply"]["provider_rss_kib"]))
        out.append((int(n_s), l["without"]["apply"]["provider_rss_kib"]))
    return out


def memory_rows(data):
    runs = [kib for n, kib in peak_rss_runs(data) if n <= T.PEAK_RSS_AT_N]
    if not runs:
        return [row("5. memory", "provider peak RSS", f"≤ {T.PEAK_RSS_AT_N}", 0, "MB", "not measured",
                    f"≤ {T.PEAK_RSS_MAX_BYTES // T.MB} MB at N = {T.PEAK_RSS_AT_N}", False, "no run")]
    mb = [T.kib_to_bytes(k) / T.MB for k in runs]
    ok = max(mb) * T.MB <= T.PEAK_RSS_MAX_BYTES
    return [row("5. memory", "provider peak RSS over every run above", f"≤ {T.PEAK_RSS_AT_N}", len(mb), "MB", mmm(mb),
                f"≤ {T.PEAK_RSS_MAX_BYTES // T.MB} MB at N = {T.PEAK_RSS_AT_N} (peak)", ok,
                "" if ok else f"peak {max(mb):.1f} MB")]


def codec_rows(codec_data):
    rows = []
    for group, g in codec_data.items():
        for a in g["allocations"]:
            rows.append(row("6. codec", f"{group}: allocations", "–", 1, "allocations", a))
        for fn in ("decode", "encode"):
            e = g[fn]
            to_mbs = lambda ns: g["bytes"] / (ns / 1e9) / 1e6  # noqa: E731
            rows.append(row("6. codec", f"{group}: msgpack {fn}", "–", "criterion", "MB/s (median, 95 % CI)",
                            f"{to_mbs(e['ci_high_ns']):.0f} / {to_mbs(e['median_ns']):.0f} / {to_mbs(e['ci_low_ns']):.0f}"))
    return rows


def all_rows(data):
    rows = startup_rows(data["startup"])
    par = data["meta"].get("parallelism", 10)
    for n_s in sorted(data["scale"], key=int):
        rows += scale_rows(int(n_s), data["scale"][n_s], par)
    rows += wait_rows(data["waits"])
    rows += latency_rows(data["latency"])
    rows += memory_rows(data)
    if data["codec"]:
        rows += codec_rows(data["codec"])
    else:
        rows.append(row("6. codec", "msgpack decode and encode", "–", 0, "MB/s", "not run (--no-codec)"))
    return rows


# ------------------------------------------------------------------------------------------
# Notes: every figure from the JSON or the saved records
# ------------------------------------------------------------------------------------------

def load_record(name, results_dir):
    path = os.path.join(results_dir, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def by_scenario(rows, prefix):
    return [r for r in rows if r["scenario"].startswith(prefix)]


def notes(data, rows, results_dir):
    before, after, static = (load_record(n, results_dir) for n in ("before-jitter.json", "nojitter.json", "static.json"))
    out = ["## Notes", "", "Every figure below is rendered by `bench/scorecard.py` from the JSON this report was rendered "
           "from or from the saved records it names in `bench/results/`.", "",
           "### What the figures showed, and what was changed because of them", ""]
    if before and after:
        b, a = before["results"]["tls"], after["results"]["tls"]
        out.append(
            f"- **Startup (section 1).** AWS-LC seeded itself with CPU jitter entropy at every start: with AutoMTLS the "
            f"handshake line came after {b['min_ms']:.0f}–{b['max_ms']:.0f} ms (median {b['median_ms']:.1f} ms, "
            f"`bench/results/before-jitter.json`, {b['runs']} runs). `.cargo/config.toml` sets "
            f"`AWS_LC_SYS_NO_JITTER_ENTROPY=1` so it seeds from the OS: median {a['median_ms']:.2f} ms "
            f"(`bench/results/nojitter.json`, same machine and commit {after['meta']['commit']}).")
    out += [
        "- **Codec (sections 2 and 6).** A `perf` profile of a 1000-repository plan put msgpack decoding of objects "
        "on top: every attribute built its error path eagerly and went through a generic map. Now error paths are "
        "built only on the failing branch and objects are decoded with a cursor over the type's sorted attribute "
        "names. No before/after figures were saved; section 6 has today's.",
    ]
    codec_before = load_record("codec-before.json", results_dir)
    if codec_before and data.get("codec"):
        pairs = []
        for group in ("object_1000_attributes", "list_10000_elements"):
            b = codec_before["codec"].get(group, {}).get("allocations", [""])[0]
            a = data["codec"].get(group, {}).get("allocations", [""])[0]
            pairs.append(f"{group}: before “{b}”, now “{a}”")
        out.append(
            "- **Object representation (sections 2 and 6).** Objects were `BTreeMap`s of owned attribute names, "
            "rebuilt by every call; they are now vectors in the schema's order whose names are shared with the "
            "type (decoding clones a name, never allocates one), and typed conversions carry their path on the "
            "stack. Allocations of the codec benchmarks, before (`bench/results/codec-before.json`, commit "
            f"{codec_before['meta']['commit']}) and in this run: " + "; ".join(pairs) + ".")
    out += [
        "- **Harness client.** Every GET parsed its body twice (a path-tracking deserializer, then a JSON tree to see "
        "whether the entity was there). Now one pass without path tracking; only a body that fails to decode is "
        "parsed again, for the error's path.",
    ]
    w50 = data["waits"].get("50")
    if w50:
        r = w50["run"]["apply"]["api"]["requests"]
        polls = r.get("applications.get", 0) + r.get("applications.list", 0)
        out.append(
            f"- **Waiting applications (section 3).** Each application polled its own GET with its own backoff, so "
            f"every waiting application cost a request a round. All waits in a provider process now share one poll "
            f"per scope and round (a list call when several wait, a GET when one does): at -parallelism=50, "
            f"{w50['n']} applications waiting out a {w50['sync_delay_s']} s sync cost {polls} polls, "
            f"{polls / w50['n']:.2f} per application.")
    every = load_record("plan-every-kind-before.json", results_dir)
    if every:
        m = every["runs"]["mixed/1000"][0]["plan"]
        out.append(
            f"- **Every resource kind (section 2).** The mixed scenario now holds every kind the provider has, a tenth "
            f"each (`bench/scale.py`). Measured before this round's changes (commit {every['meta']['commit']}, "
            f"`bench/results/plan-every-kind-before.json`, one run on a shared machine): the plan's provider CPU "
            f"{m['provider_cpu']:.2f} s of {m['cpu']:.2f} s ({100 * m['provider_cpu'] / m['cpu']:.1f} %), peak RSS "
            f"{m['provider_rss_kib'] / 1000:.1f} MB in the plan and "
            f"{every['runs']['mixed/1000'][0]['apply']['provider_rss_kib'] / 1000:.1f} MB in the apply. Its profile: "
            f"{every['meta']['profile']}. Schemas are now built once per process (`tfplugin::typed::schema_of`).")
    out += ["- **Profile of the plan share.** `bench/results/plan-profile.md` (`perf` profiles, dated): after the "
            "codec and client fixes no single hot spot was left; half of the provider's plan CPU answered the four "
            "gRPC calls Terraform makes per resource in every plan (h2, TLS, the scheduler), half was the value "
            "representation and per-call rebuilding (owned attribute names in ordered maps, a model's schema "
            "rebuilt by a read). The second half is what this round changed (object representation, shared "
            "schemas, no remote plan checks for plans that change nothing); the transport is untouched.", ""]

    failed = [r for r in rows if r["verdict"] is False]
    out += ["### Targets not met, and why", ""]
    if not failed:
        out += ["Every target is met.", ""]
    for r in failed:
        out.append(f"- **{r['section']}: {r['scenario']}** (N = {r['n']}): {r['why']} (target {r['target']}).")
        out += explain(r, data, static)
    out.append("")
    return "\n".join(out)


def explain(r, data, static):
    """Figures that explain a target not met, from the data; [] when there is nothing measured to add."""
    s = r["scenario"]
    out = []
    if s.startswith("plan: provider share"):
        n = str(r["n"])
        runs = data["scale"][n][f"mixed/{n}"]
        tf_ms = statistics.median([1000 * (x["plan"]["cpu"] - x["plan"]["provider_cpu"]) / int(n) for x in runs])
        out.append(f"  A plan is cheap for Terraform ({tf_ms:.1f} ms of its CPU per resource, median: no state is "
                   f"rewritten) while the provider answers four calls per resource; see the profile above.")
    elif s.startswith("apply with --latency"):
        n = str(r["n"])
        st = data["scale"].get(n)
        if st:
            per = st[f"mixed/{n}"][-1]["per_type"]
            tfd = st[f"terraform_data/{n}"][-1]["per_type"].get("terraform_data")
            repo = per.get("harness_gitops_repository")
            if tfd and repo:
                ratio = (repo["bytes"] / repo["count"]) / (tfd["bytes"] / tfd["count"])
                out.append(f"  Terraform rewrites the state after every resource; a repository's state is "
                           f"{ratio:.1f} × terraform_data's (section 2). The rows \"the same apply without latency\" "
                           f"and \"wall time the latency adds\" show what Terraform's own work and the latency cost.")
    elif s.startswith("exec → handshake line, AutoMTLS off") and data["meta"].get("provider_build"):
        out.append(f"  Measured binary: {data['meta']['provider_build']} (`{data['meta']['provider']}`). "
                   f"The floor row shows the cost of exec itself here.")
    elif s.startswith("exec → handshake line, AutoMTLS off") and static:
        x, y = static["results"]["plain"], static["results"]["tls"]
        out.append(f"  The scorecard measures the dynamically linked release binary. A static-pie glibc build "
                   f"(`bench/results/static.json`, {static['meta']['date']}): median {x['median_ms']:.2f} ms without "
                   f"and {y['median_ms']:.2f} ms with AutoMTLS, RSS at most {T.kib_to_bytes(x['rss_max_kb']) / T.MB:.1f} "
                   f"MB. The floor row shows the cost of exec itself here.")
    elif s.startswith("RSS at the handshake line"):
        x = data["startup"]["results"]["tls" if s.endswith("on") else "plain"]
        out.append(f"  The median is {T.kib_to_bytes(x['rss_median_kb']) / T.MB:.1f} MB; the target is on the "
                   f"largest run.")
    return out


def render(data, results_dir=RESULTS, source="bench/results/scorecard.json"):
    rows = all_rows(data)
    m = data["meta"]
    met_all = all(r["verdict"] is not False for r in rows)
    judged = [r for r in rows if r["verdict"] is not None]
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `bench/scorecard.sh` (measures into `{source}`, then renders this file from it: "
        f"`python3 bench/scorecard.py --render-only --json {source}`); started {m['started']}, "
        f"commit {m['commit']}{' with uncommitted changes' if m.get('dirty') else ''}. "
        f"Machine: {m['machine']}. Terraform {m['terraform']} (`terraform version -json`); {m.get('rustc', '')}; "
        f"provider `{m.get('provider', 'not recorded')}`"
        f"{' (' + m['provider_build'] + ')' if m.get('provider_build') else ''}, emulator on loopback. "
        f"Do not edit by hand.",
        "",
        "Figures are min / median / max over the runs given (section 6: the 95 % confidence interval of criterion's "
        "median). Every verdict is computed by `bench/scorecard.py` from the figures against the targets in "
        "`bench/targets.py` (as first written; MB = 10^6 bytes). How each figure is measured: the docstrings of "
        "`bench/scale.py`, `bench/startup.py` and `crates/tfplugin/benches/codec.rs`.",
        "",
        f"**Every target met: {'yes' if met_all else 'no'}** ({sum(1 for r in judged if r['verdict'])} of "
        f"{len(judged)} judged rows met).",
        "",
        "| section | scenario | N | runs | figure | min / median / max | target | met or why not |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        cells = [r["section"], r["scenario"], r["n"], r["runs"], r["figure"], r["values"], r["target"], verdict_text(r)]
        lines.append("| " + " | ".join(str(x).replace("|", "\\|") for x in cells) + " |")
    lines += ["", notes(data, rows, results_dir)]
    return "\n".join(lines).rstrip() + "\n", rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--provider")
    ap.add_argument("--emulator")
    ap.add_argument("--provider-build", default=None,
                    help="what --provider is (e.g. the binary of the release archive), recorded and rendered")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--startup-runs", type=int, default=200)
    ap.add_argument("--sizes", default="100,1000")
    ap.add_argument("--wait-apps", type=int, default=100, help="applications in the waiting rows of section 3")
    ap.add_argument("--no-codec", dest="codec", action="store_false",
                    help="skip section 6 (criterion builds the codec bench in release: long)")
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "scorecard"))
    ap.add_argument("--json", default=os.path.join(RESULTS, "scorecard.json"))
    ap.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"))
    ap.add_argument("--render-only", action="store_true",
                    help="write --out from the figures in --json without measuring anything")
    args = ap.parse_args()
    if args.render_only:
        with open(args.json) as f:
            data = json.load(f)
    else:
        if not (args.provider and args.emulator):
            ap.error("--provider and --emulator are needed unless --render-only")
        os.makedirs(args.work, exist_ok=True)
        args.provider, args.emulator = os.path.abspath(args.provider), os.path.abspath(args.emulator)
        data = measure(args)
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(data, f, indent=1)
        print(f"wrote {args.json}", file=sys.stderr)
    rel = os.path.relpath(os.path.abspath(args.json), ROOT)
    md, _ = render(data, source=rel)
    with open(args.out, "w") as f:
        f.write(md)
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()

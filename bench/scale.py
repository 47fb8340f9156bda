#!/usr/bin/env python3
"""Scale benchmark: `terraform apply` and `terraform plan` (refresh) of N resources against the
local emulators, measured side by side with Terraform's built-in `terraform_data` at the same N.

For each scenario and N, each run starts fresh emulators and a fresh working directory, then:
  apply   terraform apply -auto-approve -parallelism=P
  plan    terraform plan (a refresh of everything; must be empty)
and records, per command:
  wall           seconds, terraform's own wall clock
  cpu            user+sys seconds of terraform and every process it started (GNU time)
  provider cpu   user+sys seconds of the provider processes (each one runs under GNU time
                 through a wrapper named like the provider in a dev_overrides directory)
  provider rss   the largest peak RSS of any provider process (KiB)
  api            requests the Harness emulator served, by operation, and TCP connections
and, after the apply, the state's size per resource and the attributes per resource.

The provider's CPU share is provider cpu / cpu. terraform_data runs the same way without a
provider (its figures are Terraform's own cost at that N: the floor every provider pays).

Usage:
  scale.py --provider BIN --emulator BIN [--kube-emulator BIN] --scenarios repositories,terraform_data
           --n 100,1000 --runs 3 [--parallelism 10] [--latency 50ms] [--sync-delay 2s]
           [--json OUT.json] [--md OUT.md] [--label TEXT]
bench/scale.sh builds the release binaries and runs this.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

API_KEY = "pat.bench.0123456789abcdef.benchkey"
ACCOUNT = "benchaccount"
SOURCE = "registry.terraform.io/harness-gitops/harness"


def terraform_bin():
    """`TERRAFORM` when set, else `terraform` on PATH."""
    t = os.environ.get("TERRAFORM")
    if t:
        if not os.path.exists(t):
            sys.exit(f"terraform not found at TERRAFORM={t}")
        return t
    found = shutil.which("terraform")
    if not found:
        sys.exit("terraform not found on PATH (install it or set TERRAFORM to its path)")
    return found


class Emulator:
    """The Harness GitOps emulator as a child process."""

    def __init__(self, binary, extra):
        self.proc = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", "--api-key", API_KEY, "--account-id", ACCOUNT] + extra,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        line = self.proc.stdout.readline().strip()
        if not line.startswith("LISTENING "):
            raise RuntimeError(f"emulator said {line!r}")
        self.url = line.split(" ", 1)[1]

    def counters(self):
        req = urllib.request.Request(f"{self.url}/_emulator/requests", headers={"x-api-key": API_KEY})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def counter_delta(after, before):
    out = {"requests": {}, "connections": after.get("connections", 0) - before.get("connections", 0)}
    for op, n in after.get("requests", {}).items():
        d = n - before.get("requests", {}).get(op, 0)
        if d:
            out["requests"][op] = d
    return out


# ------------------------------------------------------------------------------------------
# Configurations
# ------------------------------------------------------------------------------------------

def provider_block(url):
    return f'''terraform {{
  required_providers {{
    harness = {{ source = "{SOURCE}" }}
  }}
}}

provider "harness" {{
  endpoint   = "{url}"
  account_id = "{ACCOUNT}"
  api_key    = "{API_KEY}"
  org_id     = "default"
  project_id = "mlplatform"
  agent_id   = "mlagent"
}}
'''


def config_repositories(n):
    return f'''
resource "harness_gitops_repository" "r" {{
  count      = {n}
  identifier = "repo_${{count.index}}"
  url        = "https://github.com/acme/repo-${{count.index}}.git"
  username   = "bot"
  password   = "not-a-real-password"
}}
'''


def config_applications(n):
    """N applications (automated sync, waiting for Synced and Healthy) from one repository."""
    return f'''
resource "harness_gitops_repository" "manifests" {{
  identifier = "manifests"
  url        = "https://github.com/acme/ml-manifests.git"
}}

resource "harness_gitops_application" "a" {{
  count        = {n}
  name         = "pipeline-${{count.index}}"
  argo_project = "default"
  repo_id      = harness_gitops_repository.manifests.identifier
  destination  = {{ server = "https://kubernetes.default.svc", namespace = "ml-${{count.index}}" }}
  sources      = [{{ repo_url = harness_gitops_repository.manifests.url, path = "pipelines/${{count.index}}", target_revision = "main" }}]
  sync_policy  = {{ automated = {{ prune = true, self_heal = true }} }}
  wait         = {{}}
}}
'''


def config_clusters(n):
    """N clusters registered with a (write-only) service-account token."""
    return f'''
resource "harness_gitops_cluster" "c" {{
  count                   = {n}
  identifier              = "cluster_${{count.index}}"
  name                    = "cluster-${{count.index}}"
  server                  = "https://cluster-${{count.index}}.k8s.acme-ml.dev"
  connection_type         = "SERVICE_ACCOUNT"
  bearer_token_wo         = "not-a-real-token-${{count.index}}"
  bearer_token_wo_version = 1
}}
'''


def config_three(n):
    """A third each: repositories, clusters (token), applications (waiting for the sync; their
    one shared repository counts among the applications' third). The scorecard's mix until
    every resource kind existed (BENCHMARKS.md before 2026-12-08)."""
    third = max(n // 3, 1)
    return config_repositories(third) + config_clusters(third) + config_applications(n - 2 * third - 1)


def pgp_public_key(i):
    """An ASCII-armored OpenPGP v4 Ed25519 public key packet and a user ID, distinct per i (its
    creation time and key material differ, so its fingerprint and key ID do). Argo CD and the
    emulator derive the key ID from the key packet; no signature is needed to import it."""
    import base64
    import hashlib
    material = hashlib.sha256(f"bench-key-{i}".encode()).digest()
    body = bytes([4]) + (1_700_000_000 + i).to_bytes(4, "big") + bytes([22])  # v4, time, EdDSA
    body += bytes([9]) + bytes.fromhex("2B06010401DA470F01")  # OID of Ed25519
    body += (263).to_bytes(2, "big") + bytes([0x40]) + material  # MPI: 0x40 || 32 bytes
    uid = f"Bench Key {i} <bench-{i}@example.com>".encode()
    packets = bytes([0x99]) + len(body).to_bytes(2, "big") + body + bytes([0xB4, len(uid)]) + uid

    def crc24(data):
        crc = 0xB704CE
        for b in data:
            crc ^= b << 16
            for _ in range(8):
                crc <<= 1
                if crc & 0x1000000:
                    crc ^= 0x1864CFB
        return crc & 0xFFFFFF
    b64 = base64.b64encode(packets).decode()
    lines = [b64[k:k + 64] for k in range(0, len(b64), 64)]
    crc = base64.b64encode(crc24(packets).to_bytes(3, "big")).decode()
    return ("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n" + "\n".join(lines) + f"\n={crc}\n"
            "-----END PGP PUBLIC KEY BLOCK-----\n")


def config_mixed(n):
    """Every resource kind the provider has, a tenth of N each (the applications' tenth takes the
    remainder and counts their one shared repository): repositories (password), clusters
    (write-only token), applications (waiting for Synced and Healthy), agents (registered, not
    installed), Argo CD projects, project mappings (one per project, named from the project's
    output), repository credential templates (write-only token), repository certificates (SSH
    host keys), GnuPG keys (a distinct armored key each) and ApplicationSets (a list generator of
    one element whose generated application the emulator's controller creates and syncs)."""
    k = max(n // 10, 1)
    apps = n - 9 * k - 1
    keys = "\n".join("    " + json.dumps(pgp_public_key(i)) + "," for i in range(k))
    return config_repositories(k) + config_clusters(k) + config_applications(max(apps, 1)) + f'''
resource "harness_gitops_agent" "ag" {{
  count      = {k}
  identifier = "agent_${{count.index}}"
  name       = "agent-${{count.index}}"
  type       = "CONNECTED_ARGO_PROVIDER"
  namespace  = "argocd"
}}

resource "harness_gitops_app_project" "p" {{
  count        = {k}
  name         = "team-${{count.index}}"
  description  = "team ${{count.index}}"
  source_repos = ["https://github.com/acme/team-${{count.index}}-*"]
  destinations = [{{ server = "https://kubernetes.default.svc", namespace = "team-${{count.index}}-*" }}]
}}

resource "harness_gitops_app_project_mapping" "m" {{
  count             = {k}
  argo_project_name = harness_gitops_app_project.p[count.index].name
}}

resource "harness_gitops_repository_credentials" "cred" {{
  count               = {k}
  identifier          = "cred_${{count.index}}"
  url                 = "https://github.com/acme-${{count.index}}/"
  username            = "bot"
  password_wo         = "not-a-real-token-${{count.index}}"
  password_wo_version = 1
}}

resource "harness_gitops_repository_certificate" "cert" {{
  count         = {k}
  server_name   = "git-${{count.index}}.acme-ml.dev"
  cert_type     = "ssh"
  cert_sub_type = "ssh-ed25519"
  cert_data     = "AAAAC3NzaC1lZDI1NTE5AAAAIFPWokuucOGrAvW4+uobKDA8hAADhJVIh1cnBuJGv2uC"
}}

locals {{
  gpg_keys = [
{keys}
  ]
}}

resource "harness_gitops_gnupg_key" "gpg" {{
  count    = {k}
  key_data = local.gpg_keys[count.index]
}}

resource "harness_gitops_applicationset" "set" {{
  count      = {k}
  name       = "fleet-${{count.index}}"
  generators = [{{ list = {{ elements = [{{ model = "m${{count.index}}" }}] }} }}]
  template = {{
    name         = "{{{{model}}}}-serving"
    argo_project = "default"
    destination  = {{ server = "https://kubernetes.default.svc", namespace = "serving-{{{{model}}}}" }}
    sources      = [{{ repo_url = harness_gitops_repository.manifests.url, path = "serving/{{{{model}}}}", target_revision = "main" }}]
  }}
}}
'''


def config_terraform_data(n):
    return f'''
resource "terraform_data" "r" {{
  count = {n}
  input = {{
    identifier = "repo_${{count.index}}"
    url        = "https://github.com/acme/repo-${{count.index}}.git"
  }}
}}
'''


SCENARIOS = {
    "repositories": {"config": config_repositories, "provider": True, "kind": "harness_gitops_repository"},
    "applications": {"config": config_applications, "provider": True, "kind": "harness_gitops_application"},
    "clusters": {"config": config_clusters, "provider": True, "kind": "harness_gitops_cluster"},
    "mixed": {"config": config_mixed, "provider": True, "kind": "harness_gitops_application"},
    "three_kinds": {"config": config_three, "provider": True, "kind": "harness_gitops_application"},
    "terraform_data": {"config": config_terraform_data, "provider": False, "kind": "terraform_data"},
}


# ------------------------------------------------------------------------------------------
# One run
# ------------------------------------------------------------------------------------------

def write_wrapper(dirpath, real, rusage_log):
    """A dev_overrides directory whose provider runs the real binary under GNU time."""
    os.makedirs(dirpath, exist_ok=True)
    wrapper = os.path.join(dirpath, "terraform-provider-harness")
    with open(wrapper, "w") as f:
        f.write(
            "#!/bin/sh\n"
            f"exec /usr/bin/time -a -o '{rusage_log}' -f '%e %U %S %M' '{real}' \"$@\"\n"
        )
    os.chmod(wrapper, 0o755)


def timed(cmd, cwd, env):
    """Runs cmd under GNU time; returns (wall, user+sys, maxrss KiB of terraform itself, output)."""
    tfile = os.path.join(cwd, ".time")
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-o", tfile, "-f", "%e %U %S %M"] + cmd, cwd=cwd, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall = time.monotonic() - t0
    with open(tfile) as f:
        last = f.read().strip().splitlines()[-1].split()
    if p.returncode not in (0, 2):
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout[-4000:]}")
    return wall, float(last[1]) + float(last[2]), int(last[3]), p


def provider_usage(log):
    cpu, rss, procs = 0.0, 0, 0
    if os.path.exists(log):
        with open(log) as f:
            for line in f:
                parts = line.split()
                if len(parts) != 4:
                    continue  # GNU time's "Command exited with non-zero status" lines
                cpu += float(parts[1]) + float(parts[2])
                rss = max(rss, int(parts[3]))
                procs += 1
    return cpu, rss, procs


def run_once(args, scenario, n, run_index):
    spec = SCENARIOS[scenario]
    work = tempfile.mkdtemp(prefix=f"bench-{scenario}-{n}-")
    emu = None
    try:
        extra = ["--sync-delay", args.sync_delay, "--delete-delay", "0"]
        if args.latency:
            extra += ["--latency", args.latency]
        emu = Emulator(args.emulator, extra) if spec["provider"] else None
        with open(os.path.join(work, "main.tf"), "w") as f:
            f.write((provider_block(emu.url) if emu else "") + spec["config"](n))
        override = os.path.join(work, "providers")
        cli = os.path.join(work, "cli.tfrc")
        with open(cli, "w") as f:
            f.write(f'provider_installation {{\n  dev_overrides {{\n    "{SOURCE}" = "{override}"\n  }}\n  direct {{}}\n}}\n')
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "HARNESS_"))}
        env.update({"TF_CLI_CONFIG_FILE": cli, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"})
        tf = terraform_bin()
        out = {}
        for phase, cmd in [
            ("apply", [tf, "apply", "-auto-approve", "-input=false", "-no-color", f"-parallelism={args.parallelism}"]),
            ("plan", [tf, "plan", "-input=false", "-no-color", "-detailed-exitcode", f"-parallelism={args.parallelism}"]),
        ]:
            log = os.path.join(work, f"rusage-{phase}.log")
            write_wrapper(override, args.provider, log)
            before = emu.counters() if emu else {}
            wall, cpu, tf_rss, p = timed(cmd, work, env)
            if phase == "plan" and p.returncode != 0:
                raise RuntimeError(f"the plan after apply is not empty:\n{p.stdout[-4000:]}")
            pcpu, prss, procs = provider_usage(log)
            out[phase] = {
                "wall": wall, "cpu": cpu, "provider_cpu": pcpu, "provider_rss_kib": prss,
                "provider_processes": procs, "terraform_rss_kib": tf_rss,
                "api": counter_delta(emu.counters(), before) if emu else {},
            }
            if phase == "apply":
                state_path = os.path.join(work, "terraform.tfstate")
                size = os.path.getsize(state_path)
                with open(state_path) as f:
                    st = json.load(f)
                per_type = {}
                for r in st["resources"]:
                    for inst in r["instances"]:
                        t = per_type.setdefault(r["type"], {"count": 0, "bytes": 0, "attributes": 0})
                        t["count"] += 1
                        t["bytes"] += len(json.dumps(inst["attributes"], separators=(",", ":")))
                        t["attributes"] = max(t["attributes"], len(inst["attributes"]))
                out["state_bytes_per_resource"] = size / n
                out["per_type"] = per_type
        print(f"  {scenario} N={n} run {run_index + 1}: apply {out['apply']['wall']:.1f}s "
              f"(provider {out['apply']['provider_cpu']:.2f}s of {out['apply']['cpu']:.1f}s cpu), "
              f"plan {out['plan']['wall']:.1f}s", file=sys.stderr)
        return out
    finally:
        if emu:
            emu.stop()
        shutil.rmtree(work, ignore_errors=True)


# ------------------------------------------------------------------------------------------
# Report
# ------------------------------------------------------------------------------------------

def stats(xs):
    return min(xs), statistics.median(xs), max(xs)


def fmt(t, digits=1):
    lo, med, hi = t
    return f"{med:.{digits}f} ({lo:.{digits}f}–{hi:.{digits}f})"


def report(results, args):
    lines = []
    lines.append(f"Label: {args.label}. Runs per cell: {args.runs}; figures are median (min–max). "
                 f"-parallelism={args.parallelism}; emulator sync delay {args.sync_delay}"
                 + (f", latency {args.latency}" if args.latency else "") + ".")
    lines.append(f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}.")
    lines.append("")
    lines.append("| scenario | N | phase | wall s | cpu s (all) | provider cpu s | provider share | provider peak RSS MiB | API requests | connections |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|")
    for (scenario, n), runs in results.items():
        for phase in ("apply", "plan"):
            rows = [r[phase] for r in runs]
            wall = stats([r["wall"] for r in rows])
            cpu = stats([r["cpu"] for r in rows])
            pcpu = stats([r["provider_cpu"] for r in rows])
            share = stats([100 * r["provider_cpu"] / r["cpu"] if r["cpu"] else 0 for r in rows])
            rss = stats([r["provider_rss_kib"] / 1024 for r in rows])
            api = rows[-1]["api"]
            reqs = ", ".join(f"{k} {v}" for k, v in sorted(api.get("requests", {}).items())) or "–"
            conns = api.get("connections", "–")
            prov = SCENARIOS[scenario]["provider"]
            lines.append(
                f"| {scenario} | {n} | {phase} | {fmt(wall)} | {fmt(cpu)} | "
                + (f"{fmt(pcpu, 2)} | {fmt(share)} % | {fmt(rss)} | {reqs} | {conns} |" if prov else "– | – | – | – | – |")
            )
    lines.append("")
    lines.append("| scenario | N | state file bytes per resource | type | instances | attributes | attribute JSON bytes per instance |")
    lines.append("|---|---|---|---|---|---|---|")
    for (scenario, n), runs in results.items():
        per_type = runs[-1]["per_type"]
        for i, (t, v) in enumerate(sorted(per_type.items())):
            head = f"| {scenario} | {n} | {statistics.median([r['state_bytes_per_resource'] for r in runs]):.0f} |" if i == 0 else "| | | |"
            lines.append(f"{head} {t} | {v['count']} | {v['attributes']} | {v['bytes'] / max(v['count'], 1):.0f} |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--provider", required=True)
    ap.add_argument("--emulator", required=True)
    ap.add_argument("--scenarios", default="repositories,terraform_data")
    ap.add_argument("--n", default="100")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--parallelism", type=int, default=10)
    ap.add_argument("--latency", default="")
    ap.add_argument("--sync-delay", default="2s")
    ap.add_argument("--label", default="")
    ap.add_argument("--json")
    ap.add_argument("--md")
    args = ap.parse_args()
    args.provider = os.path.abspath(args.provider)
    args.emulator = os.path.abspath(args.emulator)
    results = {}
    for n in [int(x) for x in args.n.split(",")]:
        for scenario in args.scenarios.split(","):
            if scenario not in SCENARIOS:
                sys.exit(f"unknown scenario {scenario}; known: {', '.join(SCENARIOS)}")
            results[(scenario, n)] = [run_once(args, scenario, n, i) for i in range(args.runs)]
    md = report(results, args)
    if args.md:
        with open(args.md, "w") as f:
            f.write(md)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({f"{s}/{n}": r for (s, n), r in results.items()}, f, indent=1)
    print(md)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Reliability scorecard (issue 11): runs every reliability scenario at full size against the
release binaries and writes RELIABILITY.md. Run it through bench/reliability.sh, which builds
the binaries first.

Scenarios (each a row group in RELIABILITY.md; every run starts fresh emulators, as child
processes, and a fresh Terraform working directory):

  1 faults       N mixed resources (repositories, clusters bootstrapped through the Kubernetes
                 emulator, applications that wait for Synced and Healthy) at --fault-rate 0.2
                 --fault-after-rate 0.05 --latency 50ms: apply, second plan (empty), update,
                 destroy; exactly the expected entities after apply (applied-create counts), none
                 after destroy, on the Kubernetes side too.
  2 kill         the Harness emulator SIGKILLed mid-apply (once half the creates are through),
                 restarted on the same --data at a new port, the configuration pointed at it:
                 the next apply converges, nothing lost or created twice.
  3 cancel       SIGINT to terraform while 50 applications wait: exit within 2 s, every created
                 application in state, the next apply converges.
  4 concurrency  N mixed resources at -parallelism=1 and -parallelism=50: the same normalised
                 Terraform state and emulator state.
  5 bad input    the cargo-fuzz target for a fixed budget (needs nightly and cargo-fuzz: if
                 either is missing the row says "not run" and why), and the property/robustness
                 suite (tests/robustness.rs).
  6 secrets      all three resources through their life at TF_LOG=TRACE with rotations and error
                 paths: every secret searched in the output, diagnostics, plan JSON, state, the
                 emulators' logs (stderr of the child processes) and their masked dumps.
  7 transport    the transport and TLS tests (tests/transport.rs, tests/e2e/reliability.rs).
Plus the fast reliability tests of the normal suite (cargo test), with their outcome and time.

Usage: reliability.py --bin-dir target/release [--runs 3] [--n 100] [--fuzz-seconds 300]
                      [--only faults,kill,...] [--out RELIABILITY.md] [--json OUT.json]
"""

import argparse
import base64
import json
import os
import platform
import re
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import targets as T  # noqa: E402
from scale import terraform_bin  # noqa: E402,F401  (TERRAFORM, else PATH; one definition)

API_KEY = "pat.rel.0123456789abcdef.reliability-api-key"
ACCOUNT = "relaccount"
SOURCE = "registry.terraform.io/harness-gitops/harness"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# What "uncommitted changes" means in a scorecard's header: changes to anything but the
# scorecards' own outputs (a rerun of one scenario finds the other's fresh results uncommitted).
SOURCES = [".", ":(exclude)RELIABILITY.md", ":(exclude)BENCHMARKS.md", ":(exclude)bench/results"]
MANAGED_BY = "terraform-provider-harness"


def log(msg):
    print(f"[reliability {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)




class Failed(Exception):
    """A check of a scenario did not hold; the message says which."""


def check(cond, msg):
    if not cond:
        raise Failed(msg)


# ------------------------------------------------------------------------------------------
# The emulators, as child processes
# ------------------------------------------------------------------------------------------

def read_first_line(proc, what, timeout=60):
    box = {}
    got = threading.Event()

    def reader():
        box["line"] = proc.stdout.readline()
        got.set()
        # keep draining so the child never blocks on a full pipe
        for _ in proc.stdout:
            pass

    threading.Thread(target=reader, daemon=True).start()
    got.wait(timeout)
    line = box.get("line", "")
    if not line.startswith("LISTENING "):
        proc.kill()
        raise RuntimeError(f"{what} printed {line!r} instead of LISTENING")
    return line.split(" ", 1)[1].strip()


class Emulator:
    """An emulator child process whose stderr (its log) goes to `self.log_path`."""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()

    def log_text(self):
        self.log_file.flush()
        with open(self.log_path, errors="replace") as f:
            return f.read()


class Harness(Emulator):
    """harness-gitops-emulator; its stderr (the log) goes to a file."""

    def __init__(self, binary, workdir, extra, name="harness"):
        self.log_path = os.path.join(workdir, f"{name}-{time.monotonic_ns()}.log")
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", "--api-key", API_KEY, "--account-id", ACCOUNT] + extra,
            stdout=subprocess.PIPE, stderr=self.log_file, text=True, stdin=subprocess.DEVNULL,
        )
        self.url = read_first_line(self.proc, "harness-gitops-emulator")

    def admin(self, path):
        req = urllib.request.Request(f"{self.url}/_emulator/{path}", headers={"x-api-key": API_KEY})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)

    def state(self, clear=False):
        return self.admin("state?secrets=clear" if clear else "state")

    def counters(self):
        return self.admin("requests")

    def applied(self, op):
        return self.counters().get("applied", {}).get(op, 0)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()



class Kube(Emulator):
    """kube-api-emulator with its access log (stderr) in a file."""

    def __init__(self, binary, workdir, token_delay="200ms"):
        self.kubeconfig = os.path.join(workdir, f"kube-{time.monotonic_ns()}.kubeconfig")
        self.log_path = self.kubeconfig + ".log"
        self.log_file = open(self.log_path, "w")
        env = {k: v for k, v in os.environ.items() if k != "KUBE_API_EMULATOR_TOKEN"}
        self.proc = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", "--kubeconfig-out", self.kubeconfig, "--token-delay", token_delay],
            stdout=subprocess.PIPE, stderr=self.log_file, text=True, stdin=subprocess.DEVNULL, env=env,
        )
        self.url = read_first_line(self.proc, "kube-api-emulator")
        with open(self.kubeconfig) as f:
            kc = f.read()
        self.token = json.loads(re.search(r"^\s*token:\s*(.+)$", kc, re.M).group(1))
        ca_b64 = re.search(r"^\s*certificate-authority-data:\s*(.+)$", kc, re.M).group(1).strip().strip('"')
        self.ca_pem = base64.b64decode(ca_b64).decode()
        self.ssl = ssl.create_default_context(cadata=self.ca_pem)

    def get(self, path):
        req = urllib.request.Request(f"{self.url}{path}", headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(req, timeout=30, context=self.ssl) as r:
            return r.read().decode()

    def state(self):
        return json.loads(self.get("/_emulator/state"))

    def objects(self):
        """(every object as resource/namespace/name, those the provider made)."""
        all_, managed = set(), set()
        for o in self.state()["objects"]:
            m = o["object"]["metadata"]
            key = f"{o['resource']}/{m.get('namespace', '')}/{m['name']}"
            all_.add(key)
            if (m.get("labels") or {}).get("app.kubernetes.io/managed-by") == MANAGED_BY or \
                    "gitops.harness.io/cluster" in (m.get("annotations") or {}):
                managed.add(key)
        return all_, managed

    def token_of(self, secret, namespace="kube-system"):
        s = json.loads(self.get(f"/api/v1/namespaces/{namespace}/secrets/{secret}"))
        return base64.b64decode(s["data"]["token"]).decode()



# ------------------------------------------------------------------------------------------
# Terraform
# ------------------------------------------------------------------------------------------

class Background:
    """A child process writing to files; communicate() returns what it wrote."""

    def __init__(self, cmd, cwd, env):
        self.out_path = os.path.join(cwd, f"bg-{time.monotonic_ns()}.out")
        self.err_path = self.out_path[:-4] + ".err"
        self.out = open(self.out_path, "w")
        self.err = open(self.err_path, "w")
        self.proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=self.out, stderr=self.err,
                                     stdin=subprocess.DEVNULL, text=True)

    def poll(self):
        return self.proc.poll()

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def kill(self):
        self.proc.kill()

    @property
    def returncode(self):
        return self.proc.returncode

    def communicate(self, timeout=None):
        self.proc.wait(timeout=timeout)
        self.out.close()
        self.err.close()
        with open(self.out_path, errors="replace") as o, open(self.err_path, errors="replace") as e:
            return o.read(), e.read()


class Tf:
    """A working directory using the release provider through dev_overrides."""

    def __init__(self, bin_dir, workdir, env=None):
        self.dir = tempfile.mkdtemp(prefix="tf-", dir=workdir)
        cli = os.path.join(self.dir, "cli.tfrc")
        with open(cli, "w") as f:
            f.write(f'provider_installation {{\n  dev_overrides {{\n    "{SOURCE}" = "{bin_dir}"\n  }}\n  direct {{}}\n}}\n')
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("TF_", "HARNESS_", "CHECKPOINT")) and k != "KUBECONFIG"}
        self.env.update({"TF_CLI_CONFIG_FILE": cli, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"})
        self.env.update(env or {})

    def write(self, body):
        with open(os.path.join(self.dir, "main.tf"), "w") as f:
            f.write(f'terraform {{\n  required_providers {{\n    harness = {{ source = "{SOURCE}" }}\n  }}\n}}\n\n{body}')

    def popen(self, args):
        """A terraform running in the background; its output goes to files (a pipe nobody reads
        while it runs would fill with the plan and block it)."""
        return Background([terraform_bin()] + args, self.dir, self.env)

    def run(self, args, timeout=3600):
        t0 = time.monotonic()
        p = subprocess.run([terraform_bin()] + args, cwd=self.dir, env=self.env, capture_output=True,
                           text=True, timeout=timeout)
        wall = time.monotonic() - t0
        log(f"  terraform {args[0]}: exit {p.returncode} in {wall:.1f} s")
        return p, wall

    def ok(self, args, what=None):
        p, wall = self.run(args)
        if p.returncode != 0:
            raise Failed(f"terraform {' '.join(what or args)} failed ({p.returncode}):\n"
                         + (p.stdout + p.stderr)[-3000:])
        return p, wall

    def apply(self, parallelism=10):
        return self.ok(["apply", "-auto-approve", "-input=false", "-no-color", f"-parallelism={parallelism}"])

    def destroy(self, parallelism=10):
        return self.ok(["destroy", "-auto-approve", "-input=false", "-no-color", f"-parallelism={parallelism}"])

    def plan_changes(self):
        """Resource changes a plan proposes (added + changed + destroyed), read from the plan's
        JSON; 0 for an empty plan. The count is recorded and judged by the report."""
        p, _ = self.run(["plan", "-detailed-exitcode", "-input=false", "-no-color", "-out=check.tfplan"])
        if p.returncode not in (0, 2):
            raise Failed("terraform plan failed:\n" + (p.stdout + p.stderr)[-3000:])
        pj, _ = self.ok(["show", "-json", "check.tfplan"])
        changes = [c["address"] for c in json.loads(pj.stdout).get("resource_changes", [])
                   if c["change"]["actions"] not in (["no-op"], ["read"])]
        if (p.returncode == 2) != bool(changes):
            raise Failed(f"plan exit code {p.returncode} disagrees with its JSON ({len(changes)} changes)")
        return len(changes), changes[:5]

    def resources(self):
        p, _ = self.ok(["show", "-json"])
        st = json.loads(p.stdout)
        return (st.get("values") or {}).get("root_module", {}).get("resources", [])


# ------------------------------------------------------------------------------------------
# The mixed configuration (the same shape as tests/e2e/reliability.rs)
# ------------------------------------------------------------------------------------------

def split(n):
    """N mixed resources: 40 % repositories, 20 % bootstrapped clusters, 40 % applications."""
    clusters = n // 5
    apps = (n - clusters) // 2
    return {"repos": n - clusters - apps, "clusters": clusters, "apps": apps}


def mixed(url, kubeconfig, mix, version, provider_extra=""):
    r, c, a = mix["repos"], mix["clusters"], mix["apps"]
    return f'''provider "harness" {{
  endpoint    = "{url}"
  account_id  = "{ACCOUNT}"
  api_key     = "{API_KEY}"
  org_id      = "default"
  project_id  = "mlplatform"
  agent_id    = "mlagent"
  max_retries = 20
  kubernetes  = {{ config_path = "{kubeconfig}" }}
{provider_extra}}}

resource "harness_gitops_repository" "r" {{
  count      = {r}
  identifier = "repo_${{count.index}}"
  name       = "repo-${{count.index}}-v{version}"
  url        = "https://github.com/acme/repo-${{count.index}}.git"
}}

resource "harness_gitops_cluster" "c" {{
  count      = {c}
  identifier = "cluster_${{count.index}}"
  agent_id   = "clusteragent${{count.index}}"
  labels     = {{ version = "v{version}" }}
  bootstrap  = {{ service_account = "gitops-${{count.index}}" }}
}}

resource "harness_gitops_application" "a" {{
  count        = {a}
  name         = "app-${{count.index}}"
  argo_project = "default"
  repo_id      = harness_gitops_repository.r[count.index % {r}].identifier
  destination  = {{ server = "https://kubernetes.default.svc", namespace = "ml-${{count.index}}" }}
  sources      = [{{ repo_url = harness_gitops_repository.r[count.index % {r}].url, path = "apps/${{count.index}}/v{version}" }}]
  sync_policy  = {{ automated = {{}} }}
  wait         = {{}}
  timeouts {{
    create = "10m"
    update = "10m"
    delete = "10m"
  }}
}}
'''


KINDS = [("repositories", "identifier", "repositories.create", "repos", "repo_{}"),
         ("clusters", "identifier", "clusters.create", "clusters", "cluster_{}"),
         ("applications", "name", "applications.create", "apps", "app-{}")]


def harness_keys(state):
    return {kind: sorted(e[key] for e in state.get(kind, [])) for kind, key, *_ in KINDS}


def expected_keys(mix):
    return {kind: sorted(fmt.format(i) for i in range(mix[m])) for kind, _, _, m, fmt in KINDS}


def expected_managed(mix):
    out = set()
    for i in range(mix["clusters"]):
        out |= {f"serviceaccounts/kube-system/gitops-{i}", f"clusterroles//gitops-{i}-role",
                f"clusterrolebindings//gitops-{i}-role-binding", f"secrets/kube-system/gitops-{i}-long-lived-token"}
    return out


def total(mix):
    return mix["repos"] + mix["clusters"] + mix["apps"]


def check_applied(tf, harness, kube, mix):
    res = tf.resources()
    check(len(res) == total(mix), f"{len(res)} resources in state, expected {total(mix)}")
    tainted = [r["address"] for r in res if r.get("tainted")]
    check(not tainted, f"tainted after a successful apply: {tainted[:5]}")
    got = harness_keys(harness.state())
    for kind, ids in expected_keys(mix).items():
        check(got[kind] == ids, f"Harness {kind}: {len(got[kind])} held, {len(ids)} expected "
                                f"(extra {sorted(set(got[kind]) - set(ids))[:5]}, missing {sorted(set(ids) - set(got[kind]))[:5]})")
    managed = kube.objects()[1]
    want = expected_managed(mix)
    check(managed == want, f"Kubernetes: extra {sorted(managed - want)[:5]}, missing {sorted(want - managed)[:5]}")


def orphans(tf, harness, kube, baseline):
    """(resources left in state, Harness entities left, Kubernetes objects not in the baseline)."""
    left_state = len(tf.resources())
    left_harness = sum(len(v) for v in harness_keys(harness.state()).values())
    all_, managed = kube.objects()
    left_kube = len((all_ - baseline) | managed)
    return left_state, left_harness, left_kube


# ------------------------------------------------------------------------------------------
# Scenarios: each run returns {figure: value}; a failed check raises Failed
# ------------------------------------------------------------------------------------------

def scenario_faults(args, run, work, fig):
    mix = split(args.n)
    seed = 1100 + run
    h = Harness(args.harness_bin, work, ["--fault-rate", "0.2", "--fault-after-rate", "0.05", "--latency", args.latency,
                                          "--seed", str(seed), "--sync-delay", "2s", "--delete-delay", "0"])
    k = Kube(args.kube_bin, work)
    try:
        baseline = k.objects()[0]
        tf = Tf(args.bin_dir, work)
        tf.write(mixed(h.url, k.kubeconfig, mix, 1))
        _, apply_wall = tf.apply()
        check_applied(tf, h, k, mix)
        dup = sum(h.applied(op) - len(expected_keys(mix)[kind]) for kind, _, op, _, _ in KINDS)
        second, second_first = tf.plan_changes()
        tf.write(mixed(h.url, k.kubeconfig, mix, 2))
        _, update_wall = tf.apply()
        check_applied(tf, h, k, mix)
        st = h.state()
        stale = [r["identifier"] for r in st["repositories"] if not r["repository"].get("name", "").endswith("-v2")]
        stale += [c["identifier"] for c in st["clusters"] if (c["cluster"].get("labels") or {}).get("version") != "v2"]
        stale += [a["name"] for a in st["applications"]
                  if not a["app"]["spec"]["source"]["path"].endswith("/v2")
                  or a["app"]["status"]["sync"]["status"] != "Synced"]
        after_update, after_update_first = tf.plan_changes()
        _, destroy_wall = tf.destroy()
        left = orphans(tf, h, k, baseline)
        faults = h.counters().get("faults", {})
        return {"apply_s": apply_wall, "update_s": update_wall, "destroy_s": destroy_wall,
                "duplicates": dup, "second_plan_changes": second, "plan_after_update_changes": after_update,
                "not_updated": len(stale), "first_not_updated": stale[:5],
                "first_plan_changes": second_first + after_update_first,
                "orphans_state": left[0], "orphans_harness": left[1], "orphans_kube": left[2],
                "faults_before": sum(v for kk, v in faults.items() if kk.startswith("before")),
                "faults_after": faults.get("after.drop", 0), "seed": seed}
    finally:
        h.stop()
        k.stop()


def state_keys(resources):
    """({kind: keys in Terraform's state}, {kind: keys recorded tainted}) by the Harness key."""
    by_type = {"harness_gitops_repository": ("repositories", "identifier"),
               "harness_gitops_cluster": ("clusters", "identifier"),
               "harness_gitops_application": ("applications", "name")}
    keys = {kind: set() for kind, *_ in KINDS}
    tainted = {kind: set() for kind, *_ in KINDS}
    for r in resources:
        if r.get("type") in by_type:
            kind, attr = by_type[r["type"]]
            key = (r.get("values") or {}).get(attr)
            keys[kind].add(key)
            if r.get("tainted"):
                tainted[kind].add(key)
    return keys, tainted


def created_at(dump):
    """{(kind, key): createdAt} of a Harness dump: an entity deleted and created again gets a new one."""
    return {(kind, e[key]): e.get("createdAt") for kind, key, *_ in KINDS for e in dump.get(kind, [])}


def scenario_kill(args, run, work, fig):
    mix = split(args.n)
    data = os.path.join(work, f"harness-data-{run}.json")
    extra = ["--data", data, "--latency", args.latency, "--sync-delay", "2s", "--delete-delay", "0"]
    h = Harness(args.harness_bin, work, extra, "harness-before-kill")
    k = Kube(args.kube_bin, work)
    h2 = None
    try:
        baseline = k.objects()[0]
        tf = Tf(args.bin_dir, work)
        fast_fail = f'  request_timeout = "{T.KILL_REQUEST_TIMEOUT_S}s"\n'
        tf.write(mixed(h.url, k.kubeconfig, mix, 1, fast_fail))
        child = tf.popen(["apply", "-auto-approve", "-input=false", "-no-color", f"-parallelism={T.KILL_PARALLELISM}"])
        threshold = total(mix) // 2
        t0 = time.monotonic()
        while True:
            c = h.counters().get("applied", {})
            done = sum(c.get(op, 0) for _, _, op, _, _ in KINDS)
            if done >= threshold:
                break
            check(child.poll() is None, "terraform ended before the kill")
            check(time.monotonic() - t0 < 600, f"only {done} creates after 10 min")
            time.sleep(0.05)
        h.kill()
        killed = time.monotonic()
        bound = T.kill_exit_bound_s(total(mix), done)
        try:
            child.communicate(timeout=bound + 120)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            raise Failed(f"terraform still running {bound + 120:.0f} s after the emulator died (bound {bound:.0f} s)")
        tf_exit_s = time.monotonic() - killed
        fig.update({"killed_after_creates": done, "tf_exit_after_kill_s": tf_exit_s, "exit_bound_s": bound,
                    "apply_failed": child.returncode != 0})
        after_kill = tf.resources()
        in_state, tainted = state_keys(after_kill)
        # The --data file as the emulator wrote it before it died, read through a fresh
        # emulator started on it (it loads the file and changes nothing until asked).
        h2 = Harness(args.harness_bin, work, extra, "harness-after-restart")
        file_dump = h2.state()
        loaded = harness_keys(file_dump)
        file_created = created_at(file_dump)
        fig.update({
            "in_state_after_kill": len(after_kill),
            "reloaded": sum(len(v) for v in loaded.values()),
            # remote objects Terraform does not know after the kill: each would be a 409 or a
            # duplicate on the next apply, and is lost to Terraform's management
            "remote_not_in_state": sum(len(set(loaded[kind]) - in_state[kind]) for kind, *_ in KINDS),
            "first_remote_not_in_state": sorted(f"{kind}/{x}" for kind, *_ in KINDS
                                                for x in set(loaded[kind]) - in_state[kind])[:5],
            "tainted_in_file": sum(len(set(loaded[kind]) & tainted[kind]) for kind, *_ in KINDS),
        })
        tf.write(mixed(h2.url, k.kubeconfig, mix, 1, fast_fail))
        p, converge_s = tf.run(["apply", "-auto-approve", "-input=false", "-no-color",
                                f"-parallelism={T.KILL_PARALLELISM}"])
        fig["converge_s"] = converge_s
        check(p.returncode == 0, "the apply after the restart failed:\n" + (p.stdout + p.stderr)[-3000:])
        check_applied(tf, h2, k, mix)
        end_created = created_at(h2.state())
        applied = h2.counters().get("applied", {})
        creates = sum(applied.get(op, 0) for _, _, op, _, _ in KINDS)
        deletes = sum(applied.get(f"{kind}.delete", 0) for kind, *_ in KINDS)
        # Objects the file held that are gone or were created again after the restart without
        # Terraform having recorded them tainted (a replacement it was told to make).
        lost = sorted(f"{kind}/{key}" for (kind, key), at in file_created.items()
                      if key not in tainted[kind] and end_created.get((kind, key)) != at)
        changes, first_changes = tf.plan_changes()
        tf.destroy()
        left = orphans(tf, h2, k, baseline)
        fig.update({
            "lost_from_file": len(lost), "first_lost": lost[:5],
            "deletes_after_restart": deletes,
            # each replacement is a delete of a tainted object the file held
            "unexplained_replacements": deletes - fig["tainted_in_file"],
            # what the file held + creates after the restart − deletes after it − N: a create
            # applied to an object that already existed (the API upserts)
            "creates_of_existing": fig["reloaded"] + creates - deletes - total(mix),
            "plan_after_converge_changes": changes, "first_plan_changes": first_changes,
            "orphans": sum(left),
        })
        return fig
    finally:
        h.stop()
        if h2:
            h2.stop()
        k.stop()


def scenario_cancel(args, run, work, fig):
    mix = {"repos": 5, "clusters": 0, "apps": args.cancel_apps}
    h = Harness(args.harness_bin, work, ["--sync-delay", "20s", "--delete-delay", "0"])
    k = Kube(args.kube_bin, work)
    try:
        tf = Tf(args.bin_dir, work)
        tf.write(mixed(h.url, k.kubeconfig, mix, 1))
        child = tf.popen(["apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=50"])
        t0 = time.monotonic()
        while h.applied("applications.create") < mix["apps"]:
            check(child.poll() is None, "terraform ended before every application was created")
            check(time.monotonic() - t0 < 300, "the applications were not all created within 5 min")
            time.sleep(0.05)
        time.sleep(2)  # every wait has polled
        check(child.poll() is None, "terraform no longer waiting")
        sent = time.monotonic()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=120)
        exit_s = time.monotonic() - sent
        fig["exit_after_sigint_s"] = exit_s
        check(child.returncode != 0, "an interrupted apply must fail")
        text = " ".join((out + err).split())
        check("Wait For GitOps Application Interrupted" in text, "no interruption diagnostic")
        res = tf.resources()
        in_state = sorted(r["values"]["name"] for r in res if r["type"] == "harness_gitops_application")
        created = harness_keys(h.state())["applications"]
        missing = sorted(set(created) - set(in_state))
        p, _ = tf.ok(["plan", "-input=false", "-no-color", "-out=tfplan"])
        pj, _ = tf.ok(["show", "-json", "tfplan"])
        replaced = sum(1 for c in json.loads(pj.stdout).get("resource_changes", [])
                       if c["change"]["actions"] == ["delete", "create"])
        fig.update({"created": len(created), "missing_from_state": len(missing), "replaced_next_apply": replaced})
        _, resume_s = tf.apply(parallelism=50)
        check(harness_keys(h.state()) == expected_keys(mix), "not converged after the next apply")
        changes, first = tf.plan_changes()
        tf.destroy(parallelism=50)
        return {"resume_s": resume_s, "plan_after_resume_changes": changes, "first_plan_changes": first}
    finally:
        h.stop()
        k.stop()


VOLATILE = {"createdAt", "lastModifiedAt", "created_at", "updated_at", "uid", "resourceVersion",
            "creationTimestamp", "reconciledAt", "reconciled_at", "startedAt", "finishedAt", "deployedAt",
            "deployStartedAt", "observedAt", "attemptedAt", "kubernetes.io/service-account.uid",
            "lastTransitionTime", "last_transition_time", "operation_started_at", "operation_finished_at",
            "last_heartbeat"}


def normalise(v):
    if isinstance(v, dict):
        out = {k: normalise(x) for k, x in v.items() if k not in VOLATILE}
        # Server-side apply's managedFields entries carry the time of the manager's last
        # apply: a time like creationTimestamp, volatile between two runs.
        if isinstance(out.get("managedFields"), list):
            out["managedFields"] = [{k: x for k, x in e.items() if k != "time"} if isinstance(e, dict) else e
                                    for e in out["managedFields"]]
        return out
    if isinstance(v, list):
        return [normalise(x) for x in v]
    return v


def end_state(tf, h, k):
    tf_state = {r["address"]: normalise(r["values"]) for r in tf.resources()}
    dump = h.state()
    hs = {kind: {e[key]: normalise(e) for e in dump.get(kind, [])} for kind, key, *_ in KINDS}
    ks = {}
    for o in k.state()["objects"]:
        m = o["object"]["metadata"]
        ks[f"{o['resource']}/{m.get('namespace', '')}/{m['name']}"] = normalise(o["object"])
    return {"terraform": tf_state, "harness": hs, "kubernetes": ks}


def differences(a, b, path=""):
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            out += differences(a.get(key), b.get(key), f"{path}/{key}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += differences(x, y, f"{path}/{i}")
        return out
    return [] if a == b else [f"{path}: {json.dumps(a)[:80]} vs {json.dumps(b)[:80]}"]


def scenario_concurrency(args, run, work, fig):
    mix = split(args.n)
    h = Harness(args.harness_bin, work, ["--sync-delay", "1s", "--delete-delay", "0"])
    k = Kube(args.kube_bin, work)
    try:
        baseline = k.objects()[0]
        tf = Tf(args.bin_dir, work)
        tf.write(mixed(h.url, k.kubeconfig, mix, 1))
        ends, walls = [], {}
        for p in (1, 50):
            _, walls[p] = tf.apply(parallelism=p)
            check_applied(tf, h, k, mix)
            ends.append(end_state(tf, h, k))
            tf.destroy(parallelism=p)
            check(sum(orphans(tf, h, k, baseline)) == 0, f"orphans after the destroy at -parallelism={p}")
        diff = differences(ends[0], ends[1])
        return {"apply_p1_s": walls[1], "apply_p50_s": walls[50], "differences": len(diff),
                "compared_resources": len(ends[0]["terraform"]),
                "compared_objects": sum(len(v) for v in ends[0]["harness"].values()) + len(ends[0]["kubernetes"]),
                "first_differences": diff[:5]}
    finally:
        h.stop()
        k.stop()


SECRET_VARS = ["api_key", "kube_token", "repo_password", "repo_tls_key", "repo_password_wo",
               "cluster_password", "cluster_token_wo"]
EPHEMERAL = {"api_key", "kube_token", "repo_password_wo", "cluster_token_wo"}
BY_DESIGN_IN_STATE = {"repo_password", "repo_tls_key", "cluster_password"}


def secrets_config(url, kube, v):
    ca = kube.ca_pem.replace("\n", "\\n")
    vars_ = "".join(
        f'variable "{n}" {{\n  type      = string\n  sensitive = true\n' + ("  ephemeral = true\n" if n in EPHEMERAL else "") + "}\n"
        for n in SECRET_VARS)
    return f'''{vars_}
provider "harness" {{
  endpoint   = "{url}"
  account_id = "{ACCOUNT}"
  api_key    = var.api_key
  org_id     = "default"
  project_id = "mlplatform"
  agent_id   = "mlagent"
  kubernetes = {{
    host                   = "{kube.url}"
    token                  = var.kube_token
    cluster_ca_certificate = "{ca}"
  }}
}}

resource "harness_gitops_repository" "plain" {{
  identifier          = "plain"
  url                 = "https://github.com/acme/plain.git"
  username            = "bot"
  password            = var.repo_password
  tls_client_cert_key = var.repo_tls_key
}}

resource "harness_gitops_repository" "wo" {{
  identifier          = "wo"
  url                 = "https://github.com/acme/wo.git"
  username            = "bot"
  password_wo         = var.repo_password_wo
  password_wo_version = {v}
}}

resource "harness_gitops_cluster" "boot" {{
  identifier = "boot"
  bootstrap  = {{ rotate_token = "{v}" }}
}}

resource "harness_gitops_cluster" "basic" {{
  identifier = "basic"
  server     = "https://basic.k8s.example.com"
  username   = "argo"
  password   = var.cluster_password
}}

resource "harness_gitops_cluster" "wo" {{
  identifier              = "wo"
  server                  = "https://wo.k8s.example.com"
  bearer_token_wo         = var.cluster_token_wo
  bearer_token_wo_version = {v}
}}

resource "harness_gitops_application" "app" {{
  name         = "secret-app"
  argo_project = "default"
  repo_id      = harness_gitops_repository.wo.identifier
  destination  = {{ server = "https://kubernetes.default.svc", namespace = "ml" }}
  sources      = [{{ repo_url = harness_gitops_repository.wo.url, path = "apps/v{v}" }}]
  sync_policy  = {{ automated = {{}} }}
  wait         = {{}}
}}
'''


def scenario_secrets(args, run, work, fig):
    h = Harness(args.harness_bin, work, ["--sync-delay", "1s", "--delete-delay", "0"])
    k = Kube(args.kube_bin, work)
    try:
        secrets = {"api_key": API_KEY, "kube_token": k.token, "repo_password": "repo-pass-Qz81x",
                   "repo_tls_key": "-----BEGIN EC PRIVATE KEY-----repo-tls-Lk29",
                   "repo_password_wo": "repo-wo-pass-Vv31", "cluster_password": "cluster-pass-Hh72",
                   "cluster_token_wo": "cluster-wo-token-Pp44"}
        rotated = {"repo_password_wo": "repo-wo-pass-rotated-Ww55", "cluster_token_wo": "cluster-wo-token-rotated-Nn66"}
        env = {"TF_LOG": "TRACE"}
        env.update({f"TF_VAR_{n}": v for n, v in secrets.items()})
        tf = Tf(args.bin_dir, work, env)
        transcript, plans, states = [], [], []

        def run_tf(t, a, ok=True):
            p, _ = t.run(a)
            check((p.returncode == 0) == ok, f"terraform {' '.join(a)} exited {p.returncode}:\n{(p.stdout + p.stderr)[-3000:]}")
            transcript.append(p.stderr if a[0] == "show" else p.stdout + p.stderr)
            return p

        def token_secret():
            for r in tf.resources():
                if r["address"] == "harness_gitops_cluster.boot":
                    return next(o["name"] for o in r["values"]["bootstrap"]["objects"] if o["kind"] == "Secret")
            raise Failed("no bootstrapped cluster in state")

        tf.write(secrets_config(h.url, k, 1))
        run_tf(tf, ["plan", "-no-color", "-input=false", "-out=tfplan"])
        plans.append(run_tf(tf, ["show", "-json", "tfplan"]).stdout)
        run_tf(tf, ["apply", "-auto-approve", "-no-color", "-input=false"])
        issued = k.token_of(token_secret())
        run_tf(tf, ["plan", "-no-color", "-input=false", "-detailed-exitcode"])
        with open(os.path.join(tf.dir, "terraform.tfstate")) as f:
            states.append(f.read())
        clear = json.dumps(h.state(clear=True))
        for n in ["repo_password", "repo_tls_key", "repo_password_wo", "cluster_password", "cluster_token_wo"]:
            check(secrets[n] in clear, f"{n} never reached Harness: the search would mean nothing")
        check(issued in clear, "the issued token never reached Harness")
        masked = json.dumps(h.state())
        tf.env.update({f"TF_VAR_{n}": v for n, v in rotated.items()})
        tf.write(secrets_config(h.url, k, 2))
        run_tf(tf, ["plan", "-no-color", "-input=false", "-out=tfplan"])
        plans.append(run_tf(tf, ["show", "-json", "tfplan"]).stdout)
        run_tf(tf, ["apply", "-auto-approve", "-no-color", "-input=false"])
        reissued = k.token_of(token_secret())
        check(reissued != issued, "the bootstrap token was not rotated")
        with open(os.path.join(tf.dir, "terraform.tfstate")) as f:
            states.append(f.read())
        states.append(run_tf(tf, ["show", "-json"]).stdout)
        masked += json.dumps(h.state())
        kube_dump = json.dumps(k.state())
        # Error paths: a refused API key, a refused Kubernetes token.
        wrong_key, wrong_kube = "pat.rel.0123456789abcdef.wr0ng-K3y-Zz", "wrong-kube-token-Jj77"
        bad_env = dict(env)
        bad_env.update({f"TF_VAR_{n}": v for n, v in rotated.items()})
        bad_env["TF_VAR_api_key"] = wrong_key
        bad = Tf(args.bin_dir, work, bad_env)
        bad.write(secrets_config(h.url, k, 2))
        p = run_tf(bad, ["apply", "-auto-approve", "-no-color", "-input=false"], ok=False)
        check("401" in p.stdout + p.stderr, "the wrong API key was not refused with a 401")
        bad.env["TF_VAR_api_key"] = API_KEY
        bad.env["TF_VAR_kube_token"] = wrong_kube
        p = run_tf(bad, ["apply", "-auto-approve", "-no-color", "-input=false"], ok=False)
        check("401 Unauthorized" in " ".join((p.stdout + p.stderr).split()), "the wrong Kubernetes token was not refused")
        run_tf(bad, ["destroy", "-auto-approve", "-no-color", "-input=false"])
        run_tf(tf, ["destroy", "-auto-approve", "-no-color", "-input=false"])
        text = "".join(transcript)
        check("[TRACE] provider.terraform-provider-harness" in text and "[TRACE] vertex " in text,
              "the TRACE logs of Terraform and the provider are not in the transcript")
        everything = dict(secrets)
        everything.update({f"{n} (rotated)": v for n, v in rotated.items()})
        everything.update({"issued bootstrap token": issued, "rotated bootstrap token": reissued,
                           "wrong API key": wrong_key, "wrong Kubernetes token": wrong_kube})
        places = {"output, TRACE logs and diagnostics": text,
                  "Harness emulator log": h.log_text(), "Kubernetes emulator log": k.log_text(),
                  "Harness emulator dump (masked)": masked, "Kubernetes emulator dump": kube_dump}
        found = {}
        for place, hay in places.items():
            found[place] = sorted(n for n, s in everything.items() if s in hay)
        check(any(secrets["repo_password"] in pl for pl in plans), "the plan JSON holds no sensitive value at all")
        plan_text = "".join(plans)
        state_text = "".join(states)
        found["plan JSON"] = sorted(n for n, s in everything.items()
                                    if n.split(" ")[0] not in BY_DESIGN_IN_STATE and s in plan_text)
        found["state"] = sorted(n for n, s in everything.items()
                                if n.split(" ")[0] not in BY_DESIGN_IN_STATE and s in state_text)
        check(len(h.log_text()) > 0 and "GET /gitops" in h.log_text(), "the Harness emulator log is empty")
        check(len(k.log_text()) > 0, "the Kubernetes emulator log is empty")
        return {"secrets": len(everything), "transcript_mb": len(text) / 1e6,
                "found": sum(len(v) for v in found.values()), "where": {p: v for p, v in found.items() if v}}
    finally:
        h.stop()
        k.stop()


# ------------------------------------------------------------------------------------------
# Test suites and fuzzing
# ------------------------------------------------------------------------------------------

def cargo_tests(label, cargo_args, prefix=""):
    """Runs each test of a suite of the normal `cargo test` (its profile), one at a time so each
    one's wall time is its own. Returns ([(test, outcome, seconds)], total seconds, {test: why})."""
    base = ["cargo", "test", "--locked", "--quiet"] + list(cargo_args)
    t0 = time.monotonic()
    listing = subprocess.run(base + ["--", "--list"], cwd=ROOT, capture_output=True, text=True)
    names = [l[: -len(": test")] for l in listing.stdout.splitlines() if l.endswith(": test")]
    names = [n for n in names if n.startswith(prefix)]
    tests, failures = [], {}
    if not names:
        return [(f"{label}: no test listed", "FAILED", None)], time.monotonic() - t0, {
            f"{label}: no test listed": " ".join((listing.stdout + listing.stderr).split()[-40:])}
    for name in names:
        s0 = time.monotonic()
        p = subprocess.run(base + ["--", "--exact", name], cwd=ROOT, capture_output=True, text=True)
        secs = round(time.monotonic() - s0, 1)
        m = re.search(r"^test " + re.escape(name) + r" \.\.\. (ok|FAILED|ignored)", p.stdout, re.M)
        status = m.group(1) if m else ("ok" if p.returncode == 0 else "FAILED")
        if status != "ok":
            panic = re.search(r"panicked at [^\n]*\n(.*?)(?:\nstack backtrace|\nnote: |\n\n)", p.stdout + p.stderr, re.S)
            failures[name] = " ".join((panic.group(1) if panic else (p.stdout + p.stderr)[-600:]).split())[:500]
        tests.append((name, status, secs))
        log(f"  {name}: {status} ({secs} s)")
    return tests, time.monotonic() - t0, failures


def fuzz(args):
    """Runs the cargo-fuzz target; returns a dict, or {"not_run": why}."""
    if args.fuzz_seconds <= 0:
        return {"not_run": "--fuzz-seconds 0 was given"}
    tc = subprocess.run(["rustup", "toolchain", "list"], capture_output=True, text=True)
    if "nightly" not in tc.stdout:
        return {"not_run": "no nightly toolchain (`rustup toolchain list` shows none); cargo-fuzz needs nightly"}
    have = subprocess.run(["cargo", "+nightly", "fuzz", "--version"], capture_output=True, text=True, cwd=ROOT)
    if have.returncode != 0:
        log("cargo-fuzz missing: cargo install cargo-fuzz --locked")
        inst = subprocess.run(["cargo", "install", "cargo-fuzz", "--locked"], capture_output=True, text=True)
        if inst.returncode != 0:
            return {"not_run": "cargo-fuzz is not installed and `cargo install cargo-fuzz` failed: "
                               + " ".join(inst.stderr.split()[-30:])}
        have = subprocess.run(["cargo", "+nightly", "fuzz", "--version"], capture_output=True, text=True, cwd=ROOT)
    version = have.stdout.strip()
    fuzz_dir = os.path.join(ROOT, "fuzz")
    t0 = time.monotonic()
    b = subprocess.run(["cargo", "+nightly", "fuzz", "build", "-s", "none", "-a", "decode_msgpack"],
                       cwd=fuzz_dir, capture_output=True, text=True)
    build_s = time.monotonic() - t0
    if b.returncode != 0:
        return {"not_run": "the fuzz target did not build: " + " ".join(b.stderr.split()[-40:])}
    t0 = time.monotonic()
    p = subprocess.run(["cargo", "+nightly", "fuzz", "run", "-s", "none", "-a", "decode_msgpack", "--",
                        f"-max_total_time={args.fuzz_seconds}", "-max_len=4096"],
                       cwd=fuzz_dir, capture_output=True, text=True)
    run_s = time.monotonic() - t0
    out = p.stdout + p.stderr
    done = re.findall(r"Done (\d+) runs in (\d+) second", out)
    execs = int(done[-1][0]) if done else None
    crashed = p.returncode != 0 or "==ERROR" in out or "panicked" in out
    artifacts = re.findall(r"Test unit written to (\S+)", out)
    rustc = subprocess.run(["rustc", "+nightly", "-V"], capture_output=True, text=True).stdout.strip()
    return {"cargo_fuzz": version, "rustc": rustc, "build_s": build_s, "run_s": run_s, "execs": execs,
            "budget_s": args.fuzz_seconds, "crashes": 1 if crashed else 0, "artifacts": artifacts,
            "tail": " ".join(out.split()[-25:]) if crashed else ""}


# ------------------------------------------------------------------------------------------
# Report
# ------------------------------------------------------------------------------------------

def meta():
    """Where and what was measured: the machine, the Terraform binary's own version, the commit."""
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            mem = f"{int(f.readline().split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    tv = subprocess.run([terraform_bin(), "version", "-json"], capture_output=True, text=True)
    try:
        tfv = json.loads(tv.stdout)["terraform_version"]
    except (ValueError, KeyError):
        tfv = "unknown (`terraform version -json` failed)"
    rustc = subprocess.run(["rustc", "-V"], capture_output=True, text=True).stdout.strip()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--"] + SOURCES, capture_output=True, text=True,
                           cwd=ROOT).stdout.strip()
    return {"machine": f"{cpu}, {os.cpu_count()} CPUs (shared), {mem} RAM, {platform.system()} {platform.release()}",
            "terraform": tfv, "rustc": rustc, "commit": commit, "dirty": bool(dirty)}


def mmm(xs, digits=1):
    xs = [x for x in xs if isinstance(x, (int, float)) and not isinstance(x, bool)]
    if not xs:
        return "–"
    f = (lambda x: f"{x:.{digits}f}") if digits else (lambda x: f"{x:g}")
    return f"{f(min(xs))} / {f(statistics.median(xs))} / {f(max(xs))}"


class Table:
    def __init__(self):
        self.rows = []

    def add(self, scenario, n, runs, figure, values, target, met, note=""):
        """met: True / False (judged) or None (informational)."""
        self.rows.append({"scenario": scenario, "n": n, "runs": runs, "figure": figure, "values": values,
                          "target": target, "met": met, "note": note})

    def md(self):
        lines = ["| scenario | N | runs | figure | min / median / max | target | met | notes |",
                 "|---|---|---|---|---|---|---|---|"]
        for r in self.rows:
            met = "–" if r["met"] is None else yes(r["met"])
            cells = [r["scenario"], r["n"], r["runs"], r["figure"], r["values"], r["target"], met, r["note"]]
            lines.append("| " + " | ".join(str(x).replace("|", "\\|").replace("\n", " ") for x in cells) + " |")
        return "\n".join(lines)


def yes(ok):
    return "yes" if ok else "**no**"


def eq0(v, r):
    return v == 0


def pos(v, r):
    return v > 0


def scenario_specs(n, cancel_apps):
    """Per scenario: (title, N shown, minimum runs, rows). A row is (figure, key, target, predicate
    on (value, that run's figures) or None for an informational figure, digits, note). The
    targets are those of issue 11 as first written; the constants are in bench/targets.py."""
    mix = split(n)
    mixtxt = f"{mix['repos']} repositories, {mix['clusters']} bootstrapped clusters, {mix['apps']} waiting applications"
    bound_txt = (f"fails, does not hang: ≤ {T.KILL_REQUEST_TIMEOUT_S} s × ⌈(N − creates at the kill) ÷ "
                 f"{T.KILL_PARALLELISM}⌉ + {T.KILL_EXIT_SLACK_S} s")
    return {
        "faults": ("1 faults", n, T.MIN_RUNS, [
            ("apply, s", "apply_s", "–", None, 1, mixtxt),
            ("second plan: resource changes", "second_plan_changes", "0", eq0, 0, ""),
            ("update apply, s", "update_s", "–", None, 1, "every resource changes; apps wait for the new sync"),
            ("resources the update left unchanged in Harness", "not_updated", "0", eq0, 0,
             "name, labels or source path of the new version, and Synced"),
            ("plan after the update: resource changes", "plan_after_update_changes", "0", eq0, 0, ""),
            ("destroy, s", "destroy_s", "–", None, 1, ""),
            ("duplicate creates (applied creates − expected)", "duplicates", "0", eq0, 0,
             "the emulator's applied-create counters (the API upserts, so a repeated create counts)"),
            ("left in state after destroy", "orphans_state", "0", eq0, 0, ""),
            ("left in Harness after destroy", "orphans_harness", "0", eq0, 0, ""),
            ("left in Kubernetes after destroy", "orphans_kube", "0", eq0, 0,
             "objects not in the pre-apply baseline, or labelled"),
            ("faults injected before a change", "faults_before", "> 0", pos, 0, "503, 429 or a dropped connection"),
            ("faults injected after a change (dropped response)", "faults_after", "> 0", pos, 0, ""),
        ]),
        "kill": ("2 SIGKILL mid-apply", n, T.KILL_MIN_RUNS, [
            ("creates applied before the kill", "killed_after_creates", "–", None, 0, mixtxt + "; the kill comes at N/2"),
            ("the cut apply failed", "apply_failed", "yes", lambda v, r: v is True, 0, ""),
            ("terraform exit after the kill, s", "tf_exit_after_kill_s", bound_txt,
             lambda v, r: v <= T.kill_exit_bound_s(n, r["killed_after_creates"]), 1,
             f"request_timeout {T.KILL_REQUEST_TIMEOUT_S}s, -parallelism={T.KILL_PARALLELISM}"),
            ("objects in --data after the kill", "reloaded", "≥ creates applied before the kill",
             lambda v, r: v >= r["killed_after_creates"], 0, "read through a fresh emulator on the file"),
            ("in state after the kill", "in_state_after_kill", "–", None, 0, ""),
            ("objects in --data missing from state after the kill", "remote_not_in_state", "0", eq0, 0,
             "each would be forgotten by Terraform (a 409 or a duplicate next)"),
            ("apply after restart, s", "converge_s", "–", None, 1, "new port, configuration pointed at it"),
            ("objects in --data lost (gone or created again, not tainted)", "lost_from_file", "0", eq0, 0,
             "createdAt of each object in the file against the emulator after the converging apply"),
            ("replaced after restart (deletes the emulator applied)", "deletes_after_restart", "–", None, 0, ""),
            ("replacements not of an object recorded tainted", "unexplained_replacements", "0", eq0, 0,
             "deletes after restart − tainted objects the file held"),
            ("creates of an object that existed", "creates_of_existing", "0", eq0, 0,
             "file + creates − deletes after restart − N"),
            ("plan after convergence: resource changes", "plan_after_converge_changes", "0", eq0, 0, ""),
            ("left after destroy (state, Harness, Kubernetes)", "orphans", "0", eq0, 0, ""),
        ]),
        "cancel": ("3 Ctrl-C during waits", cancel_apps, T.MIN_RUNS, [
            ("SIGINT → terraform exit, s", "exit_after_sigint_s", f"≤ {T.SIGINT_EXIT_MAX_S:g} s",
             lambda v, r: v <= T.SIGINT_EXIT_MAX_S, 2,
             f"{cancel_apps} applications waiting (20 s sync), -parallelism=50"),
            ("created applications missing from state", "missing_from_state", "0", eq0, 0,
             "the emulator's applications against the state"),
            ("replaced by the next apply (tainted creates)", "replaced_next_apply", "–", None, 0,
             "an interrupted create is recorded tainted (documented), so the next apply replaces it"),
            ("next apply, s", "resume_s", "–", None, 1, ""),
            ("plan after the next apply: resource changes", "plan_after_resume_changes", "0", eq0, 0, ""),
        ]),
        "concurrency": ("4 concurrency", n, T.MIN_RUNS, [
            ("apply -parallelism=1, s", "apply_p1_s", "–", None, 1, mixtxt),
            ("apply -parallelism=50, s", "apply_p50_s", "–", None, 1, ""),
            ("differences in normalised end state", "differences", "0", eq0, 0,
             "Terraform state, Harness dump, Kubernetes objects; times, uids, resourceVersions removed"),
            ("resources compared", "compared_resources", "–", None, 0, ""),
            ("Harness entities and Kubernetes objects compared", "compared_objects", "–", None, 0, ""),
        ]),
        "secrets": ("6 secrets at TF_LOG=TRACE", "3 types", T.MIN_RUNS, [
            ("secrets searched", "secrets", "–", None, 0,
             "API key, Kubernetes admin token, issued and rotated bootstrap tokens, passwords, keys, write-only "
             "values and their rotations, refused key and token"),
            ("occurrences found", "found", "0", eq0, 0,
             "in output + TRACE logs + diagnostics, plan JSON and state (write-only, tokens, API key), both "
             "emulators' logs and dumps"),
            ("transcript searched, MB", "transcript_mb", "–", None, 1, ""),
        ]),
    }


def judge_run(r, rows):
    """(passed, why not) of one run: no failed check, every judged figure measured and within target."""
    if "error" in r:
        return False, r["error"]
    for figure, key, _, pred, _, _ in rows:
        if pred is None:
            continue
        if key not in r:
            return False, f"{figure}: not measured"
        try:
            ok = pred(r[key], r)
        except (KeyError, TypeError) as e:
            return False, f"{figure}: cannot be judged ({type(e).__name__}: {e})"
        if not ok:
            return False, f"{figure}: {r[key]!r}"
    return True, ""


def scenario_rows(t, spec, results):
    title, n, min_runs, rows = spec
    verdicts = [judge_run(r, rows) for r in results]
    passed = sum(1 for ok, _ in verdicts if ok)
    why = "; ".join(f"run {i + 1}: {w}" for i, (ok, w) in enumerate(verdicts) if not ok)
    enough = len(results) >= min_runs
    t.add(title, n, len(results), "runs passed", f"{passed} of {len(results)}",
          f"all, in ≥ {min_runs} runs", passed == len(results) and enough,
          "; ".join(x for x in ["" if enough else f"only {len(results)} run(s)", why] if x)[:900])
    for figure, key, target, pred, digits, note in rows:
        vals = [r[key] for r in results if key in r]
        measured = f"{len(vals)} of {len(results)}"
        if pred is None:
            t.add(title, n, measured, figure, mmm(vals, digits), target, None, note)
            continue
        bad = []
        for i, r in enumerate(results):
            if key not in r:
                bad.append(f"run {i + 1}: not measured")
                continue
            try:
                if not pred(r[key], r):
                    bad.append(f"run {i + 1}: {r[key]:.{digits}f}" if isinstance(r[key], float) else
                               f"run {i + 1}: {r[key]!r}")
            except (KeyError, TypeError):
                bad.append(f"run {i + 1}: cannot be judged")
        met = bool(results) and not bad
        if not vals:
            shown = "not measured"
        elif all(isinstance(v, bool) for v in vals):
            shown = f"{sum(1 for v in vals if v)} of {len(vals)} yes"
        else:
            shown = mmm(vals, digits)
        t.add(title, n, measured, figure, shown, target, met, "; ".join([x for x in [note] + bad if x])[:900])
    return passed, len(results)


def suite_passes(entry):
    """A suite's passes, from this script's format or the single pass older JSON held."""
    if isinstance(entry, dict):
        return entry["passes"]
    tests, wall, failures = entry
    return [{"tests": tests, "wall": wall, "failures": failures}]


def report(args, results, suites, fuzz_result, started, wall, m, reruns=()):
    t = Table()
    n = args.n
    mix = split(n)
    mixtxt = f"{mix['repos']} repositories, {mix['clusters']} bootstrapped clusters, {mix['apps']} waiting applications"
    specs = scenario_specs(n, args.cancel_apps)
    rates = {}
    for name in ["faults", "kill", "cancel", "concurrency"]:
        if name in results:
            rates[name] = scenario_rows(t, specs[name], results[name])
    if fuzz_result is not None:
        if "not_run" in fuzz_result:
            t.add("5 bad input: fuzz decode_msgpack", "–", "0", "executions", "not run",
                  f"{args.fuzz_seconds} s without a crash", False, "not run: " + fuzz_result["not_run"])
        else:
            t.add("5 bad input: fuzz decode_msgpack", "–", "1", "executions in the budget",
                  f"{fuzz_result['execs']}" if fuzz_result["execs"] is not None else "not reported",
                  f"{fuzz_result['budget_s']} s, no crash", fuzz_result["crashes"] == 0 and fuzz_result["execs"] is not None,
                  f"{fuzz_result['cargo_fuzz']}, {fuzz_result['rustc']}, -s none -a (overflow checks), -max_len=4096; "
                  f"build {fuzz_result['build_s']:.0f} s" + (f"; crash: {fuzz_result['tail']} {fuzz_result['artifacts']}"
                                                             if fuzz_result["crashes"] else ""))
    if "secrets" in results:
        rates["secrets"] = scenario_rows(t, specs["secrets"], results["secrets"])
        where = [f"run {i + 1}: {r['where']}" for i, r in enumerate(results["secrets"]) if r.get("where")]
        if where:
            t.rows[-2]["note"] += " found: " + "; ".join(where)
    for label, entry in suites.items():
        passes = suite_passes(entry)
        clean = 0
        notes = []
        for i, p in enumerate(passes):
            failed = [name for name, s, _ in p["tests"] if s == "FAILED"]
            ignored = [name for name, s, _ in p["tests"] if s == "ignored"]
            if not failed and not ignored and p["tests"]:
                clean += 1
            if failed:
                notes.append(f"pass {i + 1} failed: " + "; ".join(f"`{f}`: {p['failures'].get(f, '')}" for f in failed))
            if ignored:
                notes.append(f"pass {i + 1} ignored: " + ", ".join(ignored))
        walls = ", ".join(f"{p['wall']:.0f}" for p in passes)
        rates[label] = (clean, len(passes))
        t.add(label, "–", len(passes), "passes with every test ok",
              f"{clean} of {len(passes)} ({len(passes[0]['tests']) if passes else 0} tests each)",
              "all", bool(passes) and clean == len(passes), "; ".join([f"wall s per pass: {walls}"] + notes)[:900])

    met_all = all(r["met"] is not False for r in t.rows)
    commit = m.get("commit") or "not recorded"
    dirty = m.get("dirty")
    out = [
        "# Reliability",
        "",
        f"Produced by `{args.cmd}` (builds the release binaries, runs `bench/reliability.py`, which records every "
        f"run of every scenario in its JSON and renders this file from it); started {started}, took "
        f"{wall / 60:.0f} min. Issue 11, \"Reliability\". Do not edit by hand: rerun the command, or re-render with "
        f"`python3 bench/reliability.py --render-only --json FILE`.",
        "",
        f"- Commit: {commit}" + ("" if dirty is None else (" with uncommitted changes" if dirty else ", clean tree")),
        f"- Machine: {m.get('machine', 'not recorded')}",
        f"- Terraform: {m.get('terraform', 'not recorded')} (`terraform version -json`); {m.get('rustc', '')}",
        f"- Binaries: `{m.get('binaries', 'not recorded')}`",
        "- Pass rate per scenario (runs with every check and every judged figure within target): "
        + ", ".join(f"{k} {a} of {b}" for k, (a, b) in rates.items()),
    ] + rerun_lines(reruns, specs) + [
        "",
        f"Every scenario run starts fresh emulators (`harness-gitops-emulator`, `kube-api-emulator`, release builds, as "
        f"child processes) and a fresh Terraform working directory with the release provider through `dev_overrides`. "
        f"N = {n} mixed resources is {mixtxt}: each cluster on its own agent with its own service account "
        f"(Argo CD allows one cluster per server and agent), each application waiting for Synced and Healthy. "
        f"Latency {args.latency} on every Harness API request in scenarios 1 and 2. Figures are min / median / max over "
        f"the runs that measured them (\"runs\": measured in k of n). Every **met** is computed by "
        f"`bench/reliability.py` from the figures of every run against the targets in `bench/targets.py`; a run "
        f"passes when none of its checks failed and each judged figure is within target.",
        "",
        f"**Every target met: {'yes' if met_all else 'no'}** (rows marked **no** say why).",
        "",
        t.md(),
        "",
        "## What each scenario checks",
        "",
        "1. **Faults** (`--fault-rate 0.2 --fault-after-rate 0.05`, a different `--seed` per run): apply, second plan, "
        "an update of every resource, a plan, destroy; after each apply Terraform holds every resource untainted, "
        "the Harness emulator exactly the configured entities, the Kubernetes emulator exactly four objects per "
        "cluster (`/_emulator/state` with its admin token) (checks: a failure ends the run); judged: the plans' "
        "resource changes (from the plan JSON), the entities the update did not change, the applied-create counters "
        "against the entities (a repeated create counts: the API upserts), what is left after destroy.",
        f"2. **SIGKILL mid-apply**: `-parallelism={T.KILL_PARALLELISM}`, `request_timeout = "
        f"\"{T.KILL_REQUEST_TIMEOUT_S}s\"`, the Harness emulator (`--data`) is SIGKILLed once half the creates are "
        "applied; terraform must fail within the bound (each call ends within request_timeout, and every resource not "
        "yet created may cost one, -parallelism at a time, plus the slack). The file is read through a fresh "
        "emulator at a new port; every object it holds must be in Terraform's state (tainted when its create was cut "
        "short). The configuration is pointed at the new port and the next apply must converge (checked: exactly "
        "the configured entities, untainted). Judged from the emulator, not from Terraform's summary: no object of "
        "the file gone or created again unless Terraform had recorded it tainted (its `createdAt`), every delete "
        "after the restart a replacement of a tainted object the file held, no create of an object that existed "
        "(file + creates − deletes = N), an empty plan, a clean destroy.",
        f"3. **Ctrl-C**: SIGINT to terraform two seconds after every application was created, while all wait for a "
        f"20 s sync; terraform must exit within {T.SIGINT_EXIT_MAX_S:g} s with the interruption diagnostic, every "
        "application the emulator holds must be in state, and the next apply must converge with an empty plan after "
        "it (the interrupted creates are tainted, so it replaces them; `harness_gitops_application` documents this).",
        "4. **Concurrency**: the same configuration applied at `-parallelism=1`, destroyed, applied at "
        "`-parallelism=50` on the same emulators; Terraform's state, the Harness dump (secrets masked) and every "
        "Kubernetes object compared after removing times, uids and resourceVersions.",
        "5. **Bad input**: the cargo-fuzz target `decode_msgpack` (the DynamicValue codec, see `fuzz/README.md`) for "
        "the budget; `tests/robustness.rs`: random configurations and import IDs of every resource and data source "
        "through Validate/Plan/Import, random typed states through Read/Upgrade/Apply, random msgpack and JSON to every "
        "value-taking RPC, a 300 MiB message and raw garbage on the socket: never a panic, always a diagnostic, the "
        "process still answers.",
        "6. **Secrets**: all three resources (plain and write-only repository credentials, a bootstrapped cluster whose "
        "token is rotated, a basic-auth cluster, a cluster with a write-only token, an application) through plan, apply, "
        "refresh, rotation, two refused credentials and destroy at `TF_LOG=TRACE`. Searched: stdout and stderr of every "
        "command (Terraform's TRACE log, the provider's log, every diagnostic), both emulators' logs, their masked dumps, "
        "and the plan JSON and state for everything except the plain sensitive attributes Terraform itself stores there "
        "by design (`password`, `tls_client_cert_key`: marked sensitive). Secrets that must never be stored come through "
        "ephemeral variables. The secrets are first found in the emulators' clear dumps, so their absence means something.",
        "7. **Transport and TLS**: the tests listed under `tests/transport.rs` (handshake, AutoMTLS accepting only the "
        "pinned client certificate, owner-only socket and directory under `umask 000`, Shutdown, debug mode) and in "
        "`tests/e2e/reliability.rs` (the Harness endpoint's and the Kubernetes API server's certificates verified; "
        "`insecure` must warn).",
        "",
    ]
    if suites:
        out += ["## Tests of the normal suite run here", "",
                "| suite | test | outcome per pass | time per pass, s |", "|---|---|---|---|"]
        for label, entry in suites.items():
            passes = suite_passes(entry)
            names = []
            for p in passes:
                names += [name for name, _, _ in p["tests"] if name not in names]
            for name in names:
                got = [next(((s, secs) for nm, s, secs in p["tests"] if nm == name), ("not run", None)) for p in passes]
                out.append(f"| {label} | `{name}` | {', '.join(s for s, _ in got)} | "
                           f"{', '.join('–' if x is None else str(x) for _, x in got)} |")
        out.append("")
    return "\n".join(out)


# ------------------------------------------------------------------------------------------

SCENARIOS = {"faults": scenario_faults, "kill": scenario_kill, "cancel": scenario_cancel,
             "concurrency": scenario_concurrency, "secrets": scenario_secrets}
ALL = ["faults", "kill", "cancel", "concurrency", "secrets", "fuzz", "tests"]
SUITES = [
    ("fast reliability tests (tests/e2e/reliability.rs)", ["--test", "e2e"], "reliability::"),
    ("5 bad input: tests/robustness.rs", ["--test", "robustness"], ""),
    ("7 transport: tests/transport.rs", ["--test", "transport"], ""),
]


def rerun_lines(reruns, specs):
    """One line per `--merge` rerun: which scenarios, when, at which commit, why, and the pass
    rate of the runs it superseded (kept in the JSON under `reruns`)."""
    out = []
    for i, r in enumerate(reruns):
        later = [x for x in reruns[i + 1:] if set(x["scenarios"]) & set(r["scenarios"])]
        m = r.get("meta", {})
        dirty = m.get("dirty")
        old = []
        for name, runs in r.get("superseded", {}).items():
            a, b = scenario_rows(Table(), specs[name], runs) if name in specs else (None, len(runs))
            old.append(f"{name} {a} of {b}" if a is not None else f"{name} {b} runs")
        out.append(
            f"- Rerun: {', '.join(r['scenarios'])} with `{r['cmd'].replace(r['reason'], '…')}`, started {r['started']}, commit "
            f"{m.get('commit', 'not recorded')}" + ("" if dirty is None else (" with uncommitted changes" if dirty else
                                                                             ", clean tree"))
            + f": {r['reason']} "
            + ("Its own runs were superseded by the rerun below" if later else "These rows come from this rerun")
            + f"; the runs it superseded are kept in the JSON under `reruns` (their pass rate: {', '.join(old)}).")
    return out


MUTANT_SCOPES = ["plan/", "tf value+codec", "typed"]


def pct(x):
    return "–" if x is None else f"{100 * x:.1f} %"


def cell(text):
    """Text for a Markdown table cell: GitHub reads `\\|` as a `|` also inside code."""
    return text.replace("|", "\\|")


def mutants_md(data):
    """RELIABILITY.md's mutation-testing section, from bench/results/mutants.json (written by
    bench/mutants.py from cargo-mutants' outcomes): the commands, the counts per scope and the
    scores computed again here from the counts, and every surviving mutant with what answers it."""
    kinds = ["caught", "missed", "unviable", "timeout", "not_run"]
    rows = []
    for scope in MUTANT_SCOPES + ["total"]:
        c = data["counts"][scope]
        judged = c["caught"] + c["missed"]
        sc = c["caught"] / judged if judged else None
        sct = (c["caught"] + c["timeout"]) / (judged + c["timeout"]) if judged + c["timeout"] else None
        killed = c.get("missed_killed_by_new_tests", 0)
        after = (c["caught"] + killed) / judged if judged else None
        rows.append(f"| {scope} | {sum(c[k] for k in kinds)} | " + " | ".join(str(c[k]) for k in kinds)
                    + f" | {pct(sc)} | {pct(sct)} | {killed} | {pct(after)} |")
    survivors = data["survivors"]
    unanswered = [s for s in survivors if not s.get("disposition")]
    out = [
        "## Mutation testing (issue 15)",
        "",
        f"cargo-mutants {data['cargo_mutants']} over tfplugin's plan pipeline (`plan/`), the value and codec "
        f"modules of `tf/` and the typed layer, against tfplugin's unit tests (`cargo test -p tfplugin --lib`): "
        f"commit {data['commit']}, started {data['started']}, wall {data['wall_s'] / 60:.0f} min, "
        f"{data['machine']}. Reproduce with `scripts/mutants.sh` (see its header); recorded in "
        f"`bench/results/mutants.json` by `bench/mutants.py`. Commands as run:",
        "",
    ] + [f"    {c}" for c in data["commands"]] + ([""] + [data["note"]] if data.get("note") else []) + (
        ["", f"{len(data['verify_commands'])} reruns of cargo-mutants on exactly the survivors answered by a "
             f"`test:`, after those tests were added (`--in-place --baseline skip`, one `-F` per mutant; the command "
             f"lines are in the JSON)."] if data.get("verify_commands") else []) + [
        "",
        "Score = caught / (caught + missed); unviable mutants (they do not compile) are not counted; "
        "\"timeouts caught\" also counts a mutant whose tests hung past the timeout as caught. "
        "Not run: in scope, but not tested by the recorded run. Killed since: missed by the recorded run, "
        "caught by a rerun with the tests added for it; the last column is the score with those.",
        "",
        "| scope | mutants | caught | missed | unviable | timeout | not run | score | timeouts caught "
        "| killed since | score now |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ] + rows + [
        "",
        f"Every surviving mutant answered: {'yes' if not unanswered else f'**no** ({len(unanswered)} not)'}. "
        "A `test:` names the unit test that now kills it (checked by rerunning cargo-mutants on it); "
        "a `reason:` says why no test can.",
        "",
        "| surviving mutant | scope | disposition | rerun |",
        "|---|---|---|---|",
    ] + [f"| `{cell(s['mutant'])}` | {s['scope']} | {cell(s.get('disposition') or '**none**')} "
         f"| {s.get('rerun', 'not rerun')} |" for s in survivors] + [""]
    return "\n".join(out)


def with_mutants(md, path):
    """The report with the mutation-testing section when its record exists."""
    if not path or not os.path.exists(path):
        return md
    with open(path) as f:
        return md.rstrip("\n") + "\n\n" + mutants_md(json.load(f))


def render_saved(args, saved):
    """The report of a saved JSON (from this script; older files lack some figures, which the
    report then shows as not measured)."""
    args.n, args.cancel_apps = saved["n"], saved["cancel_apps"]
    args.latency, args.fuzz_seconds = saved["latency"], saved["fuzz_seconds"]
    args.cmd = saved["cmd"]
    m = saved.get("meta") or {"machine": saved.get("machine", "not recorded")}
    return report(args, saved["results"], saved["suites"], saved["fuzz"], saved["started"], saved["wall"], m,
                  saved.get("reruns", []))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", help="directory of the release binaries (not needed with --render-only)")
    ap.add_argument("--runs", type=int, default=T.MIN_RUNS, help="runs of every scenario but the SIGKILL one")
    ap.add_argument("--kill-runs", type=int, default=T.KILL_MIN_RUNS, help="runs of the SIGKILL scenario")
    ap.add_argument("--suite-runs", type=int, default=T.MIN_RUNS, help="passes of each test suite")
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--cancel-apps", type=int, default=50)
    ap.add_argument("--latency", default="50ms")
    ap.add_argument("--fuzz-seconds", type=int, default=300)
    ap.add_argument("--only", default=",".join(ALL))
    ap.add_argument("--out", default=os.path.join(ROOT, "RELIABILITY.md"))
    ap.add_argument("--json", default=os.path.join(ROOT, "bench", "results", "reliability.json"))
    ap.add_argument("--merge", action="store_true",
                    help="rerun only the --only scenarios and replace their runs in the existing --json, keeping the "
                         "superseded runs and this rerun's commit and --reason in it (the report names the rerun)")
    ap.add_argument("--reason", help="why the --merge rerun was needed (required with --merge)")
    ap.add_argument("--mutants-json", default=os.path.join(ROOT, "bench", "results", "mutants.json"),
                    help="the mutation-testing record (bench/mutants.py) rendered after the scenarios")
    ap.add_argument("--render-only", action="store_true",
                    help="write the report from the results in --json without running anything")
    args = ap.parse_args()
    argv = sys.argv[1:]
    for opt in ("--bin-dir", "--json", "--out", "--mutants-json"):
        if opt in argv:
            i = argv.index(opt)
            del argv[i:i + 2]
    args.cmd = " ".join(["bench/reliability.sh"] + argv)
    if args.render_only:
        with open(args.json) as f:
            saved = json.load(f)
        md = with_mutants(render_saved(args, saved), args.mutants_json)
        with open(args.out, "w") as f:
            f.write(md)
        print(md)
        return
    if not args.bin_dir:
        ap.error("--bin-dir is needed unless --render-only")
    args.bin_dir = os.path.abspath(args.bin_dir)
    args.harness_bin = os.path.join(args.bin_dir, "harness-gitops-emulator")
    args.kube_bin = os.path.join(args.bin_dir, "kube-api-emulator")
    for b in (args.harness_bin, args.kube_bin, os.path.join(args.bin_dir, "terraform-provider-harness")):
        if not os.path.exists(b):
            sys.exit(f"{b} missing: build the release binaries first (bench/reliability.sh does)")
    only = args.only.split(",")
    unknown = set(only) - set(ALL)
    if unknown:
        sys.exit(f"unknown scenario(s) {sorted(unknown)}; known: {', '.join(ALL)}")
    m = meta()
    m["binaries"] = os.path.relpath(args.bin_dir, ROOT)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    t_start = time.monotonic()
    work = tempfile.mkdtemp(prefix="reliability-")
    results, suites, fuzz_result = {}, {}, None
    saved_path = os.path.abspath(args.json)
    base, rerun = None, None
    if args.merge:
        if not args.reason:
            ap.error("--merge needs --reason")
        if set(only) - set(SCENARIOS):
            ap.error("--merge reruns scenarios only: " + ", ".join(SCENARIOS))
        with open(saved_path) as f:
            base = json.load(f)
        results, suites, fuzz_result = dict(base["results"]), base["suites"], base["fuzz"]
        # The rerun measures what the base measured: same size, applications, latency and runs.
        args.n, args.cancel_apps, args.latency = base["n"], base["cancel_apps"], base["latency"]
        args.runs, args.kill_runs = base["runs"], base.get("kill_runs", args.kill_runs)
        rerun = {"scenarios": only, "started": started, "cmd": args.cmd, "reason": args.reason, "meta": m,
                 "superseded": {name: results.pop(name, []) for name in only}}

    def save():
        """The JSON after every run: every attempt is in it, also when the command is cut short."""
        os.makedirs(os.path.dirname(saved_path), exist_ok=True)
        if base is not None:
            rerun["wall"] = time.monotonic() - t_start
            out = dict(base, results=results, reruns=base.get("reruns", []) + [rerun])
        else:
            out = {"meta": m, "results": results, "suites": suites, "fuzz": fuzz_result, "started": started,
                   "wall": time.monotonic() - t_start, "n": args.n, "runs": args.runs, "kill_runs": args.kill_runs,
                   "suite_runs": args.suite_runs, "cancel_apps": args.cancel_apps, "latency": args.latency,
                   "fuzz_seconds": args.fuzz_seconds, "cmd": args.cmd}
        with open(saved_path + ".tmp", "w") as f:
            json.dump(out, f, indent=1, default=str)
        os.replace(saved_path + ".tmp", saved_path)

    try:
        for name in [s for s in only if s in SCENARIOS]:
            results[name] = []
            runs = args.kill_runs if name == "kill" else args.runs
            for i in range(runs):
                log(f"{name} run {i + 1}/{runs}")
                t0 = time.monotonic()
                r = {"run": i + 1, "started": time.strftime("%H:%M:%S", time.gmtime())}
                try:
                    r.update(SCENARIOS[name](args, i, work, r) or {})
                except (Failed, RuntimeError, subprocess.SubprocessError, urllib.error.URLError, OSError, KeyError,
                        ValueError) as e:
                    r["error"] = f"{type(e).__name__}: {e}"
                r["wall_s"] = time.monotonic() - t0
                log(f"{name} run {i + 1}: {json.dumps(r, default=str)[:1500]}")
                results[name].append(r)
                save()
        if "fuzz" in only:
            log("fuzz")
            fuzz_result = fuzz(args)
            log(f"fuzz: {fuzz_result}")
            save()
        if "tests" in only:
            for label, cargo_args, test_args in SUITES:
                suites[label] = {"passes": []}
                for i in range(args.suite_runs):
                    log(f"cargo test {' '.join(cargo_args)} {test_args} (pass {i + 1}/{args.suite_runs})")
                    tests, swall, failures = cargo_tests(label, cargo_args, test_args)
                    suites[label]["passes"].append({"tests": tests, "wall": swall, "failures": failures})
                    log(f"{label}: {[(n, s) for n, s, _ in tests]}")
                    save()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    wall = time.monotonic() - t_start
    save()
    if base is not None:
        with open(saved_path) as f:
            md = render_saved(args, json.load(f))
    else:
        md = report(args, results, suites, fuzz_result, started, wall, m)
    md = with_mutants(md, args.mutants_json)
    with open(args.out, "w") as f:
        f.write(md)
    print(md)


if __name__ == "__main__":
    main()

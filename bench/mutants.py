#!/usr/bin/env python3
"""Mutation-testing record (issue 15): bench/results/mutants.json from cargo-mutants' own
outcomes, for RELIABILITY.md (bench/reliability.py renders it).

    python3 bench/mutants.py --outcomes target/mutants.out [DIR ...] --list LIST \\
        --command "scripts/mutants.sh ..." [--command ...] --started "2026-12-08 02:02 UTC" \\
        --wall-s 2900 [--dispositions bench/mutants-dispositions.json] [--out bench/results/mutants.json]

--outcomes: cargo-mutants output folders (each holds outcomes.json), one per shard or run;
--list: every mutant in scope, one a line (`scripts/mutants.sh --list`), so that the record
also names the mutants no run tested; --dispositions: for every surviving mutant, "test: NAME"
(a unit test that kills it) or "reason: TEXT" (why no test can, e.g. an equivalent mutant).
Counts and scores are computed here and again by the renderer, never written by hand.
"""

import argparse
import json
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Scope of a mutant, by its file: the three parts issue 15 names.
SCOPES = [
    ("plan/", ("crates/tfplugin/src/plan/",)),
    ("tf value+codec", ("crates/tfplugin/src/tf/value.rs", "crates/tfplugin/src/tf/codec/")),
    ("typed", ("crates/tfplugin/src/typed.rs", "crates/tfplugin/src/typed/")),
]
OUTCOME = {"CaughtMutant": "caught", "MissedMutant": "missed", "Unviable": "unviable", "Timeout": "timeout"}
KINDS = ["caught", "missed", "unviable", "timeout", "not_run"]


def scope_of(name):
    path = name.split(":", 1)[0]
    for scope, prefixes in SCOPES:
        if any(path == p or (p.endswith("/") and path.startswith(p)) for p in prefixes):
            return scope
    raise ValueError(f"{name}: not in any scope")


def counts(mutants):
    """Per scope and in total: how many mutants ended each way, and the scores."""
    out = {}
    for scope in [s for s, _ in SCOPES] + ["total"]:
        c = {k: 0 for k in KINDS}
        for m in mutants:
            if scope in ("total", m["scope"]):
                c[m["outcome"]] += 1
        c["mutants"] = sum(c[k] for k in KINDS)
        c["missed_killed_by_new_tests"] = sum(1 for m in mutants if scope in ("total", m["scope"])
                                              and m["outcome"] == "missed" and m.get("rerun") == "caught")
        c["score"] = score(c)
        c["score_timeouts_caught"] = score(c, timeouts_caught=True)
        out[scope] = c
    return out


def score(c, timeouts_caught=False):
    """caught / (caught + missed), optionally counting timeouts as caught; None without any."""
    caught = c["caught"] + (c["timeout"] if timeouts_caught else 0)
    judged = caught + c["missed"]
    return round(caught / judged, 4) if judged else None


def read_outcomes(folder):
    """(mutant name, outcome, cargo-mutants version) of every mutant in a cargo-mutants output folder."""
    with open(os.path.join(folder, "outcomes.json")) as f:
        data = json.load(f)
    for o in data["outcomes"]:
        mutant = o["scenario"].get("Mutant") if isinstance(o["scenario"], dict) else None
        if mutant is not None:  # else a baseline
            yield mutant["name"], OUTCOME[o["summary"]], data.get("cargo_mutants_version")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--outcomes", nargs="+", required=True)
    ap.add_argument("--list", required=True)
    ap.add_argument("--command", action="append", required=True)
    ap.add_argument("--verify-command", action="append", default=[],
                    help="a command of the reruns on survivors (as run), recorded beside --verified")
    ap.add_argument("--started", required=True)
    ap.add_argument("--wall-s", type=float, required=True)
    ap.add_argument("--note", default="")
    ap.add_argument("--commit", help="the commit measured (default: HEAD)")
    ap.add_argument("--verified", nargs="*", default=[],
                    help="cargo-mutants output folders of reruns on survivors after their tests were added")
    ap.add_argument("--dispositions", default=os.path.join(HERE, "mutants-dispositions.json"))
    ap.add_argument("--out", default=os.path.join(HERE, "results", "mutants.json"))
    args = ap.parse_args()

    with open(args.list) as f:
        listed = [line.strip() for line in f if line.strip()]
    outcome = {}
    version = None
    for d in args.outcomes:
        for name, result, version in read_outcomes(d):
            if name in outcome:
                sys.exit(f"{name}: tested twice")
            outcome[name] = result
    rerun = {}
    for d in args.verified:
        for name, result, _ in read_outcomes(d):
            rerun[name] = result
    unknown = set(outcome) - set(listed)
    if unknown:
        sys.exit(f"outcomes for mutants not in --list: {sorted(unknown)[:5]}")
    dispositions = {}
    if os.path.exists(args.dispositions):
        with open(args.dispositions) as f:
            dispositions = json.load(f)
    mutants = [{"mutant": n, "scope": scope_of(n), "outcome": outcome.get(n, "not_run"), "rerun": rerun.get(n)}
               for n in listed]
    survivors = [{"mutant": m["mutant"], "scope": m["scope"], "disposition": dispositions.get(m["mutant"]),
                  "rerun": rerun.get(m["mutant"], "not rerun")}
                 for m in mutants if m["outcome"] == "missed"]
    for s in survivors:
        if (s["disposition"] or "").startswith("test:") and s["rerun"] != "caught":
            print(f"{s['mutant']}: its test is not shown to kill it (rerun: {s['rerun']})", file=sys.stderr)
    stale = set(dispositions) - {s["mutant"] for s in survivors}
    if stale:
        sys.exit(f"dispositions for mutants that did not survive: {sorted(stale)}")
    commit = args.commit or subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                           cwd=ROOT).stdout.strip()
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    out = {
        "cargo_mutants": version,
        "commands": args.command,
        "verify_commands": args.verify_command,
        "note": args.note,
        "commit": commit,
        "started": args.started,
        "wall_s": round(args.wall_s),
        "machine": f"{cpu}, {os.cpu_count()} CPUs (shared), {platform.system()} {platform.release()}",
        "scopes": {scope: list(prefixes) for scope, prefixes in SCOPES},
        "counts": counts(mutants),
        "survivors": survivors,
        "not_run": [m["mutant"] for m in mutants if m["outcome"] == "not_run"],
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(json.dumps(out["counts"], indent=1))
    missing = [s["mutant"] for s in survivors if not s["disposition"]]
    if missing:
        print(f"{len(missing)} survivors without a disposition:", *missing, sep="\n  ", file=sys.stderr)


if __name__ == "__main__":
    main()

"""The scorecards' verdicts are computed: changing a figure in a copy of saved JSON changes them.

    python3 -m unittest discover -s bench -p 'test_*.py'

Fixtures: bench/test_data/reliability-old-format.json (a copy of the full run of 2026-11-30,
in the format before every run was judged: it must still render), bench/results/{before-jitter,
nojitter,static}.json (saved startup records), and bench/test_data/*-small.json (real small runs
of the two scripts, N = 5, debug binaries, copied unchanged: their figures only serve as a
starting point for the changes the tests make).
"""

import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import reliability  # noqa: E402
import scorecard  # noqa: E402
import targets as T  # noqa: E402


def load(*parts):
    with open(os.path.join(HERE, *parts)) as f:
        return json.load(f)


def rel_report(saved):
    args = argparse.Namespace()
    return reliability.render_saved(args, copy.deepcopy(saved))


def table_row(md, scenario, figure):
    """The cells of the report's table row for scenario and figure."""
    for line in md.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) >= 8 and cells[0] == scenario and cells[3] == figure:
            return cells
    raise AssertionError(f"no row {scenario!r} / {figure!r}")


def sc_row(rows, section, scenario_prefix, n=None):
    for r in rows:
        if r["section"] == section and r["scenario"].startswith(scenario_prefix) and (n is None or r["n"] == n):
            return r
    raise AssertionError(f"no row {section} / {scenario_prefix} / {n}")


class ReliabilityVerdicts(unittest.TestCase):
    def setUp(self):
        self.saved = load("test_data", "reliability-old-format.json")
        self.small = load("test_data", "reliability-small.json")

    def test_sigint_bound_is_two_seconds_and_judged_per_run(self):
        changed = copy.deepcopy(self.saved)
        for r in changed["results"]["cancel"]:
            r["exit_after_sigint_s"] = T.SIGINT_EXIT_MAX_S
        md = rel_report(changed)
        self.assertEqual(table_row(md, "3 Ctrl-C during waits", "SIGINT → terraform exit, s")[6], "yes")
        changed["results"]["cancel"][1]["exit_after_sigint_s"] = T.SIGINT_EXIT_MAX_S + 0.01
        row = table_row(rel_report(changed), "3 Ctrl-C during waits", "SIGINT → terraform exit, s")
        self.assertEqual(row[6], "**no**")
        self.assertIn("run 2: 2.01", row[7])

    def test_kill_exit_bound_comes_from_request_timeout_and_the_runs_figures(self):
        n = self.saved["n"]
        r = self.saved["results"]["kill"][0]
        bound = T.kill_exit_bound_s(n, r["killed_after_creates"])
        self.assertLess(bound, 600)
        for exit_s, verdict in ((bound, "yes"), (bound + 0.5, "**no**")):
            changed = copy.deepcopy(self.saved)
            changed["results"]["kill"][0]["tf_exit_after_kill_s"] = exit_s
            row = table_row(rel_report(changed), "2 SIGKILL mid-apply", "terraform exit after the kill, s")
            self.assertEqual(row[6], verdict, exit_s)

    def test_pass_rate_counts_runs_and_needs_ten_sigkill_runs(self):
        md = rel_report(self.small)
        kill = self.small["results"]["kill"]
        row = table_row(md, "2 SIGKILL mid-apply", "runs passed")
        self.assertEqual(row[4].split(" of ")[1], str(len(kill)))
        self.assertEqual(row[6], "**no**")  # fewer than 10 runs
        self.assertIn("only", row[7])
        # ten passing runs (copies of a passing one) are met; one failing figure makes it 9 of 10
        good = next(r for r in kill if reliability.judge_run(r, reliability.scenario_specs(
            self.small["n"], self.small["cancel_apps"])["kill"][3])[0])
        changed = copy.deepcopy(self.small)
        changed["results"]["kill"] = [dict(good, run=i + 1) for i in range(T.KILL_MIN_RUNS)]
        row = table_row(rel_report(changed), "2 SIGKILL mid-apply", "runs passed")
        self.assertEqual((row[4], row[6]), (f"{T.KILL_MIN_RUNS} of {T.KILL_MIN_RUNS}", "yes"))
        changed["results"]["kill"][3]["remote_not_in_state"] = 1
        md = rel_report(changed)
        row = table_row(md, "2 SIGKILL mid-apply", "runs passed")
        self.assertEqual((row[4], row[6]), (f"{T.KILL_MIN_RUNS - 1} of {T.KILL_MIN_RUNS}", "**no**"))
        self.assertIn("run 4", row[7])
        self.assertEqual(table_row(md, "2 SIGKILL mid-apply",
                                   "objects in --data missing from state after the kill")[6], "**no**")

    def test_a_run_that_failed_a_check_fails_and_says_why(self):
        changed = copy.deepcopy(self.small)
        changed["results"]["faults"][0] = {"run": 1, "error": "Failed: Harness clusters: 0 held, 1 expected"}
        row = table_row(rel_report(changed), "1 faults", "runs passed")
        self.assertEqual(row[6], "**no**")
        self.assertIn("0 held, 1 expected", row[7])

    def test_lost_objects_and_replacements_are_judged(self):
        for key, figure in (("lost_from_file", "objects in --data lost (gone or created again, not tainted)"),
                            ("unexplained_replacements", "replacements not of an object recorded tainted"),
                            ("creates_of_existing", "creates of an object that existed"),
                            ("plan_after_converge_changes", "plan after convergence: resource changes")):
            self.assertEqual(table_row(rel_report(self.small), "2 SIGKILL mid-apply", figure)[6], "yes", key)
            changed = copy.deepcopy(self.small)
            changed["results"]["kill"][0][key] = 1
            self.assertEqual(table_row(rel_report(changed), "2 SIGKILL mid-apply", figure)[6], "**no**", key)

    def test_a_figure_not_measured_is_not_met(self):
        changed = copy.deepcopy(self.small)
        del changed["results"]["faults"][1]["second_plan_changes"]
        row = table_row(rel_report(changed), "1 faults", "second plan: resource changes")
        self.assertEqual(row[6], "**no**")
        self.assertIn("not measured", row[7])

    def test_header_has_commit_dirty_machine_and_terraform_version(self):
        md = rel_report(self.small)
        m = self.small["meta"]
        self.assertIn(f"- Commit: {m['commit']}", md)
        self.assertIn(f"- Terraform: {m['terraform']} (`terraform version -json`)", md)
        self.assertIn(m["machine"], md)
        self.assertRegex(md, r"Pass rate per scenario .*kill \d+ of \d+")

    def test_a_merged_rerun_is_named_with_its_commit_and_the_superseded_pass_rate(self):
        saved = copy.deepcopy(self.small)
        name = next(n for n in ("concurrency", "faults", "cancel") if saved["results"].get(n))
        old = copy.deepcopy(saved["results"][name])
        old[0]["error"] = "Failed: a check failed"
        saved["reruns"] = [{"scenarios": [name], "started": "2026-12-07 19:00 UTC", "cmd": "bench/reliability.sh --merge",
                            "reason": "the normaliser kept a volatile time.", "meta": {"commit": "abc1234", "dirty": False},
                            "superseded": {name: old}}]
        md = rel_report(saved)
        line = next(l for l in md.splitlines() if l.startswith("- Rerun:"))
        self.assertIn(f"{name} with `bench/reliability.sh --merge`", line)
        self.assertIn("commit abc1234, clean tree: the normaliser kept a volatile time.", line)
        self.assertIn(f"{name} {len(old) - 1} of {len(old)}", line)
        self.assertIn("These rows come from this rerun", line)
        self.assertNotIn("- Rerun:", rel_report(self.small))
        saved["reruns"].append(dict(saved["reruns"][0], started="2026-12-07 19:30 UTC"))
        first, second = [l for l in rel_report(saved).splitlines() if l.startswith("- Rerun:")]
        self.assertIn("superseded by the rerun below", first)
        self.assertIn("These rows come from this rerun", second)

    def test_end_states_ignore_server_side_apply_times_only(self):
        def obj(manager, t):
            return {"metadata": {"name": "x", "managedFields": [{"manager": manager, "time": t, "fieldsV1": {}}]}}
        n = reliability.normalise
        self.assertEqual(n(obj("m", "2026-12-07T17:55:02Z")), n(obj("m", "2026-12-07T17:55:57Z")))
        self.assertNotEqual(n(obj("m", "t")), n(obj("other", "t")))

    def test_the_summary_follows_the_rows(self):
        # the old run lacks figures judged now: not met, and it says which
        md = rel_report(self.saved)
        self.assertIn("**Every target met: no**", md)
        self.assertIn("not measured", table_row(md, "2 SIGKILL mid-apply",
                                                "objects in --data missing from state after the kill")[7])
        # a small run with enough runs of everything and every figure within target is met
        changed = copy.deepcopy(self.small)
        for name, runs in changed["results"].items():
            need = T.KILL_MIN_RUNS if name == "kill" else T.MIN_RUNS
            changed["results"][name] = [dict(runs[0], run=i + 1) for i in range(need)]
        md = rel_report(changed)
        self.assertIn("**Every target met: yes**", md)
        changed["results"]["concurrency"][2]["differences"] = 3
        md = rel_report(changed)
        self.assertIn("**Every target met: no**", md)
        self.assertEqual(table_row(md, "4 concurrency", "runs passed")[4], f"{T.MIN_RUNS - 1} of {T.MIN_RUNS}")

    def test_informational_rows_state_no_target(self):
        for name, (_, _, _, rows) in reliability.scenario_specs(100, 50).items():
            for figure, _, target, pred, _, _ in rows:
                if pred is None:
                    self.assertEqual(target, "–", f"{name}: {figure}")

    def test_render_only_command(self):
        tmp = tempfile.mkdtemp()
        try:
            src = os.path.join(tmp, "in.json")
            changed = copy.deepcopy(self.small)
            changed["results"]["cancel"][0]["exit_after_sigint_s"] = 9.5
            with open(src, "w") as f:
                json.dump(changed, f)
            out = os.path.join(tmp, "RELIABILITY.md")
            subprocess.run([sys.executable, os.path.join(HERE, "reliability.py"), "--render-only", "--json", src,
                            "--out", out], check=True, stdout=subprocess.DEVNULL)
            with open(out) as f:
                row = table_row(f.read(), "3 Ctrl-C during waits", "SIGINT → terraform exit, s")
            self.assertEqual(row[6], "**no**")
            self.assertIn("run 1: 9.50", row[7])
        finally:
            shutil.rmtree(tmp)


def mutants_record():
    """A small record in bench/mutants.py's format."""
    zero = {"caught": 0, "missed": 0, "unviable": 0, "timeout": 0, "not_run": 0}
    counts = {"plan/": dict(zero, caught=8, missed=2, unviable=1, timeout=1),
              "tf value+codec": dict(zero, caught=3, not_run=4), "typed": dict(zero, not_run=5)}
    counts["plan/"]["missed_killed_by_new_tests"] = 1
    counts["total"] = {k: sum(c.get(k, 0) for c in counts.values()) for k in list(zero) + ["missed_killed_by_new_tests"]}
    return {"cargo_mutants": "27.1.0", "commands": ["scripts/mutants.sh --shard 0/2"], "note": "", "commit": "abc1234",
            "started": "2026-12-08 02:02 UTC", "wall_s": 2900, "machine": "test machine", "counts": counts,
            "survivors": [{"mutant": "crates/tfplugin/src/plan/check.rs:1:1: delete ! in f", "scope": "plan/",
                           "disposition": "test: plan::tests::kills_it", "rerun": "caught"},
                          {"mutant": "crates/tfplugin/src/plan/mod.rs:2:2: replace a | b", "scope": "plan/",
                           "disposition": None, "rerun": "not rerun"}],
            "not_run": []}


def mutants_row(md, scope):
    for line in md.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells and cells[0] == scope:
            return cells
    raise AssertionError(f"no row {scope!r}")


class MutantsRendering(unittest.TestCase):
    def test_scores_are_computed_from_the_counts(self):
        data = mutants_record()
        md = reliability.mutants_md(data)
        self.assertEqual(mutants_row(md, "plan/")[1:], ["12", "8", "2", "1", "1", "0", "80.0 %", "81.8 %", "1", "90.0 %"])
        self.assertEqual(mutants_row(md, "typed")[-4:], ["–", "–", "0", "–"])
        self.assertEqual(mutants_row(md, "total")[1:3], ["24", "11"])
        data["counts"]["plan/"].update(missed=0, missed_killed_by_new_tests=0)
        self.assertEqual(mutants_row(reliability.mutants_md(data), "plan/")[-4:], ["100.0 %", "100.0 %", "0", "100.0 %"])

    def test_every_survivor_is_listed_and_an_unanswered_one_says_so(self):
        md = reliability.mutants_md(mutants_record())
        self.assertIn("| `crates/tfplugin/src/plan/check.rs:1:1: delete ! in f` | plan/ | test: plan::tests::kills_it | caught |", md)
        self.assertIn("`crates/tfplugin/src/plan/mod.rs:2:2: replace a \\| b` | plan/ | **none** | not rerun |", md)
        self.assertIn("Every surviving mutant answered: **no** (1 not)", md)
        self.assertIn("    scripts/mutants.sh --shard 0/2", md)

    def test_render_only_appends_the_section(self):
        tmp = tempfile.mkdtemp()
        try:
            src = os.path.join(tmp, "m.json")
            with open(src, "w") as f:
                json.dump(mutants_record(), f)
            out = os.path.join(tmp, "RELIABILITY.md")
            subprocess.run([sys.executable, os.path.join(HERE, "reliability.py"), "--render-only", "--json",
                            os.path.join(HERE, "test_data", "reliability-small.json"), "--mutants-json", src,
                            "--out", out], check=True, stdout=subprocess.DEVNULL)
            with open(out) as f:
                md = f.read()
            self.assertTrue(md.startswith("# Reliability"))
            self.assertIn("## Mutation testing (issue 15)", md)
            self.assertEqual(mutants_row(md, "plan/")[-4], "80.0 %")
        finally:
            shutil.rmtree(tmp)


class ScorecardVerdicts(unittest.TestCase):
    def setUp(self):
        self.data = load("test_data", "scorecard-small.json")

    def rows(self, data):
        return scorecard.all_rows(data)

    def test_startup_rss_is_judged_on_the_max(self):
        d = copy.deepcopy(self.data)
        x = d["startup"]["results"]["tls"]
        x["rss_median_kb"] = 5000
        x["rss_max_kb"] = T.STARTUP_RSS_MAX_BYTES // 1024  # 8 191 KiB ≤ 8 MB
        self.assertIs(sc_row(self.rows(d), "1. startup", "RSS at the handshake line, AutoMTLS on")["verdict"], True)
        x["rss_max_kb"] = T.STARTUP_RSS_MAX_BYTES // 1024 + 1  # the median stays far below
        r = sc_row(self.rows(d), "1. startup", "RSS at the handshake line, AutoMTLS on")
        self.assertIs(r["verdict"], False)
        self.assertIn("largest", r["why"])

    def test_startup_time_is_judged_on_the_median(self):
        d = copy.deepcopy(self.data)
        x = d["startup"]["results"]["plain"]
        x["median_ms"], x["max_ms"] = T.STARTUP_MEDIAN_MS["plain"], 50.0
        self.assertIs(sc_row(self.rows(d), "1. startup", "exec → handshake line, AutoMTLS off")["verdict"], True)
        x["median_ms"] = T.STARTUP_MEDIAN_MS["plain"] + 0.01
        self.assertIs(sc_row(self.rows(d), "1. startup", "exec → handshake line, AutoMTLS off")["verdict"], False)

    def test_provider_share_is_judged_on_every_run_at_n_1000(self):
        d = copy.deepcopy(self.data)
        n = d["meta"]["sizes"][0]
        d["scale"] = {"1000": copy.deepcopy(d["scale"][str(n)])}
        res = d["scale"]["1000"]
        res["mixed/1000"] = res.pop(f"mixed/{n}")
        res["terraform_data/1000"] = res.pop(f"terraform_data/{n}")
        for r in res["mixed/1000"]:
            r["plan"]["cpu"], r["plan"]["provider_cpu"] = 10.0, 0.4
        self.assertIs(sc_row(self.rows(d), "2. where the time goes", "plan: provider share")["verdict"], True)
        res["mixed/1000"][-1]["plan"]["provider_cpu"] = 0.51  # one run of several over 5 %
        self.assertIs(sc_row(self.rows(d), "2. where the time goes", "plan: provider share")["verdict"], False)

    def test_api_load_is_counted_against_the_state(self):
        n = self.data["meta"]["sizes"][0]
        rows = self.rows(self.data)
        self.assertIs(sc_row(rows, "3. API load", "plan of mixed resources: requests", n)["verdict"], True)
        self.assertIs(sc_row(rows, "3. API load", "apply of mixed resources: requests", n)["verdict"], True)
        d = copy.deepcopy(self.data)
        reqs = d["scale"][str(n)][f"mixed/{n}"][0]["plan"]["api"]["requests"]
        reqs["repositories.get"] += 1
        r = sc_row(self.rows(d), "3. API load", "plan of mixed resources: requests", n)
        self.assertIs(r["verdict"], False)
        self.assertIn("run 1", r["why"])
        d = copy.deepcopy(self.data)
        d["scale"][str(n)][f"mixed/{n}"][0]["apply"]["api"]["requests"]["repositories.update"] = 1
        self.assertIs(sc_row(self.rows(d), "3. API load", "apply of mixed resources: requests", n)["verdict"], False)

    def test_each_kind_is_read_by_its_own_read_and_an_unknown_kind_is_not_ignored(self):
        per_type = {"harness_gitops_repository_certificate": {"count": 2},
                    "harness_gitops_gnupg_key": {"count": 3}, "terraform_data": {"count": 9}}
        counts = scorecard.expected_counts(per_type)
        ok, _ = scorecard.api_verdict("plan", {"certificates.list": 2, "gpgkeys.get": 3}, counts)
        self.assertTrue(ok)
        ok, why = scorecard.api_verdict("plan", {"certificates.get": 2, "gpgkeys.get": 3}, counts)
        self.assertFalse(ok)
        self.assertIn("certificates.list", why)
        ok, _ = scorecard.api_verdict("apply", {"certificates.create": 2, "certificates.list": 2,
                                                "gpgkeys.create": 3}, counts)
        self.assertTrue(ok)
        counts = scorecard.expected_counts({"harness_gitops_new_kind": {"count": 1}})
        ok, _ = scorecard.api_verdict("plan", {}, counts)
        self.assertFalse(ok)

    def test_connections_reused(self):
        n = self.data["meta"]["sizes"][0]
        d = copy.deepcopy(self.data)
        r0 = d["scale"][str(n)][f"mixed/{n}"][0]["apply"]
        r0["provider_processes"] = 2
        r0["api"]["connections"] = 20
        self.assertIs(sc_row(self.rows(d), "3. API load", "apply of mixed resources: TCP", n)["verdict"], True)
        r0["api"]["connections"] = 21
        self.assertIs(sc_row(self.rows(d), "3. API load", "apply of mixed resources: TCP", n)["verdict"], False)

    def test_waiting_polls(self):
        d = copy.deepcopy(self.data)
        w = d["waits"]["50"]["run"]["apply"]
        w["wall"] = 30.0
        w["api"]["requests"] = {"applications.list": 100, "applications.get": 0}
        rows = [r for r in self.rows(d) if "-parallelism=50: poll" in r["scenario"]]
        self.assertIs(rows[0]["verdict"], True)
        w["api"]["requests"]["applications.get"] = 1  # 101 > 30 s / 0.3 s
        rows = [r for r in self.rows(d) if "-parallelism=50: poll" in r["scenario"]]
        self.assertIs(rows[0]["verdict"], False)

    def test_latency_and_memory(self):
        d = copy.deepcopy(self.data)
        n = str(d["meta"]["sizes"][0])
        l = d["latency"][n]
        floor = int(n) * T.LATENCY_S / l["parallelism"]
        l["terraform_data"]["apply"]["wall"] = floor / 2
        l["with"]["apply"]["wall"] = T.LATENCY_FACTOR * floor
        self.assertIs(sc_row(self.rows(d), "4. latency", "apply with --latency")["verdict"], True)
        l["with"]["apply"]["wall"] = T.LATENCY_FACTOR * floor + 0.01
        self.assertIs(sc_row(self.rows(d), "4. latency", "apply with --latency")["verdict"], False)
        self.assertIs(sc_row(self.rows(d), "5. memory", "provider peak RSS")["verdict"], True)
        l["without"]["apply"]["provider_rss_kib"] = T.PEAK_RSS_MAX_BYTES // 1024 + 1
        r = sc_row(self.rows(d), "5. memory", "provider peak RSS")
        self.assertIs(r["verdict"], False)

    def test_rendered_report_and_notes_follow_the_data(self):
        md, rows = scorecard.render(self.data)
        self.assertIn(f"Terraform {self.data['meta']['terraform']} (`terraform version -json`)", md)
        failed = [r for r in rows if r["verdict"] is False]
        self.assertIn(f"**Every target met: {'no' if failed else 'yes'}**", md)
        for r in failed:
            self.assertIn(f"**{r['section']}: {r['scenario']}**", md)
        # the startup note's figures come from the saved records
        tmp = tempfile.mkdtemp()
        try:
            for name in ("before-jitter.json", "nojitter.json", "static.json"):
                shutil.copy(os.path.join(HERE, "results", name), tmp)
            rec = load("results", "before-jitter.json")
            md1, _ = scorecard.render(self.data, tmp)
            self.assertIn(f"median {rec['results']['tls']['median_ms']:.1f} ms", md1)
            rec["results"]["tls"]["median_ms"] = 123.4
            with open(os.path.join(tmp, "before-jitter.json"), "w") as f:
                json.dump(rec, f)
            md2, _ = scorecard.render(self.data, tmp)
            self.assertIn("median 123.4 ms", md2)
        finally:
            shutil.rmtree(tmp)

    def test_the_measured_binary_is_named(self):
        d = copy.deepcopy(self.data)
        d["meta"].pop("provider_build", None)
        md, _ = scorecard.render(d)
        self.assertNotIn("Measured binary:", md)
        d["meta"]["provider_build"] = "the binary of the release archive x.zip (static-pie)"
        d["meta"]["provider"] = "target/scorecard/release/bin/p"
        md, _ = scorecard.render(d)
        self.assertIn("provider `target/scorecard/release/bin/p` (the binary of the release archive x.zip "
                      "(static-pie))", md)
        self.assertIn("Measured binary: the binary of the release archive x.zip (static-pie) "
                      "(`target/scorecard/release/bin/p`)", md)

    def test_render_only_command(self):
        tmp = tempfile.mkdtemp()
        try:
            src = os.path.join(tmp, "in.json")
            d = copy.deepcopy(self.data)
            d["startup"]["results"]["tls"]["median_ms"] = 1.0
            with open(src, "w") as f:
                json.dump(d, f)
            out = os.path.join(tmp, "BENCHMARKS.md")
            subprocess.run([sys.executable, os.path.join(HERE, "scorecard.py"), "--render-only", "--json", src,
                            "--out", out], check=True, stderr=subprocess.DEVNULL)
            with open(out) as f:
                md = f.read()
            line = next(l for l in md.splitlines() if "| exec → handshake line, AutoMTLS on |" in l)
            self.assertTrue(line.endswith("| met |"), line)
        finally:
            shutil.rmtree(tmp)

    def test_no_fixed_string_stands_in_for_a_verdict(self):
        for r in self.rows(self.data):
            self.assertIn(r["verdict"], (True, False, None), r)
            if r["verdict"] is None:
                self.assertIn(r["target"], ("–",), r)


if __name__ == "__main__":
    unittest.main()

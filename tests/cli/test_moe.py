#!/usr/bin/env python3
"""End-to-end tests of the mixture of experts (issue 16 item 5): the shipped MoE scenarios run,
their closed form agrees with the simulation, a bad expert layout is a located error, and a typo
in a MoE field gets a suggestion.

Run as:  python3 tests/cli/test_moe.py <path-to-mlsim-binary> <source-root>
Golden numbers are hand counts written in the comments (tests/unit/test_moe.c has the rest).
"""
import json
import os
import subprocess
import tempfile
import unittest

import clitest

MLSIM, SRC = clitest.paths("test_moe.py")
TIMEOUT_S = 60


def run(text, *args):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(text)
        path = f.name
    try:
        p = subprocess.run([MLSIM, *args, path], cwd=SRC, env=clitest.clean_env(),
                           capture_output=True, timeout=TIMEOUT_S)
    finally:
        os.unlink(path)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def scenario_json(name):
    p = subprocess.run([MLSIM, "--format", "json", os.path.join("scenarios", name)], cwd=SRC,
                       env=clitest.clean_env(), capture_output=True, timeout=TIMEOUT_S)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


# Mixtral 8x7B's shape (Jiang et al. 2024): 46,702,792,704 parameters, 12,879,925,248 active.
MIXTRAL = (
    "name: mixtral\nmode: analytic\n"
    "model: {layers: 32, hidden: 4096, heads: 32, kv_heads: 8, ffn: 14336, gated_mlp: true, "
    "seq_len: 4096, vocab: 32000, biases: false, tied_embeddings: false, position: rotary, "
    "experts: 8, top_k: 2, tokens: 1T}\n"
    "hardware: {device: h100-sxm5-80gb, count: 64}\nprecision: bf16\nmfu: 0.4\n")


class Counts(unittest.TestCase):
    def test_analytic_counts_active_parameters(self):
        rc, out, err = run(MIXTRAL, "--format", "json")
        self.assertEqual(rc, 0, err)
        runs = json.loads(out)["runs"]
        # 6 x 12,879,925,248 x 1e12 = 7.7280e22 FLOPs (the total count would give 2.80e23)
        self.assertAlmostEqual(runs[0]["flops"] / 7.72795514880e22, 1.0, places=9)
        self.assertAlmostEqual(runs[0]["params"], 46702792704.0, places=0)

    def test_layout_line_says_expert_parallelism(self):
        # simulated on 8 DGX H100 nodes with ep 8 (each GPU of a node one expert of a layer)
        sim = MIXTRAL.replace("mode: analytic", "mode: simulate").replace(
            "hardware: {device: h100-sxm5-80gb, count: 64}",
            "hardware: {system: dgx-h100-ndr, count: 64}").replace("mfu: 0.4\n", "") + (
            "training: {micro_batch: 1, global_batch: 512, pp: 4, ep: 8, sharding: zero1, "
            "attention: flash, recompute: selective}\neconomics: {price_per_device_hour: $2/h}\n")
        rc, out, err = run(sim)
        self.assertEqual(rc, 0, err)
        # 64 devices = tensor 1 x pipeline 4 x data 16, the experts over 8 of the 16
        self.assertIn("tensor 1 x pipeline 4 x data 16 (experts over 8 of the data ranks)", out)

    def test_assumption_says_active(self):
        rc, out, err = run(MIXTRAL)
        self.assertEqual(rc, 0, err)
        self.assertIn("12.88B of the parameters are active per token", out)

    def test_typo_is_suggested(self):
        rc, out, err = run(MIXTRAL.replace("top_k: 2", "topk: 2"))
        self.assertEqual(rc, 1)
        self.assertIn("did you mean 'top_k'", err)
        self.assertEqual(out, "")


class Layout(unittest.TestCase):
    def test_ep_must_divide_experts(self):
        text = MIXTRAL.replace("mode: analytic", "mode: simulate").replace("mfu: 0.4\n", "")
        text += "training: {micro_batch: 1, global_batch: 512, pp: 4, ep: 3}\n"
        rc, out, err = run(text)
        self.assertEqual(rc, 1)
        self.assertRegex(err, r":\d+:\d+: error: training.ep 3 must divide the 8 routed experts")
        self.assertEqual(out, "")

    def test_top_k_past_the_experts(self):
        rc, out, err = run(MIXTRAL.replace("top_k: 2", "top_k: 9"))
        self.assertEqual(rc, 1)
        self.assertRegex(err, r":\d+:\d+: error: model.top_k 9 must be at most the 8 routed")
        self.assertEqual(out, "")

    def test_no_experts_is_dense(self):
        rc, out, err = run(MIXTRAL.replace("experts: 8", "experts: 0"), "--format", "json")
        self.assertEqual(rc, 0, err)
        r = json.loads(out)["runs"][0]
        self.assertEqual(r["active_params"], r["params"])

    def test_search_holds_for_experts(self):
        # a small MoE (4 layers, 8 experts, top-2, one shared, the first layer dense) on two
        # nodes: every layout simulated, the closed form's top 8 holds the simulation's best
        text = (
            "name: small moe\nmode: simulate\n"
            "model: {layers: 4, hidden: 1024, heads: 8, ffn: 2048, gated_mlp: true, "
            "seq_len: 1024, vocab: 32000, biases: false, tied_embeddings: false, "
            "position: rotary, experts: 8, top_k: 2, shared_experts: 1, expert_ffn: 1024, "
            "dense_layers: 1, tokens: 10B}\n"
            "hardware: {system: dgx-h100-ndr, count: 16}\nprecision: bf16\n"
            "training: {micro_batch: 1, global_batch: 32, attention: flash}\n")
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(text)
            path = f.name
        try:
            p = subprocess.run([MLSIM, "search", "--check", "--format", "json", path], cwd=SRC,
                               env=clitest.clean_env(), capture_output=True, timeout=TIMEOUT_S)
            tab = subprocess.run([MLSIM, "search", path], cwd=SRC, env=clitest.clean_env(),
                                 capture_output=True, timeout=TIMEOUT_S)
        finally:
            os.unlink(path)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        doc = json.loads(p.stdout.decode())
        self.assertTrue(doc["check_holds"])
        # every row says its expert layout; ep x etp divides tp x dp (layout.c's rule)
        for row in doc["layouts"]:
            self.assertEqual(row["tp"] * row["dp"] % (row["ep"] * row["etp"]), 0)
            self.assertEqual(row["tp"] % row["etp"], 0)
        # ep 1, 2, 4 and 8 of dp 16 are all enumerated: more layouts than the dense model has
        self.assertGreater(doc["considered"], 2000)
        self.assertIn("of which b-way expert parallelism", tab.stdout.decode())

    def test_etp_must_divide_tp(self):
        text = MIXTRAL.replace("mode: analytic", "mode: simulate").replace("mfu: 0.4\n", "")
        text += "training: {micro_batch: 1, global_batch: 512, tp: 2, pp: 4, ep: 8, etp: 3}\n"
        rc, out, err = run(text)
        self.assertEqual(rc, 1)
        self.assertIn("etp dividing tp", err)
        self.assertEqual(out, "")

    def test_load_imbalance_below_one_is_refused(self):
        rc, out, err = run(MIXTRAL.replace("top_k: 2", "top_k: 2, load_imbalance: 0.5"))
        self.assertEqual(rc, 1)
        self.assertIn("error", err)


class Scenarios(unittest.TestCase):
    def check_closed_form(self, name):
        rc, out, err = scenario_json(name)
        self.assertEqual(rc, 0, err)
        for r in json.loads(out)["runs"]:
            # the closed form composes the same kernels (closed.c): within its 8.5% bound
            rel = abs(r["closed_form_step_s"] - r["step_time_s"]) / r["step_time_s"]
            self.assertLess(rel, 0.085, r["name"])
        return json.loads(out)["runs"]

    def test_mixtral(self):
        runs = self.check_closed_form("mixtral_8x7b_moe.yaml")
        by = {r["name"]: r for r in runs}
        # a busiest expert at 1.5 x the mean is slower, and MFU (the mean's work) lower
        self.assertGreater(by["Mixtral ep 8 imbalance 1.5"]["step_time_s"],
                           by["Mixtral ep 8"]["step_time_s"])
        # a capacity factor of 1.25 cuts the busiest expert's 1.5 x the mean to 1.25 x
        self.assertLess(by["Mixtral ep 8 imb 1.5 cap 1.25"]["step_time_s"],
                        by["Mixtral ep 8 imbalance 1.5"]["step_time_s"])

    def test_deepseek(self):
        runs = self.check_closed_form("deepseek_v3_moe.yaml")
        self.assertAlmostEqual(runs[0]["params"], 671026404352.0, places=0)
        self.assertEqual(runs[0]["ref_metric"], "step_time_s")


class Published(unittest.TestCase):
    def test_deepseek_checks_run(self):
        # predicted against DeepSeek's GPU-hours per trillion tokens, nothing tuned: both rows
        # carry the reference and an error; no bar is held (V2 read +4.4%, V3 +61% when added)
        p = subprocess.run([MLSIM, "--format", "json", "validate/published/deepseek_moe.yaml"],
                           cwd=SRC, env=clitest.clean_env(), capture_output=True,
                           timeout=TIMEOUT_S)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        runs = json.loads(p.stdout.decode())["runs"]
        self.assertEqual([r["ref_measured"] for r in runs], [22.93, 19.9])
        for r in runs:
            self.assertIn("ref_error_pct", r)


if __name__ == "__main__":
    unittest.main(argv=[__file__])

#!/usr/bin/env python3
"""End-to-end tests of the run layer: the model's count as the report prints it, analytic and
simulated runs agreeing on it, and the layout's groups.

Run as:  python3 tests/cli/test_runlayer.py <path-to-mlsim-binary> <source-root>
Golden numbers are hand counts from the models' published configs, written in the comments.
"""
import json
import os
import re
import subprocess
import tempfile
import unittest

import clitest

MLSIM, SRC = clitest.paths("test_runlayer.py")
TIMEOUT_S = 30

# Llama 2 70B's released config: 68,976,648,192 parameters by hand (tests/unit/test_model.c).
LLAMA2_70B = ("model: {layers: 80, hidden: 8192, heads: 64, kv_heads: 8, ffn: 28672, "
              "gated_mlp: true, seq_len: 4096, vocab: 32000, biases: false, "
              "tied_embeddings: false, position: rotary, tokens: 2T}\n")


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


class ModelCount(unittest.TestCase):
    def test_llama2_70b_analytic_count(self):
        rc, out, err = run("name: llama\n" + LLAMA2_70B +
                           "hardware: {device: a100-sxm4-80gb, count: 2048}\n"
                           "precision: bf16\nmfu: 40%\n", "--format", "json")
        self.assertEqual(rc, 0, err)
        params = json.loads(out)["runs"][0]["params"]
        self.assertEqual(params, 68976648192)
        # 6 N D (Kaplan et al. 2020): 6 x 68,976,648,192 x 2e12
        self.assertAlmostEqual(json.loads(out)["runs"][0]["flops"] / (6 * 68976648192 * 2e12),
                               1.0, places=12)

    def test_simulated_count_agrees(self):
        rc, out, err = run("name: llama\nmode: simulate\n" + LLAMA2_70B +
                           "hardware: {device: h100-sxm5-80gb, system: dgx-h100-ndr, count: 1024}\n"
                           "precision: bf16\n"
                           "training: {micro_batch: 1, global_batch: 1024, tp: 8, pp: 8,"
                           " recompute: selective, sequence_parallel: true, attention: flash}\n",
                           "--format", "json")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["runs"][0]["params"], 68976648192)


NOFIT = ("name: nofit\nmode: simulate\n"
         "model: {layers: 96, hidden: 12288, heads: 96, seq_len: 2048, vocab: 51200, "
         "tokens: 300B}\nhardware: {system: dgx-a100-80gb-hdr, count: 1024}\nprecision: bf16\n"
         "training: {tp: 8, pp: 8, micro_batch: 4, global_batch: 1536, recompute: none,"
         " attention: plain}\n")


class NoFitHint(unittest.TestCase):
    def test_pipeline_hint_is_what_the_alternative_needs(self):
        # A pipeline's fullest stage holds 1/8 of the model: the hint must count the stage (it
        # used to count the whole model, suggesting 343.5 GiB for a run that needs 248.7 GiB).
        rc, out, err = run(NOFIT)
        self.assertEqual(rc, 1)
        m = re.search(r"needs ([0-9.]+) GiB per device.*recompute: full needs ([0-9.]+) GiB", err)
        self.assertIsNotNone(m, err)
        need, full = float(m.group(1)), float(m.group(2))
        self.assertLess(full, need)
        rc, out, err = run(NOFIT.replace("recompute: none", "recompute: full"), "--format",
                           "json")
        self.assertEqual(rc, 0, err)
        mem = json.loads(out)["runs"][0]["mem_per_device_bytes"] / 2**30
        self.assertAlmostEqual(mem, full, delta=0.05)


def scenario(name, *args):
    p = subprocess.run([MLSIM, *args, os.path.join("scenarios", name)], cwd=SRC,
                       env=clitest.clean_env(), capture_output=True, timeout=TIMEOUT_S)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


class AssumptionsSaidWhereMade(unittest.TestCase):
    def test_rmsprop_in_fp32_holds_12_bytes(self):
        # fp32 weights (4) + gradients (4) + RMSprop's one fp32 state (4) = 12 bytes per parameter;
        # every simulated run used to say 16.
        rc, out, err = scenario("mnist_mlp_cpu_vs_gpu.yaml")
        self.assertEqual(rc, 0, err)
        self.assertIn("12 bytes per parameter (fp32 weights and gradients, RMSprop", out)
        self.assertNotIn("16 bytes per parameter", out)

    def test_adam_in_mixed_precision_holds_16_bytes(self):
        # 2 + 2 + 4 (fp32 master) + 8 (two fp32 moments) = 16 (ZeRO paper, Sec. 3.1)
        rc, out, err = scenario("gpt3_a100_simulated.yaml")
        self.assertEqual(rc, 0, err)
        self.assertIn("16 bytes per parameter (2-byte weights and gradients, fp32 master", out)

    def test_cluster_does_not_claim_buckets(self):
        # overlap_comm: false: across nodes the gradients are reduced once, after the backward
        # pass; with overlap (the default) both paths reduce in buckets of Megatron-core's
        # default, max(40M, 1M x 8 ranks) = 40M parameters x 2 bytes = 80 MB
        rc, out, err = scenario("gpt3_a100_simulated.yaml")
        self.assertEqual(rc, 0, err)
        self.assertNotIn("buckets", out)
        self.assertIn("data-parallel gradients all-reduced after the backward pass", out)
        rc, out, err = scenario("gpt_1.3b_dgx_a100.yaml")
        self.assertEqual(rc, 0, err)
        self.assertIn("all-reduced in 80 MB buckets", out)


if __name__ == "__main__":
    raise SystemExit(clitest.main())

#!/usr/bin/env python3
"""End-to-end tests of the layouts of issue 16: FSDP on one node, uneven pipeline stages, KV
heads replicated across tensor ranks, and their located errors.

Run as:  python3 tests/cli/test_layouts.py <path-to-mlsim-binary> <source-root>
Golden numbers are hand counts written in the comments.
"""
import csv
import io
import os
import subprocess
import tempfile
import unittest

import clitest

MLSIM, SRC = clitest.paths("test_layouts.py")
TIMEOUT_S = 30

# MPT-7B as llm-foundry benchmarks it (validate/published/llmfoundry_mpt_fsdp.yaml): by hand
# 32 x (12 x 4096^2 + 13 x 4096) + 2 x 4096 + (50368 + 2048) x 4096 = 6,658,859,008 parameters.
MPT7B_FSDP = (
    "name: mpt7b\nmode: simulate\n"
    "model: {layers: 32, hidden: 4096, heads: 32, seq_len: 2048, vocab: 50368, "
    "position: learned, tokens: 300B}\n"
    "hardware: {device: a100-sxm4-80gb, count: 8}\nprecision: bf16\n"
    "training: {micro_batch: 6, global_batch: 96, sharding: zero3, attention: flash}\n")


def run(text, *args):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(text)
        path = f.name
    try:
        p = subprocess.run([MLSIM, *args, path], cwd=SRC, env=clitest.clean_env(),
                           capture_output=True, timeout=TIMEOUT_S)
    finally:
        os.unlink(path)
    return p.returncode, p.stdout.decode(), p.stderr.decode(), path


def scenario(name, *args):
    p = subprocess.run([MLSIM, *args, os.path.join("scenarios", name)], cwd=SRC,
                       env=clitest.clean_env(), capture_output=True, timeout=TIMEOUT_S)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


class FsdpOnOneNode(unittest.TestCase):
    def test_sharding_is_modelled_on_one_node(self):
        rc, out, err, _ = run(MPT7B_FSDP)
        self.assertEqual(rc, 0, err)
        # 16 bytes per parameter over 8 ranks: 2 bytes (ZeRO paper, Fig. 1, P_os+g+p)
        self.assertIn("ZeRO-3 over 8 data-parallel ranks: 2 bytes", out)
        self.assertIn("ZeRO-3 as PyTorch FSDP", out)
        # the largest unit, layer 0 with the embedding: 201,379,840 + 52,416 x 4096 =
        # 416,075,776 parameters; two gathered and one gradient at 2 bytes: 2.497 GB
        self.assertIn("plus 2.496 GB of layers gathered whole", out)

    def test_unsharded_does_not_fit(self):
        # without sharding the states alone are 16 x 6.66B = 106.5 GB on an 80 GB device
        rc, out, err, _ = run(MPT7B_FSDP.replace("sharding: zero3", "sharding: none"))
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertIn("per device, a100-sxm4-80gb has", err)


class UnevenStages(unittest.TestCase):
    def test_llama3_405b_runs(self):
        rc, out, err = scenario("llama3_405b_uneven_stages.yaml")
        self.assertEqual(rc, 0, err)
        self.assertIn("tensor 8 x pipeline 16 x data 128", out)

    def test_stages_that_do_not_split(self):
        # first 8 and last 7 leave 111 layers for 14 stages
        rc, out, err = scenario("llama3_405b_uneven_stages.yaml", "--set",
                                "training.first_stage_layers=8")
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertIn("llama3_405b_uneven_stages.yaml:", err)
        self.assertIn("need the other 111 layers to split evenly among the stages between", err)

    def test_even_split_refused_without_them(self):
        with open(os.path.join(SRC, "scenarios", "llama3_405b_uneven_stages.yaml")) as f:
            text = f.read().replace("first_stage_layers: 7, last_stage_layers: 7, ", "")
        rc, out, err, _ = run(text)
        self.assertEqual(rc, 1)
        self.assertIn("the 126 layers must split evenly into pp x interleave = 16", err)


class ReplicatedKvHeads(unittest.TestCase):
    # multi-query attention (one KV head) on 8 tensor ranks: Megatron-LM replicates the head
    MQA = ("name: mqa\nmode: simulate\n"
           "model: {layers: 8, hidden: 4096, heads: 32, kv_heads: KV, seq_len: 2048, "
           "vocab: 32000, tokens: 1B}\n"
           "hardware: {device: a100-sxm4-80gb, count: 8}\nprecision: bf16\n"
           "training: {tp: 8, micro_batch: 1, global_batch: 1}\n")

    def test_fewer_kv_heads_than_ranks(self):
        rc, out, err, _ = run(self.MQA.replace("KV", "1"))
        self.assertEqual(rc, 0, err)
        # 8 x (4096 x (4096 + 2 x 128) + 4096^2 + 2 x 4096 x 16384 + biases and norms) + ...:
        # the count is the model's, whatever the tensor split
        self.assertIn("1 of 32 heads for keys and values", out)

    def test_kv_heads_neither_dividing_nor_multiple(self):
        rc, out, err, _ = run(self.MQA.replace("KV", "16").replace("heads: 32,", "heads: 48,")
                              .replace("hidden: 4096", "hidden: 6144")
                              .replace("tp: 8", "tp: 6").replace("count: 8", "count: 6"))
        self.assertEqual(rc, 1)
        self.assertIn("tp 6 must divide the 48 attention heads, and divide or be a multiple of "
                      "the 16 KV heads", err)


GPT3_TP = (
    "name: gpt3\nmode: simulate\nmodel: gpt3-175b\nprecision: bf16\n"
    "hardware: {system: dgx-a100-80gb-hdr, count: 1024}\n"
    "training: {tp: 8, pp: 16, micro_batch: 1, global_batch: 1536, recompute: selective, "
    "sequence_parallel: SP, overlap_tp: OV}\n"
    "economics: {price_per_device_hour: $1/h}\n")


def csv_row(text):
    rc, out, err, _ = run(text, "--format", "csv")
    if rc != 0:
        raise AssertionError(err)
    keys, vals = out.splitlines()[:2]
    return dict(zip(keys.split(","), vals.split(",")))


class OverlappedTensorParallelism(unittest.TestCase):
    """training.overlap_tp (layout.h, the rule tested by hand in tests/unit/test_tpoverlap.c):
    sequence parallelism's collectives under their GEMMs, in the simulation and the closed form."""

    def test_overlap_shortens_the_step_in_both_models(self):
        off = csv_row(GPT3_TP.replace("SP", "true").replace("OV", "false"))
        on = csv_row(GPT3_TP.replace("SP", "true").replace("OV", "true"))
        sim_off, sim_on = float(off["step_time_s"]), float(on["step_time_s"])
        cf_off, cf_on = float(off["closed_form_step_s"]), float(on["closed_form_step_s"])
        self.assertLess(sim_on, sim_off)
        self.assertLess(cf_on, cf_off)
        # the time saved is at most the tensor-parallel communication there was to hide
        self.assertLessEqual(sim_off - sim_on, float(off["tp_comm_s"]))
        # the closed form saves what the simulation saves, within a tenth
        self.assertAlmostEqual((cf_off - cf_on) / (sim_off - sim_on), 1.0, delta=0.1)

    def test_without_sequence_parallelism_nothing_changes(self):
        text = GPT3_TP.replace("SP", "false")
        off, on = csv_row(text.replace("OV", "false")), csv_row(text.replace("OV", "true"))
        self.assertEqual(off["step_time_s"], on["step_time_s"])
        rc, out, err, _ = run(text.replace("OV", "true"))
        self.assertEqual(rc, 0, err)
        self.assertIn("without sequence parallelism it has nothing to overlap", out)

    def test_bad_value_is_located(self):
        rc, out, err, path = run(GPT3_TP.replace("SP", "true").replace("OV", "ture"))
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertRegex(err, r":6:\d+: error: unknown value .ture. for .training.overlap_tp.")
        self.assertIn("true", err)


ATTENTION = (
    "name: att\nmode: simulate\nprecision: bf16\n"
    "model: {layers: 2, hidden: 1024, heads: 8, seq_len: 2048, vocab: 1024, tokens: 1B}\n"
    "hardware: {device: DEV, count: 1}\n"
    "training: {micro_batch: 1, global_batch: 1, attention: ATT}\n"
    "economics: {price_per_device_hour: $1/h}\n")


class CudnnAttention(unittest.TestCase):
    """training.attention: cudnn, cuDNN's fused flash attention at the device's
    calibration.cudnn_efficiency (the H100's 0.504) where FlashAttention-2 runs at its 0.35."""

    def step(self, device, attention):
        return float(csv_row(ATTENTION.replace("DEV", device).replace("ATT", attention))[
            "step_time_s"])

    def test_h100_step_by_hand(self):
        # Fused attention, forward and backward (with its recomputed scores), is 4 + 10 units of
        # b x s x s x h FLOPs a layer (Dao et al. 2022): 14 x 2048^2 x 1024 x 2 layers = 1.2026e11
        # FLOP at 989.4 TFLOP/s, compute-bound at this size, so cuDNN saves
        # 1.2026e11 / 989.4e12 x (1 / 0.35 - 1 / 0.504) = 106.11 us of the step.
        saved = self.step("h100-sxm5-80gb", "flash") - self.step("h100-sxm5-80gb", "cudnn")
        self.assertAlmostEqual(saved, 106.11e-6, delta=0.1e-6)

    def test_a100_without_a_figure_runs_flash(self):
        self.assertEqual(self.step("a100-sxm4-80gb", "flash"), self.step("a100-sxm4-80gb", "cudnn"))
        rc, out, err, _ = run(ATTENTION.replace("DEV", "a100-sxm4-80gb").replace("ATT", "cudnn"))
        self.assertEqual(rc, 0, err)
        self.assertIn("Attention as cuDNN's fused flash attention at 0.696", out)

    def test_unknown_backend_suggests(self):
        rc, out, err, _ = run(ATTENTION.replace("DEV", "h100-sxm5-80gb").replace("ATT", "cudn"))
        self.assertEqual(rc, 1)
        self.assertIn("did you mean 'cudnn'", err)


class EmbeddingInSplit(unittest.TestCase):
    """training.embedding_in_split (layout.h; the split by hand in tests/unit/test_layout.c)."""

    def test_llama3_scenario_runs_and_the_closed_form_agrees(self):
        rc, out, err = scenario("llama3_405b_embedding_split.yaml", "--format", "csv")
        self.assertEqual(rc, 0, err)
        row = next(csv.DictReader(io.StringIO(out)))
        self.assertEqual((row["tp"], row["pp"], row["interleave"]), ("8", "16", "4"))
        sim, cf = float(row["step_time_s"]), float(row["closed_form_step_s"])
        self.assertLess(abs(cf / sim - 1), 0.05)

    def test_refusals_are_located(self):
        with open(os.path.join(SRC, "scenarios", "llama3_405b_embedding_split.yaml")) as f:
            text = f.read()
        for bad in (text.replace("interleave: 4", "interleave: 8"),  # 128 chunks of 1 place
                    text.replace("embedding_in_split: true,",
                                 "embedding_in_split: true, first_stage_layers: 7,")):
            rc, out, err, _ = run(bad)
            self.assertEqual(rc, 1)
            self.assertEqual(out, "")
            self.assertIn("with the embedding and the loss counted as layers", err)
            self.assertRegex(err, r":\d+:\d+: error: ")


if __name__ == "__main__":
    raise SystemExit(clitest.main())

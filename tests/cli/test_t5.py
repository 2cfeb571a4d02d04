#!/usr/bin/env python3
"""End-to-end tests of encoder-decoder models (issue 16 item 6: T5) and of model.head_dim: the
shipped T5-11B scenario runs with its hand-counted parameters and FLOPs, the closed form agrees
with the simulation over a search's layouts, and bad new fields are located errors with nothing
on standard output.

Run as:  python3 tests/cli/test_t5.py <path-to-mlsim-binary> <source-root>
Golden numbers are hand counts written in the comments (tests/unit/test_t5.c has the rest).
"""
import csv
import io
import json
import os
import subprocess
import tempfile
import unittest

import clitest

MLSIM, SRC = clitest.paths("test_t5.py")
TIMEOUT_S = 60


def mlsim(*args):
    p = subprocess.run([MLSIM, *args], cwd=SRC, env=clitest.clean_env(), capture_output=True,
                       timeout=TIMEOUT_S)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def run_text(text, *args):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(text)
        path = f.name
    try:
        return mlsim(*args, path)
    finally:
        os.unlink(path)


# A small encoder-decoder (2 + 2 layers) whose model line each case edits.
SMALL = ("name: small\nmode: simulate\n"
         "model: {layers: 4, encoder_layers: 2, hidden: 256, heads: 4, seq_len: 128, "
         "decoder_seq_len: 32, vocab: 1000, biases: false, position: relative, tokens: 1B}\n"
         "hardware: {device: a100-sxm4-80gb, count: 1}\n"
         "economics: {price_per_device_hour: $2/h}\n"
         "training: {micro_batch: 1, global_batch: 8}\n")


class Scenario(unittest.TestCase):
    def test_t5_11b_counts(self):
        rc, out, err = mlsim("--format", "json", "scenarios/t5_11b.yaml")
        self.assertEqual(rc, 0, err)
        runs = json.loads(out)["runs"]
        self.assertEqual(len(runs), 2)
        first = runs[0]
        # 24 x 201,328,640 + 24 x 268,438,528 + 32,899,072 + 8,192 + 2,048 (test_t5.c)
        self.assertEqual(first["params"], 11307321344)
        # 1.048576e12 input tokens / (2048 x 512) = 1,000,000 steps (Sec. 3.7's 1M)
        self.assertEqual(first["steps"], 1000000)
        # 2,048,000,000 sequences x 22,769,306,173,440 FLOPs each (test_t5.c, by hand)
        self.assertAlmostEqual(first["flops"] / (2.048e9 * 22769306173440.0), 1.0, places=12)
        self.assertTrue(first["fits"])
        # the baseline budget: 2^35 tokens in batches of 128 x 512 = 2^19 steps
        self.assertEqual(runs[1]["steps"], 524288)

    def test_assumptions_say_which_tokens(self):
        rc, out, err = mlsim("scenarios/t5_11b.yaml")
        self.assertEqual(rc, 0, err)
        self.assertIn("24 encoder layers over 512 input tokens, 24 decoder layers over 114 "
                      "targets", out)
        self.assertIn("the run's tokens are its inputs", out)
        self.assertIn("Attention heads of 128 (model.head_dim)", out)

    def test_zoo_entries(self):
        rc, out, err = mlsim("models")
        self.assertEqual(rc, 0, err)
        # Flan-T5-XXL by hand: 4,630,708,224 + 6,241,419,264 + 263,192,576 + 4,096 + 8,192
        rc, out, err = mlsim("models", "flan-t5-xxl")
        self.assertEqual(rc, 0, err)
        self.assertIn("(11135332352)", out)
        rc, out, err = mlsim("models", "t5-3b")
        self.assertIn("(2851598336)", out)


class ClosedForm(unittest.TestCase):
    def test_search_agrees_with_the_simulation(self):
        # T5-3B on one DGX A100 node: every layout simulated beside its closed form. Bounds of
        # this session's measurement (1F1B 7.2%, interleaved 10.8%) with a little room.
        text = ("name: t5-3b\nmode: simulate\nmodel: t5-3b\n"
                "hardware: {device: a100-sxm4-80gb, count: 8}\nprecision: bf16\n"
                "economics: {price_per_device_hour: $2/h}\n"
                "training: {micro_batch: 1, global_batch: 64}\n")
        rc, out, err = run_text(text, "search", "--check", "--format", "csv", "--top", "5000")
        self.assertEqual(rc, 0, err)
        rows = list(csv.DictReader(io.StringIO(out)))
        self.assertGreater(len(rows), 1000)
        worst = {"1f1b": 0.0, "interleaved": 0.0}
        for r in rows:
            e = abs(float(r["closed_form_step_s"]) / float(r["simulated_step_s"]) - 1.0)
            worst[r["schedule"]] = max(worst[r["schedule"]], e)
        self.assertLess(worst["1f1b"], 0.08, worst)
        self.assertLess(worst["interleaved"], 0.12, worst)


class Errors(unittest.TestCase):
    def bad(self, text, *needles):
        rc, out, err = run_text(text)
        self.assertEqual(rc, 1, err)
        self.assertEqual(out, "")
        for n in needles:
            self.assertIn(n, err)
        return err

    def test_small_runs(self):
        rc, out, err = run_text(SMALL)
        self.assertEqual(rc, 0, err)

    def test_decoder_seq_len_without_an_encoder(self):
        text = SMALL.replace("encoder_layers: 2, ", "")
        err = self.bad(text, "error: model.decoder_seq_len is an encoder-decoder's target length")
        # placed at the value, as every field error is
        col = text.splitlines()[2].index("decoder_seq_len: ") + len("decoder_seq_len: ") + 1
        self.assertIn(":3:%d: error" % col, err)

    def test_encoder_takes_every_layer(self):
        text = SMALL.replace("encoder_layers: 2", "encoder_layers: 4")
        col = text.splitlines()[2].index("encoder_layers: ") + len("encoder_layers: ") + 1
        self.bad(text, ":3:%d: error: model.encoder_layers 4 must be fewer than" % col)

    def test_typo_gets_a_suggestion(self):
        self.bad(SMALL.replace("encoder_layers:", "encoder_layer:"),
                 "did you mean 'encoder_layers'?")
        self.bad(SMALL.replace("decoder_seq_len:", "decoder_seqlen:"),
                 "did you mean 'decoder_seq_len'?")

    def test_unmodelled_companions(self):
        self.bad(SMALL.replace("tokens: 1B", "tokens: 1B, experts: 4"),
                 "an encoder-decoder model with a mixture of experts")
        self.bad(SMALL.replace("micro_batch: 1,", "micro_batch: 1, cp: 2,"),
                 "an encoder-decoder model with context parallelism")

    def test_head_dim_range(self):
        self.bad(SMALL.replace("heads: 4,", "heads: 4, head_dim: 0,"),
                 "'model.head_dim' must be > 0")

    def test_set_reaches_the_new_fields(self):
        rc, out, err = run_text(SMALL, "--format", "json", "--set", "model.decoder_seq_len=64")
        self.assertEqual(rc, 0, err)
        # doubling the targets adds decoder work: more FLOPs than the 32-target run
        rc2, out2, err2 = run_text(SMALL, "--format", "json")
        self.assertEqual(rc2, 0, err2)
        self.assertGreater(json.loads(out)["runs"][0]["flops"],
                           json.loads(out2)["runs"][0]["flops"])


if __name__ == "__main__":
    unittest.main(argv=[__file__])

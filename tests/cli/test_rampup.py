#!/usr/bin/env python3
"""The batch-size ramp-up (training.batch_rampup) end to end: the whole run's steps and time,
the sentence that says so, and its located errors.

Run as:  python3 tests/cli/test_rampup.py <path-to-mlsim-binary> <source-root>
"""
import os
import subprocess
import tempfile
import unittest

import clitest

MLSIM, SRC = clitest.paths("test_rampup.py")
TIMEOUT_S = 60

# A 24-layer GPT on 16 A100s in two DGX nodes: tp 2 leaves 8 replicas; batch 64 of 2048 tokens.
GPT = ("name: ramp\nmode: simulate\n"
       "model: {layers: 24, hidden: 2048, heads: 16, seq_len: 2048, vocab: 51200, tokens: 1B}\n"
       "hardware: {system: dgx-a100-80gb-hdr, count: 16}\nprecision: bf16\n"
       "training: {tp: 2, micro_batch: 1, global_batch: 64, attention: flash,\n"
       "           batch_rampup: RAMP}\n")


def run(ramp, *args):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(GPT.replace("RAMP", ramp))
        path = f.name
    try:
        p = subprocess.run([MLSIM, "--format", "csv", *args, path], cwd=SRC,
                           env=clitest.clean_env(), capture_output=True, timeout=TIMEOUT_S)
        t = subprocess.run([MLSIM, *args, path], cwd=SRC, env=clitest.clean_env(),
                           capture_output=True, timeout=TIMEOUT_S)
    finally:
        os.unlink(path)
    return p.returncode, p.stdout.decode(), t.stdout.decode(), p.stderr.decode(), path


def column(csv, name):
    head, row = csv.strip().splitlines()[:2]
    return float(row.split(",")[head.split(",").index(name)])


class Rampup(unittest.TestCase):
    def test_steps_and_time_by_hand(self):
        # 8 to 64 by 8 over the first 112M tokens: 7 sizes of 16M tokens each (7812.5 sequences),
        # 976.56, 488.28, 325.52, 244.14, 195.31, 162.76 and 139.51 steps; then 888M tokens at
        # 32,768 per step, 27,099.6 steps: 29,431.7 in all, against 1e9 / 131,072 = 7,629.4
        rc, csv, table, err, _ = run("{start: 8, increment: 8, tokens: 112M}")
        self.assertEqual(rc, 0, err)
        inner = 7812.5 * sum(1.0 / b for b in range(8, 64, 8))
        steps = inner + 888e6 / (64 * 2048)
        self.assertAlmostEqual(column(csv, "steps") / steps, 1.0, places=9)
        # each size's step is the full step less the compute of the sequences left out
        step, compute = column(csv, "step_time_s"), column(csv, "compute_s")
        time = sum(7812.5 / b * (step - compute * (1 - b / 64)) for b in range(8, 64, 8))
        time += 888e6 / (64 * 2048) * step
        self.assertAlmostEqual(column(csv, "time_s") / time, 1.0, places=9)
        self.assertIn("from 8 sequences by 8 to 64 over the first 112M tokens, 7 sizes", table)

    def test_errors_are_located(self):
        cases = [("{start: 64, increment: 8, tokens: 1B}", "must be below training.global_batch"),
                 ("{start: 8, increment: 24, tokens: 1B}", "whole number of increments of 24"),
                 ("{start: 4, increment: 4, tokens: 1B}",
                  "multiple of micro_batch x data-parallel size (1 x 8)"),
                 ("{start: 8, increment: 8}", "missing required key 'training.batch_rampup.tokens'"),
                 ("{start: 8, incremnt: 8, tokens: 1B}", "did you mean 'increment'")]
        for ramp, text in cases:
            rc, csv, table, err, path = run(ramp)
            self.assertEqual(rc, 1, ramp)
            self.assertEqual(csv, "")
            self.assertIn(text, err, ramp)
            self.assertIn(os.path.basename(path) + ":", err)

    def test_limit(self):
        rc, csv, table, err, _ = run("{start: 8, increment: 8, tokens: 1B}", "--set",
                                     "training.global_batch=800016")
        self.assertEqual(rc, 1)
        self.assertIn("at most 100000 batch sizes", err)

    def test_the_scenario(self):
        p = subprocess.run([MLSIM, "scenarios/gpt3_batch_rampup.yaml"], cwd=SRC,
                           env=clitest.clean_env(), capture_output=True, timeout=TIMEOUT_S)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertIn("from 16 sequences by 16 to 1536 over the first 12B tokens, 95 sizes",
                      p.stdout.decode())


if __name__ == "__main__":
    unittest.main(argv=[__file__])

#!/usr/bin/env python3
"""Uneven pipeline stages with the interleaved schedule, end to end (Megatron-LM's rule: each
stage's layers split into its chunks).

Run as:  python3 tests/cli/test_stages.py <path-to-mlsim-binary> <source-root>
"""
import re
import subprocess
import unittest

import clitest

MLSIM, SRC = clitest.paths("test_stages.py")
TIMEOUT_S = 120


def mlsim(*args):
    p = subprocess.run([MLSIM, *args], cwd=SRC, env=clitest.clean_env(), capture_output=True,
                       timeout=TIMEOUT_S)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def bubble(out):
    m = re.search(r"pipeline bubble ([0-9.]+) s", out)
    return float(m.group(1))


class InterleavedUneven(unittest.TestCase):
    def test_interleaving_shrinks_the_bubble(self):
        rc, inter, err = mlsim("scenarios/llama3_405b_interleaved_uneven.yaml")
        self.assertEqual(rc, 0, err)
        rc, flat, err = mlsim("scenarios/llama3_405b_uneven_stages.yaml")
        self.assertEqual(rc, 0, err)
        # (p - 1) / v micro-batch times: 15 against 7.5, each a little longer for the interleaved
        # chunks' extra sends; the bubble is well under two thirds of the flat one's
        self.assertLess(bubble(inter), bubble(flat) * 2 / 3)

    def test_stages_that_do_not_split_into_chunks(self):
        # Meta's 7, 8 x 14, 7 with 2 chunks: 7 layers do not split in 2
        rc, out, err = mlsim("--set", "training.schedule=interleaved", "--set",
                             "training.interleave=2", "scenarios/llama3_405b_uneven_stages.yaml")
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertIn("llama3_405b_uneven_stages.yaml:", err)
        self.assertIn("each stage's layers to split into its 2 interleaved chunks", err)


if __name__ == "__main__":
    unittest.main(argv=[__file__])

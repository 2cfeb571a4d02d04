#!/usr/bin/env python3
"""A system's max_nodes is checked: a run on more nodes than its system holds is a located error,
and every shipped scenario and published file runs on a system that holds it.

Run as:  python3 tests/cli/test_systems.py <path-to-mlsim-binary> <source-root>
"""
import glob
import os
import subprocess
import tempfile
import unittest

import clitest

MLSIM, SRC = clitest.paths("test_systems.py")
TIMEOUT_S = 120

# GPT-3 1.3B-like on DGX A100 nodes; tp 8 so every count below tiles (one replica a node)
RUN = ("name: nodes\nmode: simulate\n"
       "model: {layers: 24, hidden: 2048, heads: 16, seq_len: 2048, vocab: 51200, tokens: 1B}\n"
       "hardware: {system: SYSTEM, count: COUNT}\nprecision: bf16\n"
       "training: {tp: 8, micro_batch: 1, global_batch: GB}\n")


def run(system, count):
    text = RUN.replace("SYSTEM", system).replace("COUNT", str(count)).replace(
        "GB", str(count // 8))
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(text)
        path = f.name
    try:
        p = subprocess.run([MLSIM, path], cwd=SRC, env=clitest.clean_env(),
                           capture_output=True, timeout=TIMEOUT_S)
    finally:
        os.unlink(path)
    return p.returncode, p.stdout.decode(), p.stderr.decode(), path


class MaxNodes(unittest.TestCase):
    def test_one_superpod_at_its_edge(self):
        # dgx-a100-80gb-hdr holds 140 nodes of 8: 1120 devices run, 1128 (141 nodes) do not
        rc, out, err, _ = run("dgx-a100-80gb-hdr", 1120)
        self.assertEqual(rc, 0, err)
        rc, out, err, path = run("dgx-a100-80gb-hdr", 1128)
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        # placed at the count: line 4, column 45 of `hardware: {system: ..., count: 1128}`
        self.assertIn(os.path.basename(path) + ":4:", err)
        self.assertIn("1128 devices in nodes of 8 need 141 nodes, but system "
                      "'dgx-a100-80gb-hdr' holds at most 140", err)

    def test_selene_holds_megatrons_largest_run(self):
        # 3072 GPUs = 384 nodes (Narayanan et al. 2021, Table 1) of Selene's 560; 4488 = 561 not
        self.assertEqual(run("selene", 3072)[0], 0)
        rc, out, err, _ = run("selene", 4488)
        self.assertEqual(rc, 1)
        self.assertIn("need 561 nodes, but system 'selene' holds at most 560", err)

    def test_every_shipped_file_runs(self):
        files = sorted(glob.glob(os.path.join(SRC, "scenarios", "*.yaml")) +
                       glob.glob(os.path.join(SRC, "validate", "published", "*.yaml")))
        self.assertGreater(len(files), 10)
        for f in files:
            p = subprocess.run([MLSIM, "--format", "csv", f], cwd=SRC, env=clitest.clean_env(),
                               capture_output=True, timeout=TIMEOUT_S)
            self.assertNotIn("max_nodes", p.stderr.decode(), f)


if __name__ == "__main__":
    unittest.main(argv=[__file__])

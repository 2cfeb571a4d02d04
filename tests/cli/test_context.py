#!/usr/bin/env python3
"""End-to-end tests of context parallelism (training.cp, training.cp_algo) and its located errors.

Run as:  python3 tests/cli/test_context.py <path-to-mlsim-binary> <source-root>
Golden numbers are hand counts written in the comments.
"""
import os
import re
import subprocess
import tempfile
import unittest

import clitest

MLSIM, SRC = clitest.paths("test_context.py")
TIMEOUT_S = 60

# A 24-layer GPT of 2048 on one DGX A100 node, sequences of 32,768 over cp 4 (8,192 a rank).
GPT = (
    "name: longctx\nmode: simulate\n"
    "model: {layers: 24, hidden: 2048, heads: 16, seq_len: 32768, vocab: 51200, tokens: 10B}\n"
    "hardware: {system: dgx-a100-80gb-hdr, count: 8}\nprecision: bf16\n"
    "training: {tp: 2, cp: 4, micro_batch: 1, global_batch: 16, attention: flash,\n"
    "           recompute: selective}\n")


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


class ContextParallel(unittest.TestCase):
    def test_runs_and_says_so(self):
        rc, out, err, _ = run(GPT)
        self.assertEqual(rc, 0, err)
        # 32768 / 4 = 8192 tokens a rank; 8 / (2 x 4) = 1 replica, gradients over 1 x 4 ranks
        self.assertIn("Context parallelism 4: each rank holds 8192 of a sequence's 32768", out)
        self.assertIn("a ring of 3 K and V transfers", out)
        self.assertIn("in the node", out)
        self.assertIn("data x context = 4 ranks", out)
        self.assertIn("x context 4", out)  # the report's Layout line says it too

    def test_allgather_is_a_word(self):
        rc, out, err, _ = run(GPT.replace("cp: 4,", "cp: 4, cp_algo: allgather,"))
        self.assertEqual(rc, 0, err)
        self.assertIn("all-gathered before each attention", out)
        rc, out, err, _ = run(GPT.replace("cp: 4,", "cp: 4, cp_algo: allgathr,"))
        self.assertEqual(rc, 1)
        self.assertIn("did you mean 'allgather'", err)

    def test_plain_attention_is_refused_at_the_field(self):
        rc, out, err, path = run(GPT.replace("attention: flash", "attention: plain"))
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        # line 6 col 23: the value of training.cp
        self.assertIn(os.path.basename(path) + ":6:23: error", err)
        self.assertIn("set 'training.attention: flash'", err)

    def test_sequence_must_split_into_2cp_chunks(self):
        # 32768 is not a multiple of 2 x 3 = 6 (and 8 devices are not either: tp x cp x pp)
        rc, out, err, _ = run(GPT.replace("tp: 2, cp: 4", "tp: 1, cp: 3").replace(
            "count: 8", "count: 6"), "--set", "hardware.node_size=6")
        self.assertEqual(rc, 1)
        self.assertIn("2 x cp = 6 equal chunks", err)
        rc, out, err, _ = run(GPT.replace("tp: 2, cp: 4", "tp: 4, cp: 4"))
        self.assertEqual(rc, 1)
        self.assertIn("tp x cp x pp (4 x 4 x 1) must divide the 8 devices", err)

    def test_chosen_layout_is_the_one_described(self):
        # no tp or pp given on 8 nodes: the chooser picks tp 2 (6.65B parameters x 16 bytes =
        # 106 GB of states do not fit 80 GB at tp 1), so 64 / (2 x 8) = 4 replicas and 4 x 8 =
        # 32 gradient ranks; tp x cp = 16
        # spans two nodes of 8, so the ring crosses the network
        text = ("name: chooser\nmode: simulate\n"
                "model: {layers: 32, hidden: 4096, heads: 32, seq_len: 65536, vocab: 51200, "
                "tokens: 10B}\nhardware: {system: dgx-h100-ndr, count: 64}\nprecision: bf16\n"
                "training: {cp: 8, micro_batch: 1, global_batch: 64, attention: flash, "
                "recompute: full}\n")
        rc, out, err, _ = run(text)
        self.assertEqual(rc, 0, err)
        self.assertIn("tensor 2 x pipeline 1 x data 4", out)
        self.assertIn("across the network", out)
        self.assertIn("data x context = 32 ranks", out)

    def test_long_context_scenario(self):
        p = subprocess.run([MLSIM, "scenarios/llama3_405b_long_context.yaml"], cwd=SRC,
                           env=clitest.clean_env(), capture_output=True, timeout=TIMEOUT_S)
        out = p.stdout.decode()
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        # 131072 / 16 = 8192 tokens a rank; tp 8 x cp 16 = 128 ranks span 16 nodes of 8
        self.assertIn("each rank holds 8192 of a sequence's 131072 tokens", out)
        self.assertIn("across the network", out)
        self.assertIn("data x context = 128 ranks", out)

    def test_search_tries_context_parallelism(self):
        # 32,768 tokens on 8 devices: cp 2, 4 and 8 keep at least 4096 tokens a rank, so the
        # search enumerates more layouts than with plain attention, which has no cp
        def considered(*sets):
            with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
                f.write(GPT)
                path = f.name
            try:
                p = subprocess.run([MLSIM, "search", "--top", "1", *sets, path], cwd=SRC,
                                   env=clitest.clean_env(), capture_output=True,
                                   timeout=TIMEOUT_S)
            finally:
                os.unlink(path)
            self.assertEqual(p.returncode, 0, p.stderr.decode())
            m = re.search(r"([0-9,]+) layouts", p.stdout.decode())
            self.assertIsNotNone(m, p.stdout.decode())
            return int(m.group(1).replace(",", ""))
        self.assertGreater(considered(), considered("--set", "training.attention=plain",
                                                  "--set", "training.cp=1"))


if __name__ == "__main__":
    unittest.main(argv=[__file__])

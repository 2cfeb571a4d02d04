#!/usr/bin/env python3
"""End-to-end tests of a whole run with failures, checkpoints and restarts (a `reliability:`
block, `--samples N --seed S`).

Run as:  python3 tests/cli/test_reliability.py <path-to-mlsim-binary> <source-root>

Python 3 standard library only. Golden numbers are hand calculations written in the comments,
never mlsim's own output. The last line printed is "N passed, N failed".
"""
import os
import re
import subprocess
import tempfile
import unittest

import clitest

MLSIM, SRC = clitest.paths("test_reliability.py")

TIMEOUT_S = 30
SHIPPED = os.path.join("scenarios", "llama3_405b_reliability.yaml")
CHECK = os.path.join("validate", "published", "reliability_llama3.yaml")

# A small run to provoke errors in: 64 A100s for 70B parameters and 100B tokens.
BASE = """name: small
mode: analytic
model: {params: 70B, tokens: 100B}
hardware: {device: a100-sxm4-80gb, count: 64}
precision: bf16
mfu: 40%
"""


def mlsim(*args):
    p = subprocess.run([MLSIM, *args], cwd=SRC, env=clitest.clean_env(),
                       capture_output=True, timeout=TIMEOUT_S)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def days(out):
    """The run's wall-clock time from the report's Time line, in days."""
    m = re.search(r"Time\s+([0-9.]+) days", out)
    return float(m.group(1)) if m else None


class ReliabilityTest(unittest.TestCase):
    def run_file(self, text, *args):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(text)
        try:
            return mlsim(f.name, *args)
        finally:
            os.unlink(f.name)

    def test_shipped_scenario_runs(self):
        rc, out, err = mlsim(SHIPPED, "--samples", "4", "--seed", "1")
        self.assertEqual(rc, 0, err)
        # Failure-free: 6 x 405e9 x 15.6e12 FLOP / (16,384 x 989.4e12 x 0.38) = 5.93e6 s = 68.7
        # days. Failures every 1.8 h, each costing 20 minutes and more: the run is stretched by
        # more than 10% and less than 50%.
        self.assertGreater(days(out), 68.7 * 1.10)
        self.assertLess(days(out), 68.7 * 1.50)

    def test_same_seed_same_bytes(self):
        a = mlsim(SHIPPED, "--samples", "4", "--seed", "7")
        b = mlsim(SHIPPED, "--samples", "4", "--seed", "7")
        c = mlsim(SHIPPED, "--samples", "4", "--seed", "8")
        self.assertEqual(a[0], 0, a[2])
        self.assertEqual(a, b)
        self.assertNotEqual(a[1], c[1])
        for fmt in ("csv", "json"):
            x = mlsim(SHIPPED, "--samples", "4", "--seed", "7", "--format", fmt)
            y = mlsim(SHIPPED, "--samples", "4", "--seed", "7", "--format", fmt)
            self.assertEqual(x, y)

    def test_check_file_runs(self):
        rc, out, err = mlsim(CHECK, "--samples", "4")
        self.assertEqual(rc, 0, err)

    def test_samples_turn_it_on(self):
        # --samples alone asks for the whole run, with the default rates: a run of 64 A100s
        # (8 nodes) is stretched, if only a little.
        rc0, plain, err0 = self.run_file(BASE)
        rc1, whole, err1 = self.run_file(BASE, "--samples", "10")
        self.assertEqual(rc0, 0, err0)
        self.assertEqual(rc1, 0, err1)
        self.assertGreater(days(whole), days(plain))

    def test_bad_samples(self):
        rc, out, err = mlsim(SHIPPED, "--samples", "0")
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertIn("error: 'reliability.samples' must be > 0", err)

    def test_misspelt_key(self):
        rc, out, err = self.run_file(BASE + "reliability:\n  restrat_time: 5 min\n")
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertRegex(err, r":8:3: error: .*restrat_time.*did you mean 'restart_time'")

    def test_rates_need_a_source(self):
        rc, out, err = self.run_file(BASE + "reliability:\n  gpu_failure_rate: 1e-5\n")
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertRegex(err, r":8:21: error: failure rates need their source")

    def test_async_needs_a_stall(self):
        rc, out, err = self.run_file(BASE + "reliability:\n  checkpoint_mode: async\n")
        self.assertEqual(rc, 1)
        self.assertRegex(err, r":8:20: error: asynchronous checkpoints need")

    def test_hopeless_run(self):
        # A failure every 0.36 s per node and a 10-minute restart: the run can never finish.
        # 2M tokens: 6 x 70e9 x 2e6 / (64 x 312e12 x 0.4) = 105 s of work, 2,300 failures
        # expected without downtime, well within the limit of work.
        rc, out, err = self.run_file(
            BASE.replace("100B", "2M")
            + "reliability:\n  node_failure_rate: 1e4\n  rate_source: a test\n",
            "--samples", "2")
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertIn("failures come faster than it can progress", err)

    def test_too_much_work(self):
        # 1e6 replicates of a 16,384-GPU run with ~1,200 failures each: 1.2e9 draws, past the
        # limit of 2e8.
        rc, out, err = mlsim(SHIPPED, "--samples", "1000000")
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertIn("more replicates and failures than the limit", err)

    def test_inference_ignores_it(self):
        rc, out, err = mlsim(os.path.join("scenarios", "inference_k80_tpu_p40.yaml"),
                             "--samples", "4")
        self.assertEqual(rc, 0, err)
        self.assertIn("warning: run", err)
        self.assertIn("'reliability' has no effect in inference mode", err)


if __name__ == "__main__":
    raise SystemExit(clitest.main())

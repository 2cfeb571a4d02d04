"""Uncertain inputs (issue 13): a quantity field given as a distribution is drawn for each
Monte Carlo replicate and the run estimated anew; the run's own figures take the central value.
Expected values are hand calculations, written beside each test."""

import csv
import io
import os
import subprocess
import tempfile
import unittest

import clitest

MLSIM, SRC = clitest.paths("test_uncertain.py")
TIMEOUT_S = 60

# GPT-3 175B on 1,024 A100s in analytic mode: 6 N D = 6 x 175e9 x 300e9 = 3.15e23 FLOP at
# 312e12 x 1,024 FLOP/s per unit of MFU is 985,915.5 s / MFU.
SECONDS_AT_MFU_1 = 3.15e23 / (312e12 * 1024)
BASE = ("name: gpt3\nmode: analytic\nmodel: {params: 175B, tokens: 300B}\n"
        "hardware: {device: a100-sxm4-80gb, count: 1024}\nprecision: bf16\n"
        "economics: {price_per_device_hour: $1.5/h}\n")


def mlsim(text, *args):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(text)
    try:
        p = subprocess.run([MLSIM, f.name, *args], cwd=SRC, env=clitest.clean_env(),
                           capture_output=True, text=True, timeout=TIMEOUT_S)
    finally:
        os.unlink(f.name)
    return p.returncode, p.stdout, p.stderr


def row(text, *args):
    rc, out, err = mlsim(text, "--format", "csv", *args)
    if rc != 0:
        raise AssertionError(err)
    return next(csv.DictReader(io.StringIO(out)))


class Uncertain(unittest.TestCase):
    def test_uniform_mfu_bands(self):
        # MFU uniform on [40%, 50%]: time is 985,915.5 s / MFU, decreasing in it, so the time's
        # P10 / P50 / P90 are at MFU's P90 / P50 / P10: 49%, 45%, 41%; the run's own time at
        # the central 45%. 200 draws by default: a P10's standard error is about 0.4% of MFU.
        r = row(BASE + "mfu: {uniform: [40%, 50%]}\n")
        self.assertAlmostEqual(float(r["time_s"]) / (SECONDS_AT_MFU_1 / 0.45), 1.0, delta=1e-9)
        for col, mfu in (("time_p10_s", 0.49), ("time_p50_s", 0.45), ("time_p90_s", 0.41)):
            self.assertAlmostEqual(float(r[col]) / (SECONDS_AT_MFU_1 / mfu), 1.0, delta=0.02,
                                   msg=col)
        rc, out, err = mlsim(BASE + "mfu: {uniform: [40%, 50%]}\n")
        self.assertEqual(rc, 0, err)
        self.assertIn("P10 / P50 / P90 of 200 draws", out)
        self.assertIn("Uncertain mfu: uniform from 40% to 50%", out)

    def test_triangular_price(self):
        # price triangular (1, 1.5, 2.5) $/h: its median is 2.5 - sqrt(0.5 x 1.5 x 1) = 1.634
        # $/h (the mode's share of the range is 1/3 < 1/2: the median lies above the mode);
        # at MFU 50%, 1,971,831 s x 1,024 devices = 560,877 device-hours: $916,470 at it
        hours = SECONDS_AT_MFU_1 / 0.5 * 1024 / 3600
        r = row(BASE.replace("price_per_device_hour: $1.5/h",
                             "price_per_device_hour: {triangular: [$1/h, $1.5/h, $2.5/h]}") +
                "mfu: 0.5\n")
        self.assertAlmostEqual(float(r["cost_usd"]) / (hours * 1.5), 1.0, delta=1e-9)
        self.assertAlmostEqual(float(r["cost_p50_usd"]) / (hours * (2.5 - 0.75 ** 0.5)), 1.0,
                               delta=0.03)

    def test_a_value_set_after_the_file_holds(self):
        # --set mfu=0.3 replaces the distribution: no draw of MFU, time 985,915.5 s / 0.3
        r = row(BASE + "mfu: {uniform: [40%, 50%]}\n", "--set", "mfu=0.3")
        self.assertAlmostEqual(float(r["time_p50_s"]) / (SECONDS_AT_MFU_1 / 0.3), 1.0,
                               delta=1e-9)

    def test_seed_gives_the_bytes(self):
        text = BASE + "mfu: {normal: [45%, 3%]}\n"
        a = mlsim(text, "--seed", "3", "--format", "csv")[1]
        b = mlsim(text, "--seed", "3", "--format", "csv")[1]
        c = mlsim(text, "--seed", "4", "--format", "csv")[1]
        self.assertEqual(a, b)
        self.assertNotEqual(a, c)

    def test_lognormal_and_normal_centres(self):
        # the run's own figures take a lognormal's median and a normal's mean
        r = row(BASE + "mfu: {lognormal: [40%, 1.1]}\n")
        self.assertAlmostEqual(float(r["mfu"]), 0.40, delta=1e-12)
        r = row(BASE + "mfu: {normal: [42%, 2%]}\n")
        self.assertAlmostEqual(float(r["mfu"]), 0.42, delta=1e-12)

    def test_a_calibrations_standard_error(self):
        # The A100's GEMM efficiency is fitted as 0.6964 +/- 0.0075 (hwdb): a simulated run with
        # an uncertain input draws it too. Only the price is uncertain here and no failures are
        # drawn, so the time's spread is the efficiency's alone: about the step's GEMM share of
        # 0.0075 / 0.6964 = 1.1% per standard deviation, P10 to P90 2.56 of them, at most 2.8%.
        text = ("name: gpt3\nmode: simulate\nmodel: {params: 175B, tokens: 300B}\n"
                "hardware: {system: dgx-a100-80gb-hdr, count: 1024}\nprecision: bf16\n"
                "training: {tp: 8, pp: 16, micro_batch: 1, global_batch: 1536}\n"
                "economics: {price_per_device_hour: {uniform: [$1/h, $2/h]}}\n")
        r = row(text)
        spread = float(r["time_p90_s"]) / float(r["time_p10_s"]) - 1
        self.assertGreater(spread, 0.005)
        self.assertLess(spread, 0.028 * 1.2)
        rc, out, err = mlsim(text)
        self.assertIn("Uncertain GEMM efficiency of a100-sxm4-80gb: normal, its fit's 0.6964 "
                      "+/- 0.0075", out)

    def test_bad_distributions(self):
        cases = [
            ("mfu: {normel: [45%, 3%]}\n", "unknown distribution 'normel' for 'mfu' (did you "
             "mean 'normal'?)"),
            ("mfu: {uniform: [45%]}\n", "a uniform distribution takes a list of 2 values"),
            ("mfu: {uniform: [50%, 40%]}\n", "a uniform distribution with its low above its high"),
            ("mfu: {triangular: [40%, 60%, 50%]}\n", "its mode outside [low, high]"),
            ("mfu: {lognormal: [40%, 0.5]}\n", "a plain factor of at least 1"),
            ("mfu: {normal: [45%, 3%], uniform: [1%, 2%]}\n", "one distribution"),
            ("mfu: {normal: [45%, 3 GB]}\n", "'mfu'"),
        ]
        for text, said in cases:
            with self.subTest(text):
                rc, out, err = mlsim(BASE + text)
                self.assertEqual(rc, 1)
                self.assertEqual(out, "")
                self.assertIn(said, err)
                self.assertIn(":7:", err)  # located at the field's line (BASE has 6)
        # a whole-number field takes no distribution
        rc, out, err = mlsim(BASE.replace("count: 1024", "count: {normal: [1024, 8]}") +
                             "mfu: 0.5\n")
        self.assertEqual(rc, 1)
        self.assertIn("expects a whole number, not a mapping", err)


if __name__ == "__main__":
    raise SystemExit(clitest.main())

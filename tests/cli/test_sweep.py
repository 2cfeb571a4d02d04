#!/usr/bin/env python3
"""End-to-end tests of sweeps in scenarios (`sweep:`): one run per point, crossed or zipped, with
lists or ranges with units; a row that does not tile or fit is a row with its reason (exit 0),
while malformed input stays an error (exit 1, located).

Run as:  python3 tests/cli/test_sweep.py <path-to-mlsim-binary> <source-root>
"""
import csv
import io
import os
import subprocess
import tempfile
import unittest

import clitest

MLSIM, SRC = clitest.paths("test_sweep.py")
TIMEOUT_S = 60

BASE = ("name: xl\nmode: simulate\n"
        "model: {layers: 24, hidden: 2048, heads: 16, seq_len: 2048, vocab: 51200, tokens: 20B}\n"
        "hardware: {system: dgx-a100-80gb-hdr, count: 16}\nprecision: bf16\n"
        "training: {micro_batch: 1, global_batch: 64, attention: flash}\n"
        "economics: {price_per_device_hour: $2/h}\n")


def run(text, *args):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(text)
    try:
        p = subprocess.run([MLSIM, *args, f.name], cwd=SRC, env=clitest.clean_env(),
                           capture_output=True, timeout=TIMEOUT_S)
    finally:
        os.unlink(f.name)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def rows(out):
    return list(csv.DictReader(io.StringIO(out)))


class Sweep(unittest.TestCase):
    def test_cross_product_with_a_range(self):
        rc, out, err = run(BASE + "sweep:\n  training.tp: [1, 2]\n"
                           "  hardware.count: {from: 8, to: 32, factor: 2}\n", "--format", "csv")
        self.assertEqual(rc, 0, err)
        r = rows(out)
        # 2 tensor sizes x 3 counts (8, 16, 32), the first field varying fastest
        self.assertEqual([(x["tp"], x["count"]) for x in r],
                         [("1", "8"), ("2", "8"), ("1", "16"), ("2", "16"), ("1", "32"),
                          ("2", "32")])
        self.assertEqual(r[0]["name"], "xl (tp=1, count=8)")

    def test_an_mlp_width_swept(self):
        # model.hidden_width sets every hidden width of widths: 784-n-n-10 has
        # P(n) = n^2 + 796 n + 10 parameters (lecture-experiments.md sec. 2): 807, 3210, 70,090
        mlp = ("name: mlp\nmode: analytic\nmfu: 0.5\nprecision: fp32\n"
               "model: {type: mlp, widths: [784, 1, 1, 10], tokens: 1.2M}\n"
               "hardware: {device: rtx-3090, count: 1}\n"
               "economics: {price_per_device_hour: $1/h}\n")
        rc, out, err = run(mlp + "sweep: {model.hidden_width: [1, 4, 80]}\n", "--format", "csv")
        self.assertEqual(rc, 0, err)
        self.assertEqual([float(x["params"]) for x in rows(out)], [807, 3210, 70090])
        # a list of widths with no hidden layer has nothing to set
        rc, out, err = run(mlp.replace("[784, 1, 1, 10]", "[784, 10]") +
                           "sweep: {model.hidden_width: [8]}\n")
        self.assertEqual(rc, 1)
        self.assertIn("'model.hidden_width' sets the hidden widths of 'model.widths', which lists "
                      "none", err)

    def test_zip_and_units(self):
        rc, out, err = run(BASE + "sweep:\n  hardware.count: [8, 16]\n"
                           "  economics.price_per_device_hour: [$1/h, $3/h]\n  combine: zip\n",
                           "--format", "csv")
        self.assertEqual(rc, 0, err)
        r = rows(out)
        self.assertEqual(len(r), 2)
        # cost = device-hours x price: the two rows' prices are $1/h and $3/h
        for x, price in zip(r, (1.0, 3.0)):
            self.assertAlmostEqual(float(x["cost_usd"]), float(x["device_hours"]) * price,
                                   delta=1e-6 * float(x["cost_usd"]))

    def test_rows_that_do_not_tile_or_fit_are_rows(self):
        # 24 layers of 2048 at micro-batch 64 on one 80 GB GPU: the activations alone, 24 x 34
        # s b h bytes (Korthikanti et al. 2022, Eq. 1, no recomputation) = 24 x 34 x 2048 x 64 x
        # 2048 = 219 GB, do not fit; micro-batch 1 (3.4 GB of them) does
        rc, out, err = run(BASE.replace("count: 16", "count: 1") +
                           "sweep:\n  training.micro_batch: [1, 64]\n", "--format", "csv")
        self.assertEqual(rc, 0, err)
        r = {x["name"]: x for x in rows(out)}
        self.assertTrue(r["xl (micro_batch=1)"]["time_s"])
        self.assertEqual(r["xl (micro_batch=1)"]["not_run"], "")
        self.assertTrue(r["xl (micro_batch=64)"]["not_run"].startswith("does not fit"))
        self.assertEqual(r["xl (micro_batch=64)"]["time_s"], "")
        # 12 devices: tp 3 divides them, not the 16 heads
        rc, out, err = run(BASE.replace("count: 16", "count: 12").replace("global_batch: 64",
                                                                           "global_batch: 48")
                           + "sweep:\n  training.tp: [2, 3]\n", "--format", "csv")
        self.assertEqual(rc, 0, err)
        r = {x["name"]: x for x in rows(out)}
        self.assertTrue(r["xl (tp=2)"]["time_s"])
        self.assertIn("does not tile: tp 3 must divide the 16 attention heads",
                      r["xl (tp=3)"]["not_run"])
        # the people's table says it too, and exits 0
        rc, out, err = run(BASE.replace("count: 16", "count: 1")
                           + "sweep:\n  training.micro_batch: [1, 64]\n")
        self.assertEqual(rc, 0, err)
        self.assertIn("does not fit", out)

    def test_shipped_gpt3_sweep(self):
        p = subprocess.run([MLSIM, "--format", "csv", "scenarios/gpt3_layout_sweep.yaml"],
                           cwd=SRC, env=clitest.clean_env(), capture_output=True,
                           timeout=TIMEOUT_S)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        r = rows(p.stdout.decode())
        self.assertEqual(len(r), 3 * 4 * 2)  # tp 2, 4, 8 x pp 4 ... 32 x micro-batch 1, 2
        for x in r:
            self.assertTrue(bool(x["not_run"]) != bool(x["time_s"]), x)

    def test_malformed_sweeps_are_errors(self):
        cases = [
            ("sweep:\n  training.tpp: [1, 2]\n", "'training.tpp' is not a field"),
            ("sweep:\n  training.tp: [one, 2]\n", "error:"),
            ("sweep:\n  training.tp: [1, 2]\n  hardware.count: [8]\n  combine: zip\n",
             "zipped sweep fields need as many points"),
            ("sweep:\n  hardware.count: {from: 8, to: 4, step: 1}\n", "from <= to"),
            ("sweep:\n  training.tp: 2\n", "takes a list of values or a range"),
        ]
        for text, want in cases:
            with self.subTest(text=text):
                rc, out, err = run(BASE + text)
                self.assertEqual(rc, 1, err)
                self.assertEqual(out, "")
                self.assertIn(want, err)
                self.assertRegex(err, r"\.yaml:\d+:\d+: error:")


if __name__ == "__main__":
    raise SystemExit(clitest.main())

#!/usr/bin/env python3
"""Runs measured as MLPerf Training measures them: evaluation passes on the clock
(training.evaluation), a published time to train (reference.time_to_train) printed against the
prediction, their located errors, and the shipped MLPerf GPT-3 files.

Run as:  python3 tests/cli/test_mlperf.py <path-to-mlsim-binary> <source-root>
"""
import csv
import io
import json
import os
import subprocess
import tempfile
import unittest

import clitest

MLSIM, SRC = clitest.paths("test_mlperf.py")
TIMEOUT_S = 120

# 1B parameters for 1B tokens on one A100 (312 TFLOP/s dense bf16, hwdb) at an assumed 50% MFU:
# 6e18 FLOP / 156e12 FLOP/s = 38,461.54 s of training, by hand.
ANALYTIC = ("name: eval\nmode: analytic\nmodel: {params: 1B, tokens: 1B}\n"
            "hardware: {device: a100-sxm4-80gb, count: 1}\nprecision: bf16\nmfu: 50%\n"
            "economics: {price_per_device_hour: $1/h, pue: 1, price_as_of: 2024-01-01}\n"
            "EXTRA")

# A 12-layer GPT on one A100 that recomputes its forward pass (full recomputation).
SIMULATED = ("name: eval-sim\nmode: simulate\n"
             "model: {layers: 12, hidden: 768, heads: 12, seq_len: 1024, vocab: 50304, "
             "tokens: 100M}\n"
             "hardware: {device: a100-sxm4-80gb, count: 1}\nprecision: bf16\n"
             "training: {micro_batch: 8, global_batch: 8, recompute: full, attention: flash"
             "EXTRA}\neconomics: {price_per_device_hour: $1/h, price_as_of: 2024-01-01}\n")


def mlsim(text, *args):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(text)
        path = f.name
    try:
        p = subprocess.run([MLSIM, *args, path], cwd=SRC, env=clitest.clean_env(),
                           capture_output=True, timeout=TIMEOUT_S)
    finally:
        os.unlink(path)
    return p.returncode, p.stdout.decode(), p.stderr.decode(), os.path.basename(path)


def rows(text, *args):
    rc, out, err, _ = mlsim(text, "--format", "csv", *args)
    assert rc == 0, err
    return list(csv.DictReader(io.StringIO(out)))


class Evaluation(unittest.TestCase):
    def test_analytic_by_hand(self):
        train_s = 6e18 / (312e12 * 0.5)
        base = rows(ANALYTIC.replace("EXTRA", ""))[0]
        self.assertAlmostEqual(float(base["time_s"]) / train_s, 1.0, places=12)
        self.assertEqual(base["eval_passes"], "")  # no block: no evaluation figures
        # every 300M of 1B tokens: 3 whole intervals and the run's end, 4 passes of 30M tokens,
        # each token a third of a trained token's time: 4 x 30e6 / 3 / 1e9 = 4% of the training
        r = rows(ANALYTIC.replace("EXTRA", "training: {evaluation: {every: 300M, tokens: 30M}}"))[0]
        self.assertEqual(float(r["eval_passes"]), 4.0)
        self.assertAlmostEqual(float(r["eval_s"]) / (0.04 * train_s), 1.0, places=12)
        self.assertAlmostEqual(float(r["time_s"]) / (1.04 * train_s), 1.0, places=12)
        # on the clock, so billed: 40,000 s = 11.11 device-hours at $1/h, energy the same share
        self.assertAlmostEqual(float(r["cost_usd"]) / (1.04 * train_s / 3600), 1.0, places=12)
        self.assertAlmostEqual(float(r["energy_kwh"]) / float(base["energy_kwh"]), 1.04,
                               places=12)

    def test_initialization_past_the_allowance(self):
        # MLPerf's clock starts 20 minutes into initialization at the latest: 30 min puts 600 s
        # on it, 10 min nothing; analytic mode takes it without a "no effect" warning
        train_s = 6e18 / (312e12 * 0.5)
        for given, timed in (("30 min", 600.0), ("10 min", 0.0), ("20 min", 0.0)):
            rc, out, err, _ = mlsim(ANALYTIC.replace("EXTRA", "training: {init_time: %s}" % given),
                                    "--format", "csv")
            self.assertEqual(rc, 0, err)
            self.assertEqual(err, "")
            r = next(csv.DictReader(io.StringIO(out)))
            self.assertEqual(float(r["init_timed_s"]), timed)
            self.assertAlmostEqual(float(r["time_s"]) / (train_s + timed), 1.0, places=12)
        rc, out, err, _ = mlsim(ANALYTIC.replace("EXTRA", "training: {init_time: 30 min}"))
        self.assertIn("Initialization 30 min, 10 min of it on the clock", out)
        self.assertIn("so 10 min of it is on the clock", out)
        self.assertNotIn("init_timed_s", json.loads(mlsim(ANALYTIC.replace("EXTRA", ""), "--format",
                                                          "json")[1])["runs"][0])
        rc, out, err, name = mlsim(ANALYTIC.replace("EXTRA", "training: {init_time: -1 s}"))
        self.assertEqual(rc, 1)
        self.assertIn("%s:8:" % name, err)
        self.assertIn("training.init_time", err)

    def test_simulated_forward_share(self):
        base = rows(SIMULATED.replace("EXTRA", ""))[0]
        r = rows(SIMULATED.replace("EXTRA", ", evaluation: {every: 25M, tokens: 4M}"))[0]
        self.assertEqual(float(r["eval_passes"]), 4.0)  # 100M / 25M
        # full recomputation runs each layer's forward twice: forward-only is 2 of the 8 FLOPs
        # per parameter and token of a layer (Korthikanti et al. 2022, Sec. 5), a quarter of its
        # time; the LM head is not recomputed (2 of 6), so the whole lies between 1/4 and 1/3:
        # by hand, layers 24 L h^2 + 4 L s h = 207.6M and head 2 h V = 77.3M FLOPs forward per
        # token give (207.6 + 77.3) / (4 x 207.6 + 3 x 77.3) = 0.268 (mlsim counts the causal
        # attention's half, so a little less)
        share = float(r["mfu"]) / (3 * float(r["hfu"]))
        self.assertGreater(share, 0.25)
        self.assertLess(share, 0.2682)
        eval_s = 4 * 4e6 * share / float(r["tokens_per_s"])
        self.assertAlmostEqual(float(r["eval_s"]) / eval_s, 1.0, places=9)
        self.assertAlmostEqual(float(r["time_s"]) - float(base["time_s"]), float(r["eval_s"]),
                               delta=1e-9 * float(r["time_s"]))
        self.assertEqual(r["step_time_s"], base["step_time_s"])  # the step itself is unchanged

    def test_table_and_assumption(self):
        rc, out, err, _ = mlsim(ANALYTIC.replace(
            "EXTRA", "training: {evaluation: {every: 250M, tokens: 30M}}"))
        self.assertEqual(rc, 0, err)
        self.assertEqual(err, "")  # evaluation counts in analytic mode: no "has no effect"
        self.assertIn("Evaluation     4 passes over 30M tokens: 25.64 min", out)
        self.assertIn("Evaluation on the clock, as MLPerf Training times it: 4 passes", out)
        rc, out, err, _ = mlsim(ANALYTIC.replace(
            "EXTRA", "training: {evaluation: {every: 250M, tokens: 30M}}"), "--format", "json")
        run = json.loads(out)["runs"][0]
        self.assertEqual(run["eval_passes"], 4)
        self.assertNotIn("eval_s", json.loads(mlsim(ANALYTIC.replace("EXTRA", ""), "--format",
                                                    "json")[1])["runs"][0])

    def test_errors_are_located(self):
        cases = [
            ("{every: 250M}", "is missing required key 'training.evaluation.tokens'", 8),
            ("{tokens: 30M}", "is missing required key 'training.evaluation.every'", 8),
            ("{evry: 250M, tokens: 30M}", "did you mean 'every'", 8),
            ("{every: -5, tokens: 30M}", "training.evaluation.every", 8),
            ("{every: 250M, tokens: 0}", "training.evaluation.tokens", 8),
            ("{every: 1 s, tokens: 30M}", "training.evaluation.every", 8),
            ("5", "training.evaluation", 8),
            # the limit, at its edge: 1e9 passes of a token each are allowed, one more is not
            ("{every: 0.999999999, tokens: 1}", "are more than the 1000000000 a run may make", 8),
        ]
        for block, text, line in cases:
            rc, out, err, name = mlsim(ANALYTIC.replace(
                "EXTRA", "training: {evaluation: %s}" % block))
            self.assertEqual(rc, 1, block)
            self.assertEqual(out, "", block)
            self.assertIn(text, err, block)
            self.assertIn("%s:%d:" % (name, line), err, block)
        rc, out, err, _ = mlsim(ANALYTIC.replace(
            "EXTRA", "training: {evaluation: {every: 1, tokens: 1}}"), "--format", "csv")
        self.assertEqual(rc, 0, err)  # exactly 1e9 passes
        self.assertIn(",1000000000,", out)
        rc, out, err, name = mlsim(ANALYTIC.replace("EXTRA", "reference: {time_to_train: soon}"))
        self.assertEqual(rc, 1)
        self.assertIn("%s:8:" % name, err)
        self.assertIn("reference.time_to_train", err)

    def test_inference_warns(self):
        text = ("name: inf\nmode: inference\nmodel: {layers: 2, hidden: 256, heads: 4, "
                "seq_len: 128, vocab: 1000}\nhardware: {device: a100-sxm4-80gb, count: 1}\n"
                "inference: {latency_bound: 10ms}\n"
                "training: {evaluation: {every: 1M, tokens: 1M}, init_time: 1 h}\n"
                "economics: {price_per_device_hour: $1/h}\n")
        rc, out, err, name = mlsim(text)
        self.assertEqual(rc, 0, err)
        self.assertIn("%s:6:" % name, err)
        self.assertIn("'training.evaluation' has no effect in inference mode", err)
        self.assertIn("'training.init_time' has no effect in inference mode", err)


class Reference(unittest.TestCase):
    def test_time_to_train_printed(self):
        # two runs, so the table's "Predicted against measured" lists both; the measured time
        # is the one given, and the error is against the whole run, evaluation included
        text = ("title: ttt\ndefaults:\n" +
                "\n".join("  " + l for l in SIMULATED.replace(
                    "EXTRA", ", evaluation: {every: 25M, tokens: 4M}").splitlines()
                    if not l.startswith("name")) +
                "\nruns:\n  - name: a\n    reference: {time_to_train: 10 min}\n"
                "  - name: b\n    reference: {time_to_train: 1 h}\n")
        rc, out, err, _ = mlsim(text)
        self.assertEqual(rc, 0, err)
        self.assertIn("Predicted against measured", out)
        lines = [l for l in out.splitlines() if "time_to_train_s" in l]
        self.assertEqual(len(lines), 2, out)
        self.assertIn(" 600 ", lines[0])
        self.assertIn(" 3600 ", lines[1])
        r = rows(text)
        for row, measured in zip(r, (600.0, 3600.0)):
            self.assertEqual(row["ref_metric"], "time_to_train_s")
            self.assertEqual(float(row["ref_measured"]), measured)
            self.assertEqual(float(row["ref_predicted"]), float(row["time_s"]))
            self.assertAlmostEqual(float(row["ref_error_pct"]),
                                   100 * (float(row["time_s"]) - measured) / measured, places=9)


    def test_analytic_table(self):
        # by hand, as above: 40,000 s each; measured 40,000 s and 20,000 s: 0% and +100%
        text = ("title: ttt\ndefaults:\n" +
                "\n".join("  " + l for l in ANALYTIC.replace(
                    "EXTRA", "training: {evaluation: {every: 250M, tokens: 30M}}").splitlines()
                    if not l.startswith("name")) +
                "\nruns:\n  - name: a\n    reference: {time_to_train: 40000 s}\n"
                "  - name: b\n    reference: {time_to_train: 20000 s}\n")
        rc, out, err, _ = mlsim(text)
        self.assertEqual(rc, 0, err)
        # (the table prints 4 significant digits: 40,000 s as 4e+04)
        self.assertRegex(out, r"\na +time_to_train_s +4e\+04 +4e\+04 +\+0\.0%\n")
        self.assertRegex(out, r"\nb +time_to_train_s +4e\+04 +2e\+04 +\+100\.0%\n")
        self.assertIn("Mean absolute percentage error 50.0% over 2 runs; largest 100.0%", out)
        r = rows(text)
        self.assertEqual([row["ref_metric"] for row in r], ["time_to_train_s"] * 2)
        self.assertAlmostEqual(float(r[1]["ref_error_pct"]), 100.0, places=9)

    def test_single_run_prints_it(self):
        # by hand: 38,461.54 s of training and 4% more for the passes is 40,000 s to the second
        rc, out, err, _ = mlsim(ANALYTIC.replace(
            "EXTRA", "training: {evaluation: {every: 250M, tokens: 30M}}\n"
            "reference: {time_to_train: 40000 s, source: by hand}"))
        self.assertEqual(rc, 0, err)
        self.assertIn("Measured       11.11 h to train (by hand): predicted +0.0%", out)
        self.assertIn("off the clock up to 20 min", out)


class Shipped(unittest.TestCase):
    def test_mlperf_gpt3(self):
        # the scenario: 22 passes (1,211,105,280 / 55,050,240), each 3 batches of 2688 x 2048
        # tokens (5,662 sequences padded to whole batches), each batch a forward share of a step
        r = rows("".join(open(os.path.join(SRC, "scenarios", "mlperf_gpt3.yaml"))))[0]
        self.assertEqual(float(r["eval_passes"]), 22.0)
        self.assertEqual(r["ref_metric"], "time_to_train_s")
        self.assertEqual(float(r["ref_measured"]), 234.0)  # 3.9 minutes
        share = float(r["mfu"]) / (3 * float(r["hfu"]))
        self.assertAlmostEqual(float(r["eval_s"]) / (22 * 3 * float(r["step_time_s"]) * share),
                               1.0, places=9)
        # the check: every published run has its reference and its evaluation
        p = subprocess.run([MLSIM, "--format", "csv", "validate/published/mlperf_gpt3.yaml"],
                           cwd=SRC, env=clitest.clean_env(), capture_output=True,
                           timeout=TIMEOUT_S)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertEqual(p.stderr.decode(), "")
        checks = list(csv.DictReader(io.StringIO(p.stdout.decode())))
        self.assertEqual(len(checks), 8)
        for row in checks:
            self.assertEqual(row["ref_metric"], "time_to_train_s")
            self.assertGreater(float(row["eval_passes"]), 0)


if __name__ == "__main__":
    raise SystemExit(clitest.main())

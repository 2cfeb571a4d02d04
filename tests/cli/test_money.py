#!/usr/bin/env python3
"""End-to-end tests of quantities that cannot be misread and of prices that say their age
(issue #17 items 1 and 2), and of the report text and trace fixes of item 9.

Run as:  python3 tests/cli/test_money.py <path-to-mlsim-binary> <source-root>

Python 3 standard library only. Expected values are hand calculations written in the comments
and dates read from the hwdb files, never mlsim's own output.
"""
import csv
import io
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import clitest

MLSIM, SRC = clitest.paths("test_money.py")

TIMEOUT_S = 60
GPT3 = "scenarios/gpt3_a100.yaml"


def mlsim(*args, cwd=SRC):
    p = subprocess.run([MLSIM, *args], cwd=cwd, env=clitest.clean_env(), capture_output=True,
                       timeout=TIMEOUT_S)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


class BareNumbers(unittest.TestCase):
    """A bare number in a money, rate or energy field is refused with the unit it was meant in."""

    def refused(self, setting, phrase):
        rc, out, err = mlsim(GPT3, "--set", setting)
        self.assertEqual(rc, 1, err)
        self.assertEqual(out, "")
        self.assertRegex(err, r"(?m)^--set:1:\d+: error: ")
        self.assertIn(phrase, err)

    def test_price_per_hour(self):
        # read as SI, 2 would be $2 per second: $7,200 per device-hour
        self.refused("economics.price_per_device_hour=2", "did you mean '$2/h'?")

    def test_electricity(self):
        # read as SI, 0.1 would be $0.1 per joule: $360,000 per kWh
        self.refused("economics.electricity_price=0.1", "did you mean '$0.1/kWh'?")

    def test_carbon(self):
        self.refused("economics.carbon_intensity=429", "did you mean '429 gCO2/kWh'?")

    def test_in_a_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "bare.yaml")
            with open(os.path.join(SRC, GPT3)) as f:
                text = f.read()
            text = re.sub(r"price_per_device_hour: *[^,}\n]+", "price_per_device_hour: 1.5", text)
            self.assertIn("price_per_device_hour: 1.5", text)
            with open(path, "w") as f:
                f.write(text)
            rc, out, err = mlsim(path)
            self.assertEqual(rc, 1, err)
            self.assertEqual(out, "")
            self.assertRegex(err, re.escape(path) + r":\d+:\d+: error: .*did you mean '\$1.5/h'")

    def test_zero_needs_no_unit(self):
        # 0 is 0 in every unit: "electricity not billed" stays writable as 0
        rc, out, err = mlsim(GPT3, "--set", "economics.electricity_price=0")
        self.assertEqual(rc, 0, err)


class RepeatedSet(unittest.TestCase):
    def test_same_path_twice_is_an_error(self):
        rc, out, err = mlsim(GPT3, "--set", "mfu=0.4", "--set", "economics.pue=1.2",
                             "--set", "mfu=0.5")
        self.assertEqual(rc, 1, err)
        self.assertEqual(out, "")
        self.assertRegex(err, r"(?m)^--set:3:1: error: 'mfu' is set again \(first by --set 1\)")

    def test_different_paths_are_fine(self):
        rc, out, err = mlsim(GPT3, "--set", "mfu=0.4", "--set", "mfu_x=1")
        self.assertEqual(rc, 1)  # an unknown path, not a repeat
        self.assertNotIn("set again", err)


def scenario(tmp, text, name="s.yaml"):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


# hwdb/gpu/h100-sxm5-80gb.yaml: rental 12.29 USD/h, rental_date "2023-07"
H100_RUN = """model: {params: 1B, tokens: 20B}
hardware: {device: h100-sxm5-80gb, count: 8}
precision: bf16
mfu: 40%
"""
TPU_RUN = H100_RUN.replace("h100-sxm5-80gb", "tpu-v4")  # hwdb/tpu/tpu-v4.yaml has no price


class PriceAge(unittest.TestCase):
    """A default price older than 12 months before the reference date is warned about."""

    def age(self, as_of):
        with tempfile.TemporaryDirectory() as tmp:
            return mlsim(scenario(tmp, H100_RUN), "--set", "economics.price_as_of=" + as_of)

    def test_twelve_months_is_not_old(self):
        rc, out, err = self.age("2024-07")  # 2023-07 + 12 months
        self.assertEqual(rc, 0, err)
        self.assertNotIn("warning", err)

    def test_thirteen_months_is_old(self):
        rc, out, err = self.age("2024-08-15")
        self.assertEqual(rc, 0, err)
        self.assertRegex(err, r"warning: the rental price of h100-sxm5-80gb in hwdb \(\$12.29/h\) "
                              r"dates from 2023-07, 13 months before 2024-08-15 "
                              r"\(economics.price_as_of\)")

    def test_build_date_by_default(self):
        # the build date is after 2024-07 on any machine that builds this tree
        with tempfile.TemporaryDirectory() as tmp:
            rc, out, err = mlsim(scenario(tmp, H100_RUN))
        self.assertEqual(rc, 0, err)
        self.assertRegex(err, r"dates from 2023-07, \d+ months before \d{4}-\d\d-\d\d "
                              r"\(the build date\)")

    def test_default_price_says_date_and_source(self):
        # hwdb/gpu/h100-sxm5-80gb.yaml: rental_date "2023-07", its price.rental source's cite
        rc, out, err = self.age("2024-01")
        self.assertEqual(rc, 0, err)
        self.assertIn("Price $12.29/h per device-hour: the on-demand rental price of "
                      "h100-sxm5-80gb in hwdb (seen 2023-07; The Next Platform, 'H100 GPU "
                      "Instance Pricing On AWS: Grin And Bear It' (2023-07-27))", out)

    def test_given_price_is_not_aged(self):
        with tempfile.TemporaryDirectory() as tmp:
            rc, out, err = mlsim(scenario(tmp, H100_RUN), "--set",
                                 "economics.price_per_device_hour=$2/h")
        self.assertEqual(rc, 0, err)
        self.assertNotIn("warning", err)

    def test_unreadable_hwdb_date(self):
        with tempfile.TemporaryDirectory() as tmp:
            db = os.path.join(tmp, "hwdb")
            shutil.copytree(os.path.join(SRC, "hwdb"), db)
            h100 = os.path.join(db, "gpu", "h100-sxm5-80gb.yaml")
            with open(h100) as f:
                text = f.read()
            with open(h100, "w") as f:
                f.write(text.replace('rental_date: "2023-07"', 'rental_date: "mid-2023"'))
            rc, out, err = mlsim("--hwdb", db, scenario(tmp, H100_RUN))
        self.assertEqual(rc, 0, err)
        self.assertIn("is dated 'mid-2023', not YYYY-MM: its age is unknown", err)

    def test_bad_date(self):
        rc, out, err = self.age("July 2024")
        self.assertEqual(rc, 1, err)
        self.assertEqual(out, "")
        self.assertRegex(err, r"(?m)^--set:1:\d+: error: 'economics.price_as_of' expects a date")


class NoPrice(unittest.TestCase):
    """A device without a price: its cost is left out, not an error, unless a chart needs it."""

    def test_cost_left_out(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = scenario(tmp, TPU_RUN)
            rc, out, err = mlsim(path)
            self.assertEqual(rc, 0, err)
            self.assertIn("Cost           not known: tpu-v4 has no rental price in hwdb", out)
            rc, out, err = mlsim(path, "--format", "csv")
            self.assertEqual(rc, 0, err)
            row = next(csv.DictReader(io.StringIO(out)))
            self.assertEqual(row["cost_usd"], "")
            # 6 x 1e9 x 20e9 / (8 x 275e12 x 0.4) s x 8 / 3600 = 303.03 device-hours, still given
            self.assertAlmostEqual(float(row["device_hours"]), 303.0303, places=3)

    def test_a_chart_asks_for_cost(self):
        with tempfile.TemporaryDirectory() as tmp:
            rc, out, err = mlsim(scenario(tmp, TPU_RUN + "charts: [cost-table]\n"))
        self.assertEqual(rc, 1, err)
        self.assertIn("tpu-v4 has no rental price in the hardware database, and this scenario "
                      "draws charts of cost", err)


class PricedTheSameWay(unittest.TestCase):
    def test_mixed_table_says_which_differ(self):
        text = ("runs:\n"
                "  - {name: given, model: {params: 1B, tokens: 20B}, hardware: {device: "
                "a100-sxm4-80gb, count: 8}, precision: bf16, mfu: 40%, economics: "
                "{price_per_device_hour: $1.5/h}}\n"
                "  - {name: from hwdb, model: {params: 1B, tokens: 20B}, hardware: {device: "
                "h100-sxm5-80gb, count: 8}, precision: bf16, mfu: 40%}\n")
        with tempfile.TemporaryDirectory() as tmp:
            rc, out, err = mlsim(scenario(tmp, text), "--set", "economics.price_as_of=2024-01")
        self.assertEqual(rc, 0, err)
        self.assertRegex(err, r":3:5: warning: the runs are not priced the same way.*'given' at a "
                              r"price set in the scenario; 'from hwdb' at hwdb's rental price of "
                              r"2023-07")

    def test_tpu_vs_gpu_prices_every_run_alike(self):
        rc, out, err = mlsim("scenarios/tpu_vs_gpu.yaml", "--format", "csv")
        self.assertEqual(rc, 0, err)
        self.assertNotIn("warning", err)
        rows = list(csv.DictReader(io.StringIO(out)))
        for r in rows:  # every run at the deck's $1.5 per device-hour
            self.assertAlmostEqual(float(r["cost_usd"]), float(r["device_hours"]) * 1.5, places=3)


class ReportText(unittest.TestCase):
    """Issue #17 item 9: grammar and units that fit the size of the figure."""

    def test_one_device_small_run(self):
        # 1e6 params, 1e9 tokens on one A100 at 40%: 6e15 FLOP / (312e12 x 0.4) = 48.08 s,
        # 48.08/3600 h x $1.5/h = $0.02; 400 W x 48.08 s x PUE 1.58 = 30,385 J = 8.44 Wh;
        # x 480 gCO2/kWh = 4.05 g
        text = ("model: {params: 1M, tokens: 1B}\nhardware: {device: a100-sxm4-80gb, count: 1}\n"
                "precision: bf16\nmfu: 40%\neconomics: {price_per_device_hour: $1.5/h}\n")
        with tempfile.TemporaryDirectory() as tmp:
            rc, out, err = mlsim(scenario(tmp, text))
        self.assertEqual(rc, 0, err)
        self.assertIn("48.08 s on 1 device\n", out)
        self.assertIn("Cost           $0.02 (at $1.5/h", out)
        self.assertIn("Energy         8.44 Wh", out)
        self.assertIn("Emissions      4.051 g CO2", out)

    def test_table_labels_lines_of_some_runs(self):
        # the H100 DGX's TDP is 700 W (hwdb/gpu/h100-sxm5-80gb.yaml); the price holds for all
        rc, out, err = mlsim("scenarios/tpu_vs_gpu.yaml")
        self.assertEqual(rc, 0, err)
        self.assertIn("  - [H100 SXM5, 1024 (DGX H100)] Device power 700 W", out)
        self.assertIn("  - Price $1.5/h per device-hour", out)

    def test_binary_memory_in_gib(self):
        # hwdb/tpu/tpu-v4.yaml: 32 GiB of HBM
        rc, out, err = mlsim("hw", "show", "tpu-v4")
        self.assertEqual(rc, 0, err)
        self.assertIn("32 GiB", out)
        self.assertNotIn("34.36 GB", out)


class Install(unittest.TestCase):
    """`cmake --install` carries the published validation runs and the scenarios, and the
    installed binary runs them from anywhere (its hwdb found beside it)."""

    def test_installed_tree_runs(self):
        build = os.path.dirname(MLSIM)
        if not os.path.exists(os.path.join(build, "cmake_install.cmake")):
            self.skipTest("not a CMake build tree")
        with tempfile.TemporaryDirectory() as tmp:
            p = subprocess.run(["cmake", "--install", build, "--prefix", tmp],
                               capture_output=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr.decode())
            share = os.path.join(tmp, "share", "mlsim")
            for f in ("validate/published/megatron2021_table1.yaml",
                      "validate/published/README.md", "scenarios/tpu_vs_gpu.yaml"):
                self.assertTrue(os.path.isfile(os.path.join(share, f)), f)
            rc, out, err = mlsim(os.path.join(share, "validate/published/megatron2021_table1.yaml"),
                                 cwd=tmp)
            self.assertEqual(rc, 0, err)
            self.assertIn("Predicted against measured", out)
            # a shipped scenario by name, from a folder that holds no such file
            installed = os.path.join(tmp, "bin", "mlsim")
            for name in ("gpt3_a100", "gpt3_a100.yaml"):
                p = subprocess.run([installed, name], cwd=tmp, env=clitest.clean_env(),
                                   capture_output=True, timeout=TIMEOUT_S)
                self.assertEqual(p.returncode, 0, p.stderr.decode())
                self.assertIn("$841,346", p.stdout.decode())  # the deck's GPT-3 cost


class TraceWithNothing(unittest.TestCase):
    def test_analytic_run_warns(self):
        with tempfile.TemporaryDirectory() as tmp:
            trace = os.path.join(tmp, "t.json")
            rc, out, err = mlsim(GPT3, "--trace", trace)
            self.assertEqual(rc, 0, err)
            self.assertIn("warning: trace", err)
            self.assertIn("no run of this scenario is simulated", err)


if __name__ == "__main__":
    raise SystemExit(clitest.main())

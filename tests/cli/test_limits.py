#!/usr/bin/env python3
"""Careless input at the edges of the run layer: a shape derived for an absurd count, a run
shorter than one step, numbers too large to group, more distinct assumptions than a table prints.

Run as:  python3 tests/cli/test_limits.py <path-to-mlsim-binary> <source-root>
"""
import json
import os
import subprocess
import unittest

import clitest

MLSIM, SRC = clitest.paths("test_limits.py")
TIMEOUT_S = 60


def data(name, *args):
    """mlsim on tests/data/NAME (the regression inputs, replayed by the fuzz target too)."""
    p = subprocess.run([MLSIM, *args, os.path.join("tests", "data", name)], cwd=SRC,
                       env=clitest.clean_env(), capture_output=True, timeout=TIMEOUT_S)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


class Limits(unittest.TestCase):
    def test_shape_for_an_absurd_count_is_refused(self):
        # 1e30 parameters by the GPT-3 rule would need ~1.7e8 layers of ~1e11: past an int
        rc, out, err = data("hostile_huge_params.yaml")
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertRegex(err, r":3:\d+: error: a shape is derived for at most 1e\+16 parameters")

    def test_run_shorter_than_a_step_takes_the_step(self):
        # 1,000 tokens against a step of 64 x 2048 = 131,072: the run is one step, not 1/131 of one
        rc, out, err = data("hostile_short_run.yaml", "--format", "json")
        self.assertEqual(rc, 0, err)
        r = json.loads(out)["runs"][0]
        self.assertEqual(r["steps"], 1)
        self.assertAlmostEqual(r["time_s"], r["step_time_s"], delta=1e-12 * r["time_s"])

    def test_huge_money_is_printed_as_a_number(self):
        # $1e150 an hour x 560,897 device-hours = $5.609e155: no 64-digit buffer, no wrong digits
        rc, out, err = data("hostile_huge_money.yaml")
        self.assertEqual(rc, 0, err)
        cost = [l for l in out.splitlines() if l.strip().startswith("Cost")][0]
        self.assertIn("5.609e+155", cost)

    def test_more_assumptions_than_a_table_prints_are_counted(self):
        # 301 runs, each with its own assumed MFU (10% to 40% by 0.1%): 301 distinct MFU lines
        rc, out, err = data("hostile_many_assumptions.yaml")
        self.assertEqual(rc, 0, err)
        shown = [l for l in out.splitlines() if l.startswith("  - ")]
        self.assertEqual(len(shown), 257)  # 256 distinct lines, then the count of the rest
        self.assertIn("more assumptions not shown here", shown[-1])


class Shapes(unittest.TestCase):
    def test_heads_that_do_not_divide_the_width(self):
        # 1000 wide in 7 heads: no layout can split it (it reached unallocated arrays before)
        rc, out, err = data("hostile_heads_width.yaml")
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertRegex(err, r":6:\d+: error: the 7 attention heads must divide the hidden "
                              r"width 1000")


class Cells(unittest.TestCase):
    def test_a_long_name_is_printed_whole(self):
        # "x" and 16 two-byte e-acutes: 17 characters in 33 bytes, more than the 30-byte cell
        # that used to cut it. Names are no longer cut (issue #17 item 9), and a cell is padded
        # by characters: the 30-character Model column, then " " and the 8-wide Size, "      1B"
        rc, out, err = data("hostile_utf8_cell.yaml")
        self.assertEqual(rc, 0, err)  # stdout decoded as strict UTF-8
        row = [l for l in out.splitlines() if l.startswith("x")][0]
        self.assertTrue(row.startswith("x" + "\u00e9" * 16 + " " * 13 + " " + "      1B"), row)


if __name__ == "__main__":
    raise SystemExit(clitest.main())

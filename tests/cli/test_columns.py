#!/usr/bin/env python3
"""End-to-end tests of the result columns: `--format csv` and `--format json` carry the same
fields in the same order for every mode, and the README lists exactly the CSV header.

Run as:  python3 tests/cli/test_columns.py <path-to-mlsim-binary> <source-root>

Python 3 standard library only. Golden values are the scenarios' own layouts and hand
calculations written in the comments, never mlsim's output.
"""
import csv
import io
import json
import os
import subprocess
import sys
import unittest

import clitest

MLSIM, SRC = clitest.paths("test_columns.py")

TIMEOUT_S = 60
ANALYTIC = "scenarios/gpt3_a100.yaml"
TABLE = "scenarios/llm_cost_table.yaml"
SIMULATE = "scenarios/gpt_1.3b_dgx_a100.yaml"
CLUSTER = "scenarios/gpt3_a100_simulated.yaml"
INFERENCE = "scenarios/inference_k80_tpu_p40.yaml"
PUBLISHED = "validate/published/megatron2021_table1.yaml"

# mlsim 0.1.0's CSV header (its writer in src/report.c): these keep their places.
OLD_CSV = ("name,mode,params,tokens,flops,device,count,precision,peak_flops,mfu,time_s,"
           "device_hours,cost_usd,avg_power_w,pue,energy_kwh,energy_cost_usd,co2_kg,step_time_s,"
           "hfu,tflops_per_device,tokens_per_s,mem_per_device_bytes,closed_form_step_s,"
           "ref_metric,ref_predicted,ref_measured,ref_error_pct,batch").split(",")


def mlsim(*args):
    p = subprocess.run([MLSIM, *args], cwd=SRC, env=clitest.clean_env(), capture_output=True,
                       timeout=TIMEOUT_S)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


class TestColumns(unittest.TestCase):
    def both(self, scenario):
        """(CSV header, CSV rows, JSON document) of SCENARIO."""
        rc, out, err = mlsim(scenario, "--format", "csv")
        self.assertEqual(rc, 0, err)
        table = list(csv.reader(io.StringIO(out)))
        rc, out, err = mlsim(scenario, "--format", "json")
        self.assertEqual(rc, 0, err)
        return table[0], table[1:], json.loads(out)

    def check_same_fields(self, scenario, mode):
        header, rows, doc = self.both(scenario)
        self.assertEqual(header[:len(OLD_CSV)], OLD_CSV)
        self.assertEqual(header[-1], "schema_version")
        self.assertEqual(len(set(header)), len(header), "a column written twice")
        self.assertEqual(doc["schema_version"], 4)
        self.assertEqual(len(rows), len(doc["runs"]))
        for row, run in zip(rows, doc["runs"]):
            self.assertEqual(len(row), len(header))
            self.assertEqual(row[-1], "4")
            self.assertEqual(run["mode"], mode)
            keys = list(run)
            self.assertEqual(keys[-1], "assumptions")
            present = [(h, c) for h, c in zip(header[:-1], row[:-1]) if c != ""]
            self.assertEqual([h for h, _ in present], keys[:-1], run["name"])
            for h, cell in present:
                v = run[h]
                if isinstance(v, bool):
                    self.assertEqual(cell, "true" if v else "false", h)
                elif isinstance(v, str):
                    self.assertEqual(cell, v, h)
                else:  # both written with 15 significant digits: the same double
                    self.assertEqual(float(cell), float(v), h)
        return header, rows, doc

    def test_analytic(self):
        self.check_same_fields(ANALYTIC, "analytic")
        self.check_same_fields(TABLE, "analytic")

    def test_simulate(self):
        self.check_same_fields(SIMULATE, "simulate")
        self.check_same_fields(CLUSTER, "simulate")
        self.check_same_fields(PUBLISHED, "simulate")

    def test_inference(self):
        self.check_same_fields(INFERENCE, "inference")

    def test_analytic_has_no_simulated_fields(self):
        _, _, doc = self.both(ANALYTIC)
        run = doc["runs"][0]
        for k in ("step_time_s", "compute_s", "tp", "fits", "batch", "ref_metric"):
            self.assertNotIn(k, run)
        self.assertIs(run["simulated"], False)

    def test_layout_given(self):
        """gpt3_a100_simulated.yaml: tp 8 x pp 16 on 1024 devices leaves dp 1024 / 128 = 8; 1F1B
        is the default schedule; 300e9 tokens / (1536 x 2048 per step) = 95,367.431640625 steps."""
        _, _, doc = self.both(CLUSTER)
        run = doc["runs"][0]
        want = {"tp": 8, "pp": 16, "dp": 8, "micro_batch": 1, "global_batch": 1536,
                "schedule": "1f1b", "interleave": 1, "sharding": "none", "recompute": "full",
                "sequence_parallel": False, "layout_chosen": False, "cluster": True,
                "fits": True, "device_mem_bytes": 80e9, "steps": 95367.431640625}
        for k, v in want.items():
            self.assertEqual(run[k], v, k)
        self.assertLessEqual(run["mem_per_device_bytes"], 80e9)
        # the step's parts: compute, exposed communication and the bubble are within the step
        self.assertLessEqual(run["compute_s"] + run["exposed_comm_s"], run["step_time_s"])
        self.assertGreater(run["tp_comm_s"], 0)

    def test_single_node_layout(self):
        """gpt_1.3b_dgx_a100.yaml: 8 devices data parallel, no tensor or pipeline split; the
        single-node step has no pipeline schedule; 26e9 tokens / (512 x 2048) steps."""
        header, rows, doc = self.both(SIMULATE)
        row = dict(zip(header, rows[0]))
        self.assertEqual((row["tp"], row["pp"], row["dp"]), ("1", "1", "8"))
        self.assertEqual(row["schedule"], "")
        self.assertEqual(row["cluster"], "false")
        self.assertEqual(row["fits"], "true")
        self.assertEqual(float(row["steps"]), 26e9 / (512 * 2048))

    def test_reference(self):
        """Megatron-LM Table 1, second row: 138 TFLOP/s measured per GPU (hardware FLOPs) with
        tp 2 on 64 GPUs, so dp 32."""
        _, _, doc = self.both(PUBLISHED)
        run = doc["runs"][1]
        self.assertEqual(run["name"], "GPT 3.6B, 64 GPUs")
        self.assertEqual(run["ref_metric"], "hw_tflops_per_device")
        self.assertEqual(run["ref_measured"], 138)
        pred = run["ref_predicted"]
        self.assertAlmostEqual(run["ref_error_pct"], 100 * (pred - 138) / 138, places=9)
        self.assertEqual((run["tp"], run["pp"], run["dp"]), (2, 1, 32))

    def test_inference_batch(self):
        header, rows, doc = self.both(INFERENCE)
        for row, run in zip(rows, doc["runs"]):
            self.assertGreaterEqual(run["batch"], 1)
            self.assertLessEqual(run["step_time_s"], 0.010)  # the 10 ms bound
            self.assertNotIn("tp", run)
            self.assertIn("fits", run)

    def test_readme_lists_the_header(self):
        """README.md's field list names the CSV columns in the CSV's order."""
        header, _, _ = self.both(ANALYTIC)
        with open(os.path.join(SRC, "README.md"), encoding="utf-8") as f:
            text = f.read()
        begin = text.index("<!-- result fields: begin -->")
        end = text.index("<!-- result fields: end -->")
        names = [line.split("`")[1] for line in text[begin:end].splitlines()
                 if line.startswith("| `")]
        self.assertEqual(names, header)


if __name__ == "__main__":
    sys.exit(clitest.main())

#!/usr/bin/env python3
"""The published FSDP-at-scale and H100 runs (validate/published/fsdp_at_scale.yaml and
h100_runs.yaml) run end to end and report predicted against measured.

Run as:  python3 tests/cli/test_published_fsdp_h100.py <path-to-mlsim-binary> <source-root>

Python 3 standard library only; MLSIM_HWDB is removed from the environment of every call. Each
row's measured value is compared with the figure typed here from its source, worked by hand from
the source's own numbers (a guard against a typo in the scenario, not against mlsim). The mean
error bounds are regression guards, not issue 15's or 16's bars: they fail if the model drifts
further from these measurements than it read when they were typed. The last line printed is
"N passed, N failed"; the exit status is non-zero on failure.
"""
import csv
import io
import subprocess
import unittest

import clitest

MLSIM, SRC = clitest.paths("test_published_fsdp_h100.py")

TIMEOUT_S = 60


def rows(path):
    """The CSV rows of one published file, as dicts; fails the test if mlsim fails."""
    p = subprocess.run([MLSIM, "--format", "csv", path], cwd=SRC, env=clitest.clean_env(),
                       capture_output=True, timeout=TIMEOUT_S)
    if p.returncode != 0:
        raise AssertionError("%s: mlsim exited %d: %s" % (path, p.returncode, p.stderr.decode()))
    return list(csv.DictReader(io.StringIO(p.stdout.decode())))  # names hold quoted commas


def mean_abs_error_pct(table):
    errors = [abs(float(r["ref_predicted"]) / float(r["ref_measured"]) - 1) * 100 for r in table]
    return sum(errors) / len(errors)


# Step time = global batch x sequence / (tokens per second per GPU x GPUs), in seconds, each
# rounded as typed in the scenario.
def step(batch, seq, tokens_per_s_per_gpu, gpus):
    return batch * seq / (tokens_per_s_per_gpu * gpus)


class TestFsdpAtScale(unittest.TestCase):
    """OPT-175B, LLaMA-65B, the PyTorch FSDP paper's GPT-175B and TorchTitan's A100 tables."""

    FILE = "validate/published/fsdp_at_scale.yaml"

    def test_measured_as_typed(self):
        table = rows(self.FILE)
        want = [
            ("OPT-175B, 992 A100", 147e12),             # OPT Sec. 2.4, TFLOP/s per GPU
            ("LLaMA-65B, 2048 A100", step(2048, 2048, 380, 2048)),  # 5.389 s
            ("GPT-175B FSDP 128 A100 b1", 173e12),      # PyTorch FSDP Sec. 5.4
            ("GPT-175B FSDP 384 A100 b1", 173e12),
            ("GPT-175B FSDP 512 A100 b1", 173e12),
            ("GPT-175B FSDP 256 A100 b2", 186e12),
            ("GPT-175B FSDP 512 A100 b2", 186e12),
            ("Llama 3 8B FSDP2, 64 A100", step(1, 8192, 2973, 1)),   # 2.7555 s
            ("Llama 3 70B FSDP2, 64 A100", step(1, 8192, 331, 1)),   # 24.749 s
            ("Llama 2 13B FSDP2, 64 A100", step(2, 4096, 2162, 1)),  # 3.7891 s
            ("Llama 2 70B FSDP2, 64 A100", step(2, 4096, 353, 1)),   # 23.207 s
        ]
        self.assertEqual([r["name"] for r in table], [n for n, _ in want])
        for r, (name, value) in zip(table, want):
            got = float(r["ref_measured"])
            if value > 1e6:  # a throughput: the CSV gives TFLOP/s
                self.assertEqual(got, value / 1e12, name)
            else:  # a step time, typed to 4 or 5 significant figures
                self.assertAlmostEqual(got / value, 1.0, delta=5e-4, msg=name)

    def test_counting(self):
        # the FSDP paper counts hardware FLOPs (its "hardware utilization"); OPT is read as model
        metric = {r["name"]: r["ref_metric"] for r in rows(self.FILE)}
        self.assertEqual(metric["OPT-175B, 992 A100"], "tflops_per_device")
        self.assertEqual(metric["GPT-175B FSDP 512 A100 b2"], "hw_tflops_per_device")
        self.assertEqual(metric["LLaMA-65B, 2048 A100"], "step_time_s")

    def test_mean_error_guard(self):
        # 6.5% on 2026-12-02 with main at 298aa17 (OPT -15.6%, the rest within 11%); a guard
        # at twice that, not issue 16's 20% per row.
        self.assertLessEqual(mean_abs_error_pct(rows(self.FILE)), 13.0)


class TestH100Runs(unittest.TestCase):
    """NeMo 24.07 and Megatron-Bridge 25.11 FP8 tables, TorchTitan's H100 tables and
    llm-foundry's one-node MPT FP8 table beside its bf16 twins."""

    FILE = "validate/published/h100_runs.yaml"

    def test_measured_as_typed(self):
        table = rows(self.FILE)
        want = [
            ("NeMo GPT-3 175B fp8, 128", step(256, 2048, 726, 128)),     # 5.642 s
            ("NeMo GPT-3 175B fp8, 512", step(2048, 2048, 782, 512)),    # 10.48 s
            ("NeMo Llama 2 7B fp8, 8", step(128, 4096, 16847, 8)),       # 3.890 s
            ("NeMo Llama 2 13B fp8, 16", step(128, 4096, 8646, 16)),     # 3.790 s
            ("NeMo Llama 2 70B fp8, 64", step(128, 4096, 1707, 64)),     # 4.799 s
            ("NeMo Llama 3 8B fp8, 8", step(128, 8192, 12036, 8)),       # 10.89 s
            ("NeMo Llama 3 70B fp8, 64", step(128, 8192, 1533, 64)),     # 10.69 s
            ("Bridge Llama 3 8B fp8, 8", step(128, 8192, 14451, 8)),     # 9.070 s
            ("Bridge Llama 3 70B fp8, 64", step(128, 8192, 1602, 64)),   # 10.23 s
            ("TorchTitan 8B bf16, 128", step(256, 8192, 6514, 128)),     # 2.515 s
            ("TorchTitan 8B fp8, 128", step(256, 8192, 8380, 128)),      # 1.955 s
            ("TorchTitan 70B fp8, 256", step(512, 8192, 829, 256)),      # 19.76 s
            ("TorchTitan 405B fp8, 512", step(256, 8192, 100, 512)),     # 40.96 s
            ("MPT-1B fp8 s512, 8", step(1792, 512, 70315, 8)),           # 1.6311 s
            ("MPT-1B bf16 s512, 8", step(1792, 512, 52275, 8)),          # 2.1939 s
            ("MPT-1B fp8 s8192, 8", step(64, 8192, 32010, 8)),           # 2.0475 s
            ("MPT-1B fp8 s32768, 8", step(32, 32768, 12580, 8)),         # 10.419 s
            ("MPT-1B bf16 s32768, 8", step(32, 32768, 12025, 8)),        # 10.900 s
            ("MPT-3B fp8 s512, 8", step(1920, 512, 36527, 8)),           # 3.3641 s
            ("MPT-3B bf16 s512, 8", step(1920, 512, 27965, 8)),          # 4.3941 s
            ("MPT-3B fp8 s2048, 8", step(480, 2048, 30586, 8)),          # 4.0175 s
            ("MPT-3B fp8 s32768, 8", step(144, 32768, 5856, 8)),         # 100.72 s
            ("MPT-3B bf16 s32768, 8", step(144, 32768, 5873, 8)),        # 100.43 s
        ]
        self.assertEqual([r["name"] for r in table], [n for n, _ in want])
        for r, (name, value) in zip(table, want):
            self.assertEqual(r["ref_metric"], "step_time_s", name)
            self.assertAlmostEqual(float(r["ref_measured"]) / value, 1.0, delta=5e-4, msg=name)

    def test_layouts_as_published(self):
        # the tables' own TP x PP x DP (DP = GPUs / (TP x PP x CP)) reach the simulation
        got = {r["name"]: (int(r["tp"]), int(r["pp"]), int(r["dp"])) for r in rows(self.FILE)}
        self.assertEqual(got["NeMo GPT-3 175B fp8, 512"], (4, 8, 16))  # 512 / (4 x 8)
        self.assertEqual(got["NeMo Llama 3 70B fp8, 64"], (4, 4, 2))   # 64 / (4 x 4 x CP 2)
        self.assertEqual(got["TorchTitan 405B fp8, 512"], (8, 8, 8))   # 512 / (8 x 8)

    def test_parameters_as_the_table_counts(self):
        # llm-foundry's NumParams column: MPT-1B at 2048 would be 1,315,950,592 (by hand:
        # 24 x (12 x 2048^2 + 13 x 2048) + 2 x 2048 + (50368 + 2048) x 2048); at 512 the
        # position table is 1536 x 2048 smaller, 1,312,804,864, the table's 512 row
        params = {r["name"]: int(float(r["params"])) for r in rows(self.FILE)}
        self.assertEqual(params["MPT-1B fp8 s512, 8"], 1312804864)
        # MPT-3B at 512: 32 x (12 x 2560^2 + 13 x 2560) + 2 x 2560 + (50368 + 512) x 2560
        self.assertEqual(params["MPT-3B bf16 s512, 8"], 2647905280)

    def test_mean_error_guard(self):
        # 14.6% on 2026-12-02 with main at 298aa17: the NeMo and Megatron-Bridge FP8 rows read
        # 9-42% slow, TorchTitan's 8B rows 14-19% fast, its 70B and 405B within 1%, the
        # one-node MPT rows 3-21% fast at 512-2048 tokens and within 4.3% at 32768. A guard at
        # 22%, not issue 15's 15% per row.
        self.assertLessEqual(mean_abs_error_pct(rows(self.FILE)), 22.0)


if __name__ == "__main__":
    raise SystemExit(clitest.main())

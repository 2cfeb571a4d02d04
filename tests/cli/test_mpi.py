#!/usr/bin/env python3
"""mlsim over MPI ranks (a build with -DMLSIM_MPI=ON): a search, a sweep and a Monte Carlo run
started with `mpirun -np N` print the bytes that one process prints, and exit as it does. The
build registers this file as the test `mpi_bytes` with MLSIM_TEST_MPIEXEC set to its mpirun;
without it (every other build, where the binary is one process) the tests skip.

Run as:  MLSIM_TEST_MPIEXEC=mpirun python3 tests/cli/test_mpi.py <path-to-mlsim-binary> <source-root>
"""
import os
import subprocess
import tempfile
import unittest

import clitest

MLSIM, SRC = clitest.paths("test_mpi.py")
MPIEXEC = os.environ.get("MLSIM_TEST_MPIEXEC", "")
TIMEOUT_S = 120

# Each case: the arguments, and what splits. Kept few and small: CI runs them on 2 cores.
SEARCH_CHECK = ["search", "scenarios/gpt_1.3b_dgx_a100.yaml", "--check", "--top", "4",
                "--format", "csv"]  # 1,770 layouts costed, 1,609 simulated
SEARCH_VARIANTS = ["search", "scenarios/gpt3_a100_simulated.yaml", "--counts", "512,1024",
                   "--top", "12", "--format", "json"]  # two runs' layouts, 12 simulated
SWEEP = ["--format", "csv", "scenarios/gpt3_layout_sweep.yaml"]  # 24 runs, some not run
MC_TABLE = ["--format", "json", "validate/published/reliability_llama3.yaml"]  # 3 runs
# One run: its replicates are spread instead (an odd count, so the blocks differ in size).
MC_ONE = ["--format", "json", "--samples", "61", "--seed", "7",
          "scenarios/llama3_405b_reliability.yaml"]
# One run's uncertain inputs: its 200 draws are spread (uncertain.h).
UNCERTAIN = ["--format", "csv", "scenarios/gpt3_uncertain.yaml"]


def run(args, ranks=0):
    """(exit status, stdout bytes, stderr text) of mlsim ARGS, on RANKS ranks (0: no mpirun)."""
    cmd = [MLSIM, *args]
    if ranks:
        cmd = [MPIEXEC, "--oversubscribe", "--allow-run-as-root", "-np", str(ranks), *cmd]
    p = subprocess.run(cmd, cwd=SRC, env=clitest.clean_env(), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=TIMEOUT_S)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


@unittest.skipUnless(MPIEXEC, "not an MPI build (MLSIM_TEST_MPIEXEC unset)")
class MpiTest(unittest.TestCase):
    def same_as_one_process(self, args, ranks=2):
        rc1, out1, err1 = run(args)
        self.assertEqual(rc1, 0, err1)
        self.assertTrue(out1)
        rcn, outn, errn = run(args, ranks)
        self.assertEqual(rcn, 0, errn)
        # byte for byte: a rank that printed too, or a block lost in the gather, differs
        self.assertEqual(outn, out1)

    def test_search_check(self):
        self.same_as_one_process(SEARCH_CHECK)

    def test_search_variants(self):
        self.same_as_one_process(SEARCH_VARIANTS)

    def test_sweep(self):
        self.same_as_one_process(SWEEP)

    def test_monte_carlo_table(self):
        self.same_as_one_process(MC_TABLE)

    def test_monte_carlo_one_run(self):
        self.same_as_one_process(MC_ONE, ranks=3)

    def test_uncertain_inputs(self):
        self.same_as_one_process(UNCERTAIN, ranks=3)

    def test_trace_written_once(self):
        # a trace needs every step in one process: rank 0 works alone, the others wait and say
        # nothing (a rank that wrote a report of runs it never estimated once crashed here)
        with tempfile.TemporaryDirectory() as tmp:
            one, two = os.path.join(tmp, "one.json"), os.path.join(tmp, "two.json")
            rc1, out1, err1 = run(["--trace", one, "scenarios/mnist_mlp_cpu_vs_gpu.yaml"])
            rcn, outn, errn = run(["--trace", two, "scenarios/mnist_mlp_cpu_vs_gpu.yaml"], 2)
            self.assertEqual(rc1, 0, err1)
            self.assertEqual(rcn, 0, errn)
            self.assertEqual(outn, out1)
            with open(one, "rb") as a, open(two, "rb") as b:
                self.assertEqual(b.read(), a.read())

    def test_input_error_said_once(self):
        # every rank reads the file and fails alike; only rank 0 speaks, and the job fails
        args = ["--set", "hardware.cuont=4", "scenarios/gpt3_layout_sweep.yaml"]
        rc1, out1, err1 = run(args)
        rcn, outn, errn = run(args, 2)
        self.assertEqual(rc1, 1)
        self.assertNotEqual(rcn, 0)
        self.assertEqual(outn, b"")
        self.assertEqual(errn.count("did you mean"), 1, errn)
        self.assertEqual(err1.count("did you mean"), 1, err1)


if __name__ == "__main__":
    raise SystemExit(clitest.main())

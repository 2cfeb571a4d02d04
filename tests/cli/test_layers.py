#!/usr/bin/env python3
"""The architecture's layering, checked on the source: the input layer (files read, fields,
units, devices, scenarios, the vocabulary) includes no header of the engine or the model, and
the run layer is reached through one dispatcher.

Run as:  python3 tests/cli/test_layers.py <path-to-mlsim-binary> <source-root>
"""
import os
import re
import unittest

import clitest

MLSIM, SRC = clitest.paths("test_layers.py")

INPUT = ["units", "ydoc", "schema", "hwdb", "scenario", "vocab", "diag", "mem", "status"]
ENGINE = ["sim", "evq", "fold", "workload", "kernel", "collective", "cluster", "step", "pipeline",
          "simulate", "analytic", "run", "report", "cost", "result"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"mlsim/([a-z_]+)\.h"', re.M)


def includes(path):
    with open(path, encoding="utf-8") as f:
        return set(INCLUDE.findall(f.read()))


class Layers(unittest.TestCase):
    def test_input_layer_includes_no_engine_header(self):
        for mod in INPUT:
            for path in ("include/mlsim/%s.h" % mod, "src/%s.c" % mod):
                full = os.path.join(SRC, path)
                if not os.path.exists(full):
                    continue
                with self.subTest(path=path):
                    self.assertEqual(includes(full) & set(ENGINE), set())

    def test_model_description_stands_alone(self):
        # The scenario holds the model's description (model.h); that header knows only the
        # vocabulary, while model.c turns it into the engine's workload spec.
        self.assertEqual(includes(os.path.join(SRC, "include/mlsim/model.h")), {"vocab"})
        # likewise the layout's header: the loader checks the tiling rule through it
        self.assertLessEqual(includes(os.path.join(SRC, "include/mlsim/layout.h")),
                             {"model", "status", "torus", "vocab"})

    def test_modes_dispatched_in_one_place(self):
        # Only the dispatcher (src/run.c) calls a mode's estimate function by name.
        calls = re.compile(r"mlsim_(analytic|simulate|inference)_estimate\s*\(")
        for root in ("src", "tests/fuzz"):
            for dirpath, _, files in os.walk(os.path.join(SRC, root)):
                for name in files:
                    if not name.endswith(".c") or name in ("run.c", "analytic.c", "simulate.c"):
                        continue
                    with open(os.path.join(dirpath, name), encoding="utf-8") as f:
                        text = f.read()
                    with self.subTest(file=name):
                        self.assertIsNone(calls.search(text))


if __name__ == "__main__":
    raise SystemExit(clitest.main())

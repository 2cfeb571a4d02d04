"""What the command-line tests share: the two arguments ctest passes (the mlsim binary and the
source root), an environment without MLSIM_HWDB, and a runner that prints "N passed, N failed"."""
import os
import sys
import unittest


def paths(script):
    """(mlsim binary, source root) from the command line, which is left for unittest."""
    if len(sys.argv) < 3:
        sys.stderr.write("usage: %s <path-to-mlsim-binary> <source-root>\n" % script)
        sys.exit(2)
    binary, src = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    del sys.argv[1:3]
    return binary, src


def clean_env(extra=None):
    """This process's environment without MLSIM_HWDB, plus EXTRA."""
    env = dict(os.environ)
    env.pop("MLSIM_HWDB", None)
    if extra:
        env.update(extra)
    return env


def main():
    """Run the calling script's tests; exit status 1 if any failed or none ran."""
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2)
    result = unittest.main(argv=[sys.argv[0]], testRunner=runner, exit=False).result

    def test_id(t):
        return getattr(t, "test_case", t).id()  # a failed subTest counts as its test

    failed = {test_id(t) for t, _ in result.failures + result.errors}
    failed |= {test_id(t) for t in result.unexpectedSuccesses}
    skipped = {test_id(t) for t, _ in result.skipped} - failed
    passed = result.testsRun - len(failed) - len(skipped)
    if skipped:
        print("%d skipped" % len(skipped))
    print("%d passed, %d failed" % (passed, len(failed)))
    return 1 if failed or result.testsRun == 0 else 0

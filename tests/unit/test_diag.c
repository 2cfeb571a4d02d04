/* Diagnostics: a fault found twice at the same place is said once (a device file that every run of
 * a table loads); faults at other places, or other faults at the same place, are all kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mlsim/diag.h"

static void test_same_fault_said_once(void **state)
{
    (void)state;
    struct mlsim_diags *d = mlsim_diags_alloc();
    assert_non_null(d);
    char name[] = "hwdb/gpu/x.yaml"; /* a copy, as loaders pass their own buffers */
    struct mlsim_loc at = {name, 3, 7};
    for (int i = 0; i < 14; i++)
        mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at, "'%s' is bad", "peak");
    assert_int_equal(mlsim_diags_count(d), 1);
    assert_true(mlsim_diags_errors(d) > 0);
    struct mlsim_loc other_col = {name, 3, 8};
    mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, other_col, "'%s' is bad", "peak");
    mlsim_diags_report(d, MLSIM_SEVERITY_ERROR, at, "'%s' is bad", "power");
    mlsim_diags_report(d, MLSIM_SEVERITY_NOTE, at, "'%s' is bad", "peak");
    assert_int_equal(mlsim_diags_count(d), 4);
    assert_string_equal(mlsim_diags_message(d, 2), "'power' is bad");
    mlsim_diags_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_fault_said_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The analytic estimate against hand calculations. The device is built here, not read from hwdb,
 * so these numbers depend on nothing but the formulas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mlsim/analytic.h"

#include "check.h"

static struct mlsim_device a100;

static struct mlsim_run gpt3_run(void)
{
    struct mlsim_run r;
    memset(&r, 0, sizeof r);
    memset(&a100, 0, sizeof a100);
    a100.peak_flops[MLSIM_PRECISION_BF16] = 312e12;
    r.device = &a100;
    r.model.params = 175e9;
    r.model.tokens = 300e9;
    r.count = 1024;
    r.precision = MLSIM_PRECISION_BF16;
    r.mfu = 0.5;
    r.econ.price_usd_per_s = 1.5 / 3600.0;
    r.econ.device_power_w = 400.0;
    r.econ.host_power_w = 412.5;
    r.econ.pue = 1.1;
    r.econ.carbon_kg_per_j = 0.429 / 3.6e6;
    return r;
}

static void test_gpt3_by_hand(void **state)
{
    (void)state;
    struct mlsim_run r = gpt3_run();
    struct mlsim_result x;
    assert_int_equal(mlsim_analytic_estimate(&r, &x), MLSIM_OK);
    /* 6 x 175e9 x 300e9 = 3.15e23 FLOP. */
    assert_rel(x.flops, 3.15e23, 1e-15);
    /* Device-seconds 3.15e23 / (312e12 x 0.5) = 2,019,230,769.23 s = 560,897.436 device-hours. */
    assert_rel(x.device_hours, 560897.4358974359, 1e-12);
    /* On 1024 devices: 1,971,905.05 s = 22.82 days. */
    assert_rel(x.time_s, 1971905.0480769231, 1e-12);
    /* The deck: $841,346. */
    assert_rel(x.cost_usd, 841346.1538461538, 1e-12);
    /* 2,019,230,769.23 s x 812.5 W x 1.1 = 560,897.436 device-hours x 0.89375 kW = 501,302.083 kWh;
     * x 0.429 kg/kWh. */
    assert_rel(x.energy_j / 3.6e6, 501302.0833333333, 1e-12);
    assert_rel(x.co2_kg, 501302.0833333333 * 0.429, 1e-12);
    assert_near(x.energy_cost_usd, 0.0, 0.0);
    assert_near(x.avg_power_w, 812.5, 0.0);
}

static void test_scaling_laws_of_the_model(void **state)
{
    (void)state;
    struct mlsim_run r = gpt3_run();
    struct mlsim_result base, more;
    mlsim_analytic_estimate(&r, &base);
    r.count = 2048; /* twice the devices: half the time, the same cost */
    mlsim_analytic_estimate(&r, &more);
    assert_rel(more.time_s, base.time_s / 2, 1e-14);
    assert_rel(more.cost_usd, base.cost_usd, 1e-14);
    r.count = 1024;
    r.mfu = 0.25; /* half the utilization: twice the cost */
    mlsim_analytic_estimate(&r, &more);
    assert_rel(more.cost_usd, 2 * base.cost_usd, 1e-14);
    r.mfu = 0.5;
    r.econ.electricity_usd_per_j = 0.10 / 3.6e6; /* $0.10/kWh */
    mlsim_analytic_estimate(&r, &more);
    assert_rel(more.energy_cost_usd, 501302.0833333333 * 0.10, 1e-12);
}

static void test_rejects_what_cannot_be_estimated(void **state)
{
    (void)state;
    struct mlsim_result x;
    struct mlsim_run r = gpt3_run();
    r.precision = MLSIM_PRECISION_FP8; /* the device has no fp8 */
    assert_int_equal(mlsim_analytic_estimate(&r, &x), MLSIM_ERR_INPUT);
    r = gpt3_run();
    r.mfu = 0;
    assert_int_equal(mlsim_analytic_estimate(&r, &x), MLSIM_ERR_INPUT);
    r = gpt3_run();
    r.device = NULL;
    assert_int_equal(mlsim_analytic_estimate(&r, &x), MLSIM_ERR_INPUT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gpt3_by_hand),
        cmocka_unit_test(test_scaling_laws_of_the_model),
        cmocka_unit_test(test_rejects_what_cannot_be_estimated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

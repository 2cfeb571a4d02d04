/* Unit parsing and formatting: each dimension's units against hand-computed SI values. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mlsim/units.h"

#include "check.h"

static double parse_ok(const char *text, enum mlsim_dim dim)
{
    char err[512];
    double v = -1;
    assert_int_equal(mlsim_units_parse(text, dim, &v, err, sizeof err), MLSIM_OK);
    return v;
}

static void parse_fails(const char *text, enum mlsim_dim dim, const char *phrase)
{
    char err[512];
    double v = -1;
    assert_int_equal(mlsim_units_parse(text, dim, &v, err, sizeof err), MLSIM_ERR_INPUT);
    assert_non_null(strstr(err, phrase));
}

static void test_flops(void **state)
{
    (void)state;
    assert_near(parse_ok("312 TFLOPS", MLSIM_DIM_FLOPS), 312e12, 1e-3);
    assert_near(parse_ok("19.5 TFLOP/s", MLSIM_DIM_FLOPS), 19.5e12, 1e-3);
    assert_near(parse_ok("1.5 PFLOPS", MLSIM_DIM_FLOPS), 1.5e15, 1e-3);
    assert_near(parse_ok("624 TOPS", MLSIM_DIM_FLOPS), 624e12, 1e-3);
    assert_near(parse_ok("100 GFLOPS", MLSIM_DIM_FLOPS), 1e11, 1e-6);
    assert_near(parse_ok("3.14e23 FLOP", MLSIM_DIM_FLOP), 3.14e23, 1e8);
}

static void test_bytes_and_bandwidth(void **state)
{
    (void)state;
    assert_near(parse_ok("40 GB", MLSIM_DIM_BYTES), 40e9, 1e-3);
    assert_near(parse_ok("32 GiB", MLSIM_DIM_BYTES), 32.0 * 1073741824.0, 1e-3);
    assert_near(parse_ok("24 MB", MLSIM_DIM_BYTES), 24e6, 1e-6);
    assert_near(parse_ok("1 TB", MLSIM_DIM_BYTES), 1e12, 1e-3);
    assert_near(parse_ok("1555 GB/s", MLSIM_DIM_BANDWIDTH), 1555e9, 1e-3);
    /* 200 Gb/s HDR InfiniBand = 25 GB/s */
    assert_near(parse_ok("200 Gb/s", MLSIM_DIM_BANDWIDTH), 25e9, 1e-3);
}

static void test_power_energy_time(void **state)
{
    (void)state;
    assert_near(parse_ok("400 W", MLSIM_DIM_POWER), 400.0, 1e-12);
    assert_near(parse_ok("6.5 kW", MLSIM_DIM_POWER), 6500.0, 1e-9);
    assert_near(parse_ok("1 kWh", MLSIM_DIM_ENERGY), 3.6e6, 1e-6);
    assert_near(parse_ok("1287 MWh", MLSIM_DIM_ENERGY), 1287 * 3.6e9, 1.0);
    assert_near(parse_ok("10 ms", MLSIM_DIM_TIME), 0.01, 1e-15);
    assert_near(parse_ok("5 us", MLSIM_DIM_TIME), 5e-6, 1e-18);
    assert_near(parse_ok("2 h", MLSIM_DIM_TIME), 7200.0, 1e-9);
    assert_near(parse_ok("34 d", MLSIM_DIM_TIME), 34 * 86400.0, 1e-6);
    assert_near(parse_ok("2.3 GHz", MLSIM_DIM_FREQUENCY), 2.3e9, 1e-3);
    assert_near(parse_ok("4.8 TH/s", MLSIM_DIM_HASHRATE), 4.8e12, 1e-3);
}

static void test_money(void **state)
{
    (void)state;
    assert_near(parse_ok("$8009.99", MLSIM_DIM_MONEY), 8009.99, 1e-9);
    assert_near(parse_ok("15000 USD", MLSIM_DIM_MONEY), 15000.0, 1e-9);
    /* $1.5 per hour is 1.5/3600 USD per second */
    assert_near(parse_ok("$1.5/h", MLSIM_DIM_MONEY_RATE), 1.5 / 3600.0, 1e-15);
    assert_near(parse_ok("4.10 USD/h", MLSIM_DIM_MONEY_RATE), 4.10 / 3600.0, 1e-15);
    /* $0.10 per kWh is 0.10 / 3.6e6 USD per joule */
    assert_near(parse_ok("0.10 USD/kWh", MLSIM_DIM_ENERGY_PRICE), 0.10 / 3.6e6, 1e-20);
    assert_near(parse_ok("$0.1/kWh", MLSIM_DIM_ENERGY_PRICE), 0.1 / 3.6e6, 1e-20);
}

static void test_carbon(void **state)
{
    (void)state;
    /* 429 gCO2/kWh = 0.429 kg / 3.6e6 J */
    double v = parse_ok("429 gCO2/kWh", MLSIM_DIM_CARBON_INTENSITY);
    assert_near(v, 0.429 / 3.6e6, 1e-18);
    assert_near(parse_ok("0.429 kg/kWh", MLSIM_DIM_CARBON_INTENSITY), v, 1e-18);
}

static void test_counts_and_ratios(void **state)
{
    (void)state;
    assert_near(parse_ok("175B", MLSIM_DIM_COUNT), 175e9, 1e-3);
    assert_near(parse_ok("300B", MLSIM_DIM_COUNT), 300e9, 1e-3);
    assert_near(parse_ok("1.4T", MLSIM_DIM_COUNT), 1.4e12, 1e-3);
    assert_near(parse_ok("2.5e11", MLSIM_DIM_COUNT), 2.5e11, 1e-3);
    assert_near(parse_ok("30 billion", MLSIM_DIM_COUNT), 30e9, 1e-3);
    assert_near(parse_ok("176.247B", MLSIM_DIM_COUNT), 176.247e9, 1e-3);
    /* 45% must be the same double as 0.45, so table costs round like the deck's */
    assert_true(parse_ok("45%", MLSIM_DIM_RATIO) == 0.45);
    assert_true(parse_ok("0.5", MLSIM_DIM_RATIO) == 0.5);
}

static void test_errors_name_accepted_units(void **state)
{
    (void)state;
    parse_fails("40 GB", MLSIM_DIM_FLOPS, "is a size in bytes");
    parse_fails("40 GB", MLSIM_DIM_FLOPS, "TFLOPS");
    parse_fails("3 furlongs", MLSIM_DIM_TIME, "unknown unit 'furlongs'");
    parse_fails("3 furlongs", MLSIM_DIM_TIME, "accepted units: ns, us");
    parse_fails("fast", MLSIM_DIM_FLOPS, "expected a throughput");
    parse_fails("", MLSIM_DIM_POWER, "expected a power");
    parse_fails("$15000", MLSIM_DIM_MONEY_RATE, "is an amount of money");
    parse_fails("1e999 W", MLSIM_DIM_POWER, "expected a power");
    /* finite as written, infinite once scaled (1e308 x 1e15): refused, not passed on as inf */
    parse_fails("1e308 PFLOP/s", MLSIM_DIM_FLOPS, "too large to hold");
    parse_fails("12 GB", MLSIM_DIM_NUMBER, "none (a plain number)");
}

/* Issue #17 item 1: a bare number where its SI reading is a trap is refused with the unit meant.
 * 2 read as USD/s would be $7,200 per hour; 0.1 read as USD/J would be $360,000 per kWh. */
static void test_bare_numbers(void **state)
{
    (void)state;
    parse_fails("2", MLSIM_DIM_MONEY_RATE, "did you mean '$2/h'?");
    parse_fails("0.1", MLSIM_DIM_ENERGY_PRICE, "did you mean '$0.1/kWh'?");
    parse_fails("30000", MLSIM_DIM_MONEY, "did you mean '$30000'?");
    parse_fails("5", MLSIM_DIM_ENERGY, "did you mean '5 kWh' or '5 J'?");
    parse_fails("429", MLSIM_DIM_CARBON_INTENSITY, "did you mean '429 gCO2/kWh'?");
    parse_fails(" 2.5 ", MLSIM_DIM_MONEY_RATE, "'$2.5/h'");
    /* 0 is 0 in every unit ("electricity not billed"): no unit needed */
    assert_true(parse_ok("0", MLSIM_DIM_ENERGY_PRICE) == 0.0);
    assert_true(parse_ok("0", MLSIM_DIM_MONEY_RATE) == 0.0);
    /* where the SI reading is what people mean, a bare number is kept, and its meaning said */
    assert_true(parse_ok("700", MLSIM_DIM_POWER) == 700.0);
    assert_true(parse_ok("0.5", MLSIM_DIM_TIME) == 0.5);
    parse_fails("3 furlongs", MLSIM_DIM_TIME, "a bare number means seconds");
    parse_fails("3 furlongs", MLSIM_DIM_POWER, "a bare number means watts");
    assert_string_equal(mlsim_units_bare_meaning(MLSIM_DIM_BYTES), "bytes");
    /* Kokolis et al. 2024's RSC-1: 6.50 failures per 1000 node-days = 6.5 / 24000 per hour */
    assert_near(parse_ok("6.5 /1000d", MLSIM_DIM_FAILURE_RATE), 6.5 / 24000.0, 1e-18);
    assert_near(parse_ok("0.5 /d", MLSIM_DIM_FAILURE_RATE), 0.5 / 24.0, 1e-15);
    assert_near(parse_ok("1e-5", MLSIM_DIM_FAILURE_RATE), 1e-5, 1e-20);
    parse_fails("3 GB", MLSIM_DIM_FAILURE_RATE, "a bare number means failures per component-hour");
    assert_null(mlsim_units_bare_meaning(MLSIM_DIM_MONEY_RATE));
}

/* Issue #17 item 9: small costs in cents, binary sizes in binary units, small energies in J. */
static void test_format_adapts(void **state)
{
    (void)state;
    char buf[64];
    assert_string_equal(mlsim_units_format(0.42, MLSIM_DIM_MONEY, buf, sizeof buf), "$0.42");
    assert_string_equal(mlsim_units_format(9.99, MLSIM_DIM_MONEY, buf, sizeof buf), "$9.99");
    assert_string_equal(mlsim_units_format(0.0042, MLSIM_DIM_MONEY, buf, sizeof buf), "$0.0042");
    assert_string_equal(mlsim_units_format(0.0, MLSIM_DIM_MONEY, buf, sizeof buf), "$0");
    assert_string_equal(mlsim_units_format(10.0, MLSIM_DIM_MONEY, buf, sizeof buf), "$10");
    /* a TPU v4's 32 GiB is 34,359,738,368 bytes: said as given, not "34.36 GB" */
    assert_string_equal(mlsim_units_format(32.0 * 1073741824.0, MLSIM_DIM_BYTES, buf, sizeof buf),
                        "32 GiB");
    assert_string_equal(mlsim_units_format(40e9, MLSIM_DIM_BYTES, buf, sizeof buf), "40 GB");
    assert_string_equal(mlsim_units_format(26214400.0, MLSIM_DIM_BYTES, buf, sizeof buf),
                        "26.21 MB"); /* 25 MiB: below a GiB, decimal */
    /* 0.003153 Wh = 11.35 J */
    assert_string_equal(mlsim_units_format(11.35, MLSIM_DIM_ENERGY, buf, sizeof buf), "11.35 J");
    assert_string_equal(mlsim_units_format(NAN, MLSIM_DIM_MONEY, buf, sizeof buf), "-");
}

static void test_format(void **state)
{
    (void)state;
    char buf[64];
    assert_string_equal(mlsim_units_format(312e12, MLSIM_DIM_FLOPS, buf, sizeof buf),
                        "312 TFLOP/s");
    assert_string_equal(mlsim_units_format(841346.1538, MLSIM_DIM_MONEY, buf, sizeof buf),
                        "$841,346");
    assert_string_equal(mlsim_units_format(6750000.000000002, MLSIM_DIM_MONEY, buf, sizeof buf),
                        "$6,750,000");
    assert_string_equal(mlsim_units_format(999.0, MLSIM_DIM_MONEY, buf, sizeof buf), "$999");
    assert_string_equal(mlsim_units_format(175e9, MLSIM_DIM_COUNT, buf, sizeof buf), "175B");
    assert_string_equal(mlsim_units_format(1.4e12, MLSIM_DIM_COUNT, buf, sizeof buf), "1.4T");
    assert_string_equal(mlsim_units_format(0.45, MLSIM_DIM_RATIO, buf, sizeof buf), "45%");
    /* a tiny MFU in two figures, not four (0.00004614 is 0.004614%) */
    assert_string_equal(mlsim_units_format(0.00004614, MLSIM_DIM_RATIO, buf, sizeof buf),
                        "0.0046%");
    assert_string_equal(mlsim_units_format(0.4514, MLSIM_DIM_RATIO, buf, sizeof buf), "45.14%");
    assert_string_equal(mlsim_units_format(3.6e9, MLSIM_DIM_ENERGY, buf, sizeof buf), "1 MWh");
    assert_string_equal(mlsim_units_format(1.5 / 3600.0, MLSIM_DIM_MONEY_RATE, buf, sizeof buf),
                        "$1.5/h");
    assert_string_equal(mlsim_units_grouped(560897.4, buf, sizeof buf), "560,897");
    assert_string_equal(mlsim_units_grouped(12.0, buf, sizeof buf), "12");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flops),
        cmocka_unit_test(test_bytes_and_bandwidth),
        cmocka_unit_test(test_power_energy_time),
        cmocka_unit_test(test_money),
        cmocka_unit_test(test_carbon),
        cmocka_unit_test(test_counts_and_ratios),
        cmocka_unit_test(test_errors_name_accepted_units),
        cmocka_unit_test(test_bare_numbers),
        cmocka_unit_test(test_format_adapts),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

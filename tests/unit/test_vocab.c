/* The vocabulary: each enum's words, one per value, NULL-terminated, none repeated; and the words
 * the scenario files of the deck use map to the values the engine expects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "mlsim/vocab.h"

static void check_words(const char *const *names, int n)
{
    int i = 0;
    for (; names[i]; i++) {
        for (int j = 0; j < i; j++)
            assert_string_not_equal(names[i], names[j]);
    }
    assert_int_equal(i, n);
}

static void test_every_table_has_a_word_per_value(void **state)
{
    (void)state;
    check_words(mlsim_precision_names, MLSIM_PRECISION_N);
    check_words(mlsim_kind_names, MLSIM_KIND_N);
    check_words(mlsim_topology_names, MLSIM_TOPOLOGY_N);
    check_words(mlsim_link_type_names, MLSIM_LINK_N);
    check_words(mlsim_mode_names, MLSIM_MODE_N);
    check_words(mlsim_model_type_names, MLSIM_MODEL_N);
    check_words(mlsim_position_names, MLSIM_POSITION_N);
    check_words(mlsim_recompute_names, MLSIM_RECOMPUTE_N);
    check_words(mlsim_attention_names, MLSIM_ATTENTION_N);
    check_words(mlsim_optimizer_names, MLSIM_OPTIMIZER_N);
    check_words(mlsim_schedule_names, MLSIM_SCHEDULE_N);
    check_words(mlsim_sharding_names, MLSIM_SHARD_N);
    check_words(mlsim_counting_names, MLSIM_COUNTING_N);
    check_words(mlsim_bool_names, MLSIM_BOOL_N);
    check_words(mlsim_collective_op_names, MLSIM_COLL_N);
    check_words(mlsim_group_names, MLSIM_GROUP_N);
}

static void test_words_match_values(void **state)
{
    (void)state;
    /* the words scenario files use (README, scenarios/), against the values the engine tests */
    assert_string_equal(mlsim_precision_names[MLSIM_PRECISION_BF16], "bf16");
    assert_string_equal(mlsim_schedule_names[MLSIM_SCHEDULE_1F1B], "1f1b");
    assert_string_equal(mlsim_sharding_names[MLSIM_SHARD_ZERO3], "zero3");
    assert_string_equal(mlsim_mode_names[MLSIM_MODE_INFERENCE], "inference");
    assert_string_equal(mlsim_model_type_names[MLSIM_MODEL_MLP], "mlp");
    assert_string_equal(mlsim_link_type_names[MLSIM_LINK_INFINIBAND], "infiniband");
    assert_string_equal(mlsim_group_names[MLSIM_GROUP_DP], "dp");
    assert_int_equal(MLSIM_BOOL_TRUE, 1); /* flags are stored as 0/1 */
    assert_int_equal(MLSIM_SHARD_NONE, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_table_has_a_word_per_value),
        cmocka_unit_test(test_words_match_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

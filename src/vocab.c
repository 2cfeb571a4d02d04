/*
 * The words of the vocabulary's enums, made from the same tables as the enums (vocab.h).
 */
#include "mlsim/vocab.h"

#include <stddef.h>

#define WORD(name, word) word,

const char *const mlsim_precision_names[] = {MLSIM_PRECISION_TABLE(WORD) NULL};
const char *const mlsim_kind_names[] = {MLSIM_KIND_TABLE(WORD) NULL};
const char *const mlsim_topology_names[] = {MLSIM_TOPOLOGY_TABLE(WORD) NULL};
const char *const mlsim_link_type_names[] = {MLSIM_LINK_TABLE(WORD) NULL};
const char *const mlsim_mode_names[] = {MLSIM_MODE_TABLE(WORD) NULL};
const char *const mlsim_model_type_names[] = {MLSIM_MODEL_TABLE(WORD) NULL};
const char *const mlsim_position_names[] = {MLSIM_POSITION_TABLE(WORD) NULL};
const char *const mlsim_recompute_names[] = {MLSIM_RECOMPUTE_TABLE(WORD) NULL};
const char *const mlsim_attention_names[] = {MLSIM_ATTENTION_TABLE(WORD) NULL};
const char *const mlsim_optimizer_names[] = {MLSIM_OPTIMIZER_TABLE(WORD) NULL};
const char *const mlsim_schedule_names[] = {MLSIM_SCHEDULE_TABLE(WORD) NULL};
const char *const mlsim_sharding_names[] = {MLSIM_SHARD_TABLE(WORD) NULL};
const char *const mlsim_cp_algo_names[] = {MLSIM_CP_ALGO_TABLE(WORD) NULL};
const char *const mlsim_dist_names[] = {MLSIM_DIST_TABLE(WORD) NULL};
const char *const mlsim_framework_names[] = {MLSIM_FRAMEWORK_TABLE(WORD) NULL};
const char *const mlsim_counting_names[] = {MLSIM_COUNTING_TABLE(WORD) NULL};
const char *const mlsim_bool_names[] = {MLSIM_BOOL_TABLE(WORD) NULL};
const char *const mlsim_bool_negated_names[] = {"true", "false", NULL};
const char *const mlsim_collective_op_names[] = {MLSIM_COLL_TABLE(WORD) NULL};
const char *const mlsim_group_names[] = {MLSIM_GROUP_TABLE(WORD) NULL};

/* each words table has one word per value and its NULL */
_Static_assert(sizeof mlsim_mode_names / sizeof mlsim_mode_names[0] == MLSIM_MODE_N + 1,
               "mode words");
_Static_assert(sizeof mlsim_precision_names / sizeof mlsim_precision_names[0] ==
                   MLSIM_PRECISION_N + 1,
               "precision words");
_Static_assert(sizeof mlsim_group_names / sizeof mlsim_group_names[0] == MLSIM_GROUP_N + 1,
               "group words");

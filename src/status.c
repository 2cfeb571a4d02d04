/* Names and messages of the status codes, generated from the one table in status.h. */
#include "mlsim/status.h"

static const char *const messages[] = {
#define MLSIM_STATUS_MSG(name, msg) msg,
    MLSIM_STATUS_TABLE(MLSIM_STATUS_MSG)
#undef MLSIM_STATUS_MSG
};

static const char *const names[] = {
#define MLSIM_STATUS_NAME(name, msg) #name,
    MLSIM_STATUS_TABLE(MLSIM_STATUS_NAME)
#undef MLSIM_STATUS_NAME
};

#define N_STATUS (sizeof messages / sizeof messages[0])

const char *mlsim_status_message(enum mlsim_status status)
{
    return (unsigned)status < N_STATUS ? messages[status] : "unknown status";
}

const char *mlsim_status_name(enum mlsim_status status)
{
    return (unsigned)status < N_STATUS ? names[status] : "UNKNOWN";
}

/* placeholder: replaced below */
#include "cli.h"
int mlsim_cli_fields(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return MLSIM_EXIT_USAGE;
}

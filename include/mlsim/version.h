/* The version of mlsim, printed by `mlsim --version` and stamped into JSON output. */
#ifndef MLSIM_VERSION_H
#define MLSIM_VERSION_H

#define MLSIM_VERSION "0.1.0"

#endif

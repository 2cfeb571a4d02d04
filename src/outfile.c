/*
 * Safe output files. The temporary file is made by mkstemp in the target's own folder, so the
 * final rename stays on one file system and is atomic: a reader sees the old file or the whole
 * new one, never half of it. The target is checked with lstat (a symbolic link is not followed)
 * when opening and again just before the rename.
 */
#define _POSIX_C_SOURCE 200809L
#include "mlsim/outfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct mlsim_outfile {
    FILE *f;
    char *path; /* NULL for standard output */
    char *tmp;
};

/* The temporary file's name: hidden, fixed-length, whatever the target's name. */
static const char tmp_name[] = ".mlsim-out.XXXXXX";

int mlsim_outfile_is_stdout(const char *path)
{
    return strcmp(path, "-") == 0 || strcmp(path, "/dev/stdout") == 0;
}

/* Check the target before writing: absent, or a regular file that no input is. */
static enum mlsim_status check_target(const char *path, const char *const *inputs, size_t n_inputs,
                                      mode_t *mode, const char **why)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno != ENOENT) {
            *why = strerror(errno);
            return MLSIM_ERR_IO;
        }
        /* a new file gets the mode fopen would give it; umask can only be read by setting it */
        mode_t mask = umask(022);
        umask(mask);
        *mode = (mode_t)0666 & ~mask;
        return MLSIM_OK;
    }
    if (!S_ISREG(st.st_mode)) {
        *why = "is not a regular file (a device, a FIFO, a folder or a symbolic link); "
               "not written";
        return MLSIM_ERR_INPUT;
    }
    for (size_t i = 0; i < n_inputs; i++) {
        struct stat in;
        if (inputs[i] && stat(inputs[i], &in) == 0 && in.st_dev == st.st_dev &&
            in.st_ino == st.st_ino) {
            *why = "is an input of this command; not overwritten";
            return MLSIM_ERR_INPUT;
        }
    }
    *mode = st.st_mode & 07777;
    return MLSIM_OK;
}

/* DIR/.mlsim-out.XXXXXX for PATH in DIR (or in the current folder). NULL if malloc fails. */
static char *tmp_template(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
    char *t = malloc(dir + sizeof tmp_name);
    if (t) {
        memcpy(t, path, dir);
        memcpy(t + dir, tmp_name, sizeof tmp_name);
    }
    return t;
}

static void destroy(struct mlsim_outfile *of)
{
    free(of->path);
    free(of->tmp);
    free(of);
}

enum mlsim_status mlsim_outfile_open(const char *path, const char *const *inputs, size_t n_inputs,
                                     struct mlsim_outfile **of, const char **why)
{
    *of = NULL;
    *why = "";
    struct mlsim_outfile *o = calloc(1, sizeof *o);
    if (!o) {
        *why = "out of memory";
        return MLSIM_ERR_NOMEM;
    }
    if (mlsim_outfile_is_stdout(path)) {
        o->f = stdout;
        *of = o;
        return MLSIM_OK;
    }
    mode_t mode = 0;
    enum mlsim_status st = check_target(path, inputs, n_inputs, &mode, why);
    if (st != MLSIM_OK) {
        free(o);
        return st;
    }
    o->path = malloc(strlen(path) + 1);
    o->tmp = tmp_template(path);
    if (!o->path || !o->tmp) {
        destroy(o);
        *why = "out of memory";
        return MLSIM_ERR_NOMEM;
    }
    memcpy(o->path, path, strlen(path) + 1);
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        *why = strerror(errno);
        destroy(o);
        return MLSIM_ERR_IO;
    }
    o->f = fchmod(fd, mode) == 0 ? fdopen(fd, "w") : NULL;
    if (!o->f) {
        *why = errno == ENOMEM ? "out of memory" : strerror(errno);
        st = errno == ENOMEM ? MLSIM_ERR_NOMEM : MLSIM_ERR_IO;
        close(fd);
        unlink(o->tmp);
        destroy(o);
        return st;
    }
    *of = o;
    return MLSIM_OK;
}

FILE *mlsim_outfile_stream(const struct mlsim_outfile *of)
{
    return of->f;
}

enum mlsim_status mlsim_outfile_commit(struct mlsim_outfile *of, const char **why)
{
    *why = "";
    if (!of->path) { /* standard output: the caller's stream, flushed but not closed */
        int bad = fflush(of->f) != 0 || ferror(of->f);
        destroy(of);
        if (bad) {
            *why = "cannot write to standard output";
            return MLSIM_ERR_IO;
        }
        return MLSIM_OK;
    }
    int bad = ferror(of->f);
    if (fclose(of->f) != 0 || bad) {
        *why = "cannot write (disk full?)";
        unlink(of->tmp);
        destroy(of);
        return MLSIM_ERR_IO;
    }
    struct stat st;
    enum mlsim_status status = MLSIM_OK;
    /* something may have been put in the target's place while the output was being written */
    if (lstat(of->path, &st) == 0 && !S_ISREG(st.st_mode)) {
        *why = "became a file that is not a regular one; not written";
        status = MLSIM_ERR_IO;
    } else if (rename(of->tmp, of->path) != 0) {
        *why = strerror(errno);
        status = MLSIM_ERR_IO;
    }
    if (status != MLSIM_OK)
        unlink(of->tmp);
    destroy(of);
    return status;
}

void mlsim_outfile_discard(struct mlsim_outfile *of)
{
    if (!of)
        return;
    if (of->path) {
        fclose(of->f);
        unlink(of->tmp);
    }
    destroy(of);
}

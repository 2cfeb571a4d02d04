/*
 * Growing arrays and reading files. A file is checked to be a regular file before it is read, on
 * the descriptor that is then read (no window between the check and the read), and read up to
 * its limit, so neither a FIFO nor /dev/zero can hang mlsim or take its memory.
 */
#define _POSIX_C_SOURCE 200809L
#include "mlsim/mem.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

enum mlsim_status mlsim_mem_grow(void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return MLSIM_OK;
    size_t c = *cap < 8 ? 8 : *cap;
    while (c < need) {
        if (c > SIZE_MAX / 2)
            return MLSIM_ERR_NOMEM;
        c *= 2;
    }
    if (size == 0 || c > SIZE_MAX / size)
        return MLSIM_ERR_NOMEM;
    void *p = realloc(*arr, c * size);
    if (!p)
        return MLSIM_ERR_NOMEM;
    *arr = p;
    *cap = c;
    return MLSIM_OK;
}

enum mlsim_status mlsim_mem_read_file(const char *path, size_t max, char **text, size_t *len)
{
    *text = NULL;
    *len = 0;
    /* O_NONBLOCK: opening a FIFO with no writer must not wait; a regular file ignores it */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return MLSIM_ERR_IO;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return MLSIM_ERR_IO;
    }
    if ((uintmax_t)st.st_size > (uintmax_t)max) {
        close(fd);
        return MLSIM_ERR_RANGE;
    }
    /* +2: the NUL, and room for the read that sees the end (a file of MAX bytes is read) */
    size_t cap = (size_t)st.st_size + 2, n = 0;
    char *buf = malloc(cap);
    enum mlsim_status status = buf ? MLSIM_OK : MLSIM_ERR_NOMEM;
    while (status == MLSIM_OK) {
        if (n + 1 == cap) { /* the file grew while being read */
            if (cap > max) {
                status = MLSIM_ERR_RANGE;
                break;
            }
            void *grown = buf;
            status = mlsim_mem_grow(&grown, &cap, cap + 1, 1);
            buf = grown;
            if (status != MLSIM_OK)
                break;
        }
        ssize_t got = read(fd, buf + n, cap - n - 1);
        if (got < 0)
            status = MLSIM_ERR_IO;
        else if (got == 0)
            break;
        else
            n += (size_t)got;
    }
    close(fd);
    if (status != MLSIM_OK) {
        free(buf);
        return status;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return MLSIM_OK;
}

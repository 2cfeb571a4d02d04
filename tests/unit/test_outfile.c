/* Safe output files: every kind of target, in a fresh temporary folder. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "mlsim/outfile.h"

struct dir {
    char root[64];
    char path[128];
};

static int setup(void **state)
{
    struct dir *d = calloc(1, sizeof *d);
    snprintf(d->root, sizeof d->root, "/tmp/mlsim-outfile-XXXXXX");
    if (!mkdtemp(d->root))
        return -1;
    *state = d;
    return 0;
}

/* Remove every entry of the folder (none is a folder but "sub"), then the folder. */
static int teardown(void **state)
{
    struct dir *d = *state;
    DIR *dir = opendir(d->root);
    struct dirent *e;
    char p[400];
    while (dir && (e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", d->root, e->d_name);
        if (unlink(p) != 0)
            rmdir(p);
    }
    if (dir)
        closedir(dir);
    rmdir(d->root);
    free(d);
    return 0;
}

static const char *at(struct dir *d, const char *name)
{
    snprintf(d->path, sizeof d->path, "%s/%s", d->root, name);
    return d->path;
}

/* Entries in the folder: a temporary file left behind shows up here. */
static int entries(const struct dir *d)
{
    DIR *dir = opendir(d->root);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(dir);
    return n;
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void expect_content(const char *path, const char *want)
{
    char buf[256] = {0};
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    assert_string_equal(buf, want);
}

static enum mlsim_status write_all(const char *path, const char *input, const char *text)
{
    struct mlsim_outfile *of = NULL;
    const char *why = NULL;
    enum mlsim_status st = mlsim_outfile_open(path, &input, 1, &of, &why);
    assert_non_null(why);
    if (st != MLSIM_OK) {
        assert_null(of);
        assert_true(why[0] != '\0');
        return st;
    }
    fputs(text, mlsim_outfile_stream(of));
    return mlsim_outfile_commit(of, &why);
}

static void test_new_file(void **state)
{
    struct dir *d = *state;
    mode_t mask = umask(027);
    assert_int_equal(write_all(at(d, "new.json"), NULL, "hello\n"), MLSIM_OK);
    umask(mask);
    expect_content(at(d, "new.json"), "hello\n");
    struct stat st;
    assert_int_equal(stat(at(d, "new.json"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640); /* 0666 less the umask, as fopen would make it */
    assert_int_equal(entries(d), 1);           /* no temporary file left */
}

static void test_replaces_regular_file_keeping_mode(void **state)
{
    struct dir *d = *state;
    put(at(d, "old.txt"), "old contents, longer than the new\n");
    chmod(at(d, "old.txt"), 0604);
    assert_int_equal(write_all(at(d, "old.txt"), NULL, "new\n"), MLSIM_OK);
    expect_content(at(d, "old.txt"), "new\n");
    struct stat st;
    assert_int_equal(stat(at(d, "old.txt"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0604);
    assert_int_equal(entries(d), 1);
}

static void test_refuses_input(void **state)
{
    struct dir *d = *state;
    char in[128];
    snprintf(in, sizeof in, "%s", at(d, "scenario.yaml"));
    put(in, "model: x\n");
    assert_int_equal(write_all(in, in, "trace"), MLSIM_ERR_INPUT);
    expect_content(in, "model: x\n");
    /* the same file under another name: a hard link, and a path through ".." */
    assert_int_equal(link(in, at(d, "hard.yaml")), 0);
    assert_int_equal(write_all(at(d, "hard.yaml"), in, "trace"), MLSIM_ERR_INPUT);
    char odd[160];
    snprintf(odd, sizeof odd, "%s/../%s/scenario.yaml", d->root, strrchr(d->root, '/') + 1);
    assert_int_equal(write_all(odd, in, "trace"), MLSIM_ERR_INPUT);
    expect_content(in, "model: x\n");
    assert_int_equal(entries(d), 2);
}

static void test_refuses_fifo_symlink_folder_device(void **state)
{
    struct dir *d = *state;
    assert_int_equal(mkfifo(at(d, "fifo"), 0600), 0);
    assert_int_equal(write_all(at(d, "fifo"), NULL, "x"), MLSIM_ERR_INPUT);
    assert_int_equal(symlink("/dev/stdout", at(d, "to-stdout")), 0);
    assert_int_equal(write_all(at(d, "to-stdout"), NULL, "x"), MLSIM_ERR_INPUT);
    put(at(d, "target"), "kept\n");
    assert_int_equal(symlink("target", at(d, "to-file")), 0);
    assert_int_equal(write_all(at(d, "to-file"), NULL, "x"), MLSIM_ERR_INPUT);
    expect_content(at(d, "target"), "kept\n");
    assert_int_equal(mkdir(at(d, "sub"), 0700), 0);
    assert_int_equal(write_all(at(d, "sub"), NULL, "x"), MLSIM_ERR_INPUT);
    /* A device node, only where a regression could not replace it: root may rename over
     * /dev/null (an old `--trace /dev/null` did), another user may not. Root has the FIFO and
     * the symbolic links above, refused by the same test. */
    if (geteuid() != 0)
        assert_int_equal(write_all("/dev/null", NULL, "x"), MLSIM_ERR_INPUT);
    assert_int_equal(entries(d), 5);
}

static void test_missing_folder(void **state)
{
    struct dir *d = *state;
    assert_int_equal(write_all(at(d, "no/such/file"), NULL, "x"), MLSIM_ERR_IO);
    assert_int_equal(entries(d), 0);
}

static void test_discard_keeps_target(void **state)
{
    struct dir *d = *state;
    put(at(d, "keep"), "before\n");
    struct mlsim_outfile *of = NULL;
    const char *why = NULL;
    assert_int_equal(mlsim_outfile_open(at(d, "keep"), NULL, 0, &of, &why), MLSIM_OK);
    fputs("half", mlsim_outfile_stream(of));
    assert_int_equal(entries(d), 2); /* the temporary file sits beside the target */
    mlsim_outfile_discard(of);
    mlsim_outfile_discard(NULL);
    expect_content(at(d, "keep"), "before\n");
    assert_int_equal(entries(d), 1);
}

static void test_stdout(void **state)
{
    (void)state;
    assert_true(mlsim_outfile_is_stdout("-"));
    assert_true(mlsim_outfile_is_stdout("/dev/stdout"));
    assert_false(mlsim_outfile_is_stdout("./-"));
    struct mlsim_outfile *of = NULL;
    const char *why = NULL;
    assert_int_equal(mlsim_outfile_open("-", NULL, 0, &of, &why), MLSIM_OK);
    assert_ptr_equal(mlsim_outfile_stream(of), stdout);
    assert_int_equal(mlsim_outfile_commit(of, &why), MLSIM_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replaces_regular_file_keeping_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_fifo_symlink_folder_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_discard_keeps_target, setup, teardown),
        cmocka_unit_test(test_stdout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

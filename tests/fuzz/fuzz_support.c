/* SPDX-License-Identifier: MIT */
/* The harnesses' private temp dir (fuzz_support.h). */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_support.h"

static char dir[256];

static int
entry_remove(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    remove(path);
    return 0;
}

/* Removes the dir and all in it (fuzz_store makes a subdirectory). A
 * crash skips this: the dir is left for the crash to be looked into. */
static void
dir_remove(void)
{
    nftw(dir, entry_remove, 8, FTW_DEPTH | FTW_PHYS);
}

const char *
fuzz_dir(void)
{
    struct stat st;
    const char *base = getenv("TMPDIR");

    if (dir[0] != '\0')
        return dir;
    if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0)
        base = "/dev/shm";
    else if (base == NULL || base[0] != '/')
        base = "/tmp";
    if ((size_t)snprintf(dir, sizeof dir, "%s/pam_jwt-fuzz.XXXXXX", base) >= sizeof dir ||
        mkdtemp(dir) == NULL) {
        perror("fuzz_dir");
        abort();
    }
    atexit(dir_remove);
    return dir;
}

void
fuzz_path(const char *name, char *out, size_t size)
{
    if ((size_t)snprintf(out, size, "%s/%s", fuzz_dir(), name) >= size)
        abort();
}

void
fuzz_file_put(const char *name, const void *data, size_t size, mode_t mode)
{
    char path[512], tmp[520];
    int fd;

    fuzz_path(name, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.new", path);
    unlink(tmp);
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) < 0 ||
        (size > 0 && write(fd, data, size) != (ssize_t)size) || fchmod(fd, mode) != 0 ||
        close(fd) != 0 || rename(tmp, path) != 0) {
        perror("fuzz_file_put");
        abort();
    }
}

char *
fuzz_file_get(const char *name, size_t *size)
{
    char path[512], *buf;
    struct stat st;
    int fd;

    fuzz_path(name, path, sizeof path);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return NULL;
    if (fstat(fd, &st) != 0 || (buf = malloc((size_t)st.st_size + 1)) == NULL ||
        read(fd, buf, (size_t)st.st_size) != st.st_size)
        abort();
    close(fd);
    buf[st.st_size] = '\0';
    *size = (size_t)st.st_size;
    return buf;
}

FILE *
fuzz_stderr_begin(char **buf, size_t *len)
{
    FILE *saved = stderr, *mem = open_memstream(buf, len);

    if (mem == NULL)
        abort();
    stderr = mem;
    return saved;
}

void
fuzz_stderr_end(FILE *saved, char **buf, size_t *len)
{
    FILE *mem = stderr;
    const char *b;

    stderr = saved;
    if (fclose(mem) != 0) /* sets *buf and *len */
        abort();
    b = *buf;
    if (*len > 0 && b[*len - 1] != '\n')
        abort();
    for (size_t i = 0; i < *len; i++)
        if (((unsigned char)b[i] < 0x20 && b[i] != '\n') || b[i] == 0x7f)
            abort();
    free(*buf);
    *buf = NULL;
}

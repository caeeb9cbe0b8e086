/* SPDX-License-Identifier: MIT */
/* `jwt-helper doctor`: reads one small text file that is not a secret and
 * grants nothing by itself (a stack file, a sudoers file) whole. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doctor.h"

/* Reads fd up to cap plus one byte, so that a larger file shows as larger. */
static int
read_fd(int fd, size_t cap, char **text, size_t *len)
{
    char *buf = malloc(cap + 2);
    size_t n = 0;
    ssize_t got;

    if (buf == NULL)
        return -1;
    while (n < cap + 1 && (got = read(fd, buf + n, cap + 1 - n)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            free(buf);
            return -1;
        }
        n += (size_t)got;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

int
doctor_text_read(const char *path, size_t cap, char **text, size_t *len)
{
    struct stat st;
    int fd, rc = -1, err;

    /* O_NONBLOCK: a FIFO put in its place must not hang the run */
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
        return -1;
    if (fstat(fd, &st) != 0)
        rc = -1;
    else if (!S_ISREG(st.st_mode))
        errno = EINVAL;
    else
        rc = read_fd(fd, cap, text, len);
    err = errno;
    close(fd);
    errno = err;
    return rc;
}

/* SPDX-License-Identifier: MIT */
/* Tests for jwt_file_read: type, owner, mode and size are checked on the open file. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "jwt.h"

static char dir[64];

/* Returns a path inside the test directory (static buffer: use at once). */
static const char *
path_in_dir(const char *name)
{
    static char path[128];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return path;
}

/* Creates (or replaces) name holding text[0..len) with mode, set by fchmod
 * so the umask cannot soften it. Returns its path. */
static const char *
write_file(const char *name, const char *text, size_t len, mode_t mode)
{
    const char *path = path_in_dir(name);
    int fd;

    unlink(path);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || (len > 0 && write(fd, text, len) != (ssize_t)len) || fchmod(fd, mode) != 0) {
        perror(path);
        exit(99);
    }
    close(fd);
    return path;
}

/* Reads path and returns the result; the text is freed. */
static jwt_result
read_result(const char *path, size_t max, long extra_owner)
{
    char *text = NULL;
    size_t len = 0;
    jwt_result r = jwt_file_read(path, max, extra_owner, &text, &len);

    if (r != JWT_OK && (text != NULL || len != 0))
        r = JWT_ERR_INTERNAL; /* outputs must be cleared on error: make the check fail */
    free(text);
    return r;
}

static void
test_regular(void)
{
    const char *path = write_file("plain", "hello\nworld", 11, 0600);
    char *text = (char *)"x";
    size_t len = 99;

    CHECK_RESULT(jwt_file_read(path, 1024, -1, &text, &len), JWT_OK, "0600 file is read");
    CHECK_INT(len, 11, "its whole length");
    CHECK(text != NULL && memcmp(text, "hello\nworld", 12) == 0, "its bytes, NUL-terminated");
    free(text);

    path = write_file("binary", "a\0b", 3, 0644);
    CHECK_RESULT(jwt_file_read(path, 3, -1, &text, &len), JWT_OK, "0644 file is read");
    CHECK(len == 3 && text != NULL && memcmp(text, "a\0b", 4) == 0, "an embedded NUL is kept");
    free(text);

    path = write_file("empty", "", 0, 0600);
    CHECK_RESULT(jwt_file_read(path, 0, -1, &text, &len), JWT_OK, "empty file with max 0");
    CHECK(len == 0 && text != NULL && text[0] == '\0', "empty file gives an empty string");
    free(text);

    text = (char *)"x";
    len = 99;
    CHECK_RESULT(jwt_file_read(path_in_dir("missing"), 1024, -1, &text, &len), JWT_ERR_FILE_OPEN,
                 "missing file is an open error");
    CHECK_INT(errno, ENOENT, "errno is ENOENT");
    CHECK(text == NULL && len == 0, "outputs cleared on error");
}

static void
test_modes(void)
{
    static const struct {
        mode_t mode;
        jwt_result want;
        const char *what;
    } cases[] = {
        {0400, JWT_OK, "0400 accepted"},
        {0600, JWT_OK, "0600 accepted"},
        {0644, JWT_OK, "0644 accepted (readable by all is fine for public data)"},
        {0755, JWT_OK, "0755 accepted"},
        {0660, JWT_ERR_FILE_UNSAFE, "0660 group-writable refused"},
        {0620, JWT_ERR_FILE_UNSAFE, "0620 group-writable refused"},
        {0666, JWT_ERR_FILE_UNSAFE, "0666 refused"},
        {0602, JWT_ERR_FILE_UNSAFE, "0602 other-writable refused"},
        {0646, JWT_ERR_FILE_UNSAFE, "0646 other-writable refused"},
        {0777, JWT_ERR_FILE_UNSAFE, "0777 refused"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *path = write_file("mode", "data", 4, cases[i].mode);
        CHECK_RESULT(read_result(path, 1024, -1), cases[i].want, cases[i].what);
    }
}

/* Private keys: others may not even read them; the daemon's group may. */
static void
test_secret_modes(void)
{
    static const struct {
        mode_t mode;
        jwt_result want;
        const char *what;
    } cases[] = {
        {0600, JWT_OK, "secret 0600 accepted"},
        {0640, JWT_OK, "secret 0640 accepted (daemon group reads it)"},
        {0644, JWT_ERR_FILE_UNSAFE, "secret 0644 world-readable refused"},
        {0604, JWT_ERR_FILE_UNSAFE, "secret 0604 world-readable refused"},
        {0660, JWT_ERR_FILE_UNSAFE, "secret 0660 group-writable refused"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *path = write_file("secret", "data", 4, cases[i].mode);
        char *out = NULL;
        size_t len = 0;
        jwt_result r = jwt_file_read_secret(path, 1024, -1, &out, &len);
        CHECK_RESULT(r, cases[i].want, cases[i].what);
        CHECK(r == JWT_OK ? (out != NULL && len == 4) : (out == NULL && len == 0),
              "secret read: output matches the result");
        free(out);
    }
}

static void
test_symlink_and_directory(void)
{
    const char *target = write_file("target", "key", 3, 0600);
    char target_copy[128];

    snprintf(target_copy, sizeof(target_copy), "%s", target);
    CHECK_RESULT(read_result(target_copy, 1024, -1), JWT_OK, "symlink target itself is read");
    if (symlink(target_copy, path_in_dir("link")) != 0) {
        perror("symlink");
        exit(99);
    }
    CHECK_RESULT(read_result(path_in_dir("link"), 1024, -1), JWT_ERR_FILE_OPEN,
                 "symlink refused at open");
    CHECK_INT(errno, ELOOP, "O_NOFOLLOW gives ELOOP");

    /* A directory opens O_RDONLY; the descriptor check finds it not regular. */
    if (mkdir(path_in_dir("subdir"), 0755) != 0) {
        perror("mkdir");
        exit(99);
    }
    CHECK_RESULT(read_result(path_in_dir("subdir"), 1024, -1), JWT_ERR_FILE_UNSAFE,
                 "directory refused as unsafe");
}

/* A FIFO planted at a key path must be refused, not block the reader (sshd)
 * forever waiting for a writer: read it in a child with an alarm. */
static void
test_fifo(void)
{
    const char *path = path_in_dir("fifo");
    pid_t pid;
    int status = 0;

    if (mkfifo(path, 0600) != 0) {
        perror("mkfifo");
        exit(99);
    }
    fflush(stdout);
    if ((pid = fork()) < 0) {
        perror("fork");
        exit(99);
    }
    if (pid == 0) {
        alarm(3);
        _exit((int)read_result(path, 1024, -1));
    }
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status), "FIFO without a writer: jwt_file_read returns (does not block)");
    if (WIFSIGNALED(status))
        printf("#   child killed by signal %d (%s)\n", WTERMSIG(status),
               WTERMSIG(status) == SIGALRM ? "alarm: open blocked" : "crash");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == JWT_ERR_FILE_UNSAFE,
          "FIFO refused as unsafe");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) != JWT_OK, "FIFO is never read as a key");
}

static void
test_size(void)
{
    char buf[4097];
    const char *path;

    memset(buf, 'k', sizeof(buf));
    path = write_file("sized", buf, 4096, 0600);
    CHECK_RESULT(read_result(path, 4096, -1), JWT_OK, "size exactly max accepted");
    CHECK_RESULT(read_result(path, 4095, -1), JWT_ERR_FILE_TOO_BIG, "size max+1 refused");
    CHECK_RESULT(read_result(path, 0, -1), JWT_ERR_FILE_TOO_BIG, "max 0 refuses a non-empty file");
    path = write_file("sized", buf, 4097, 0600);
    CHECK_RESULT(read_result(path, 4097, -1), JWT_OK, "4097 bytes with max 4097");
    CHECK_RESULT(read_result(path, 4096, -1), JWT_ERR_FILE_TOO_BIG, "4097 bytes with max 4096");
}

static void
test_owner(void)
{
    const char *path = write_file("owned", "data", 4, 0644);

    CHECK_RESULT(read_result(path, 1024, -1), JWT_OK, "file owned by the euid accepted");
    if (geteuid() != 0) {
        printf("# not root: cannot chown, owner checks skipped\n");
        return;
    }
    if (chown(path, 1, (gid_t)-1) != 0) {
        perror("chown");
        exit(99);
    }
    CHECK_RESULT(read_result(path, 1024, -1), JWT_ERR_FILE_UNSAFE,
                 "file of uid 1 refused without extra_owner");
    CHECK_RESULT(read_result(path, 1024, 1), JWT_OK, "file of uid 1 accepted with extra_owner 1");
    CHECK_RESULT(read_result(path, 1024, 2), JWT_ERR_FILE_UNSAFE,
                 "file of uid 1 refused with extra_owner 2");
    /* chown clears no write bits on a 0644 file; make it group-writable: the
     * trusted extra owner does not excuse the mode. */
    if (chmod(path, 0664) != 0) {
        perror("chmod");
        exit(99);
    }
    CHECK_RESULT(read_result(path, 1024, 1), JWT_ERR_FILE_UNSAFE,
                 "extra owner's group-writable file refused");
}

static void
remove_dir(void)
{
    static const char *const names[] = {"plain", "binary", "empty", "mode",  "target",
                                        "link",  "subdir", "fifo",  "sized", "owned"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (unlink(path_in_dir(names[i])) != 0)
            rmdir(path_in_dir(names[i]));
    rmdir(dir);
}

int
main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/test_jwt_file.XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 99;
    }
    test_regular();
    test_modes();
    test_secret_modes();
    test_symlink_and_directory();
    test_fifo();
    test_size();
    test_owner();
    remove_dir();
    return check_done();
}

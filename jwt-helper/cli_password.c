/* SPDX-License-Identifier: MIT */
/* Reads a password from the terminal with echo off, or one line of stdin. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "secret.h"

/*
 * MUST:
 * 1. The terminal's settings are restored on every path out of a read,
 *    including a signal: a shell left with echo off after ^C is how a
 *    later command's password ends up invisible-but-typed or, worse, an
 *    echoed one ends up on screen.
 * 2. --password-stdin consumes exactly one line and not one byte more:
 *    `passwd --password-stdin` reads the current and the new password as two
 *    lines of one stream, so no buffered reader (stdio) touches stdin.
 * 3. Every buffer that held a password is wiped before it is freed.
 */

/* One byte more than the limit, so an over-long line is seen as such. */
#define PW_BUF (CLI_MAX_PASSWORD + 1)

/* The signals that interrupt a terminal read: each restores the terminal
 * before it takes its usual effect (readpassphrase(3)'s behaviour). */
static const int tty_signals[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGTSTP, SIGTTIN, SIGTTOU};
#define N_TTY_SIGNALS (sizeof(tty_signals) / sizeof(tty_signals[0]))

static volatile sig_atomic_t caught_signal;

static void
note_signal(int sig)
{
    caught_signal = sig;
}

enum line_result { LINE_OK, LINE_EOF, LINE_TOO_LONG, LINE_NUL, LINE_ERROR, LINE_INTERRUPTED };

/* Reads one line from fd a byte at a time into buf (PW_BUF bytes), without
 * its "\n"; a last line without "\n" counts. An over-long line is read no
 * further than the buffer. Stops at the first signal caught_signal notes. */
static enum line_result
read_line(int fd, char *buf, size_t *len)
{
    size_t n = 0;
    ssize_t got;

    *len = 0;
    for (;;) {
        if (caught_signal != 0)
            return LINE_INTERRUPTED;
        got = read(fd, buf + n, 1);
        if (got < 0 && errno == EINTR) {
            if (caught_signal != 0)
                return LINE_INTERRUPTED;
            continue;
        }
        if (got < 0)
            return LINE_ERROR;
        if (got == 0) {
            if (n == 0)
                return LINE_EOF;
            break;
        }
        if (buf[n] == '\n')
            break;
        if (n == PW_BUF - 1)
            return LINE_TOO_LONG; /* buf[PW_BUF - 1] holds a byte: the caller wipes buf */
        n++;
    }
    buf[n] = '\0';
    *len = n;
    return memchr(buf, '\0', n) != NULL ? LINE_NUL : LINE_OK;
}

/* Copies buf[0..len) into a new NUL-terminated buffer for the caller. */
static int
hand_out(const char *buf, size_t len, char **out, size_t *out_len)
{
    char *copy = malloc(len + 1);

    if (copy == NULL) {
        fprintf(stderr, "jwt-helper: out of memory\n");
        return -1;
    }
    memcpy(copy, buf, len);
    copy[len] = '\0';
    *out = copy;
    *out_len = len;
    return 0;
}

/* Says why a line was refused; never shows any of its bytes. */
static int
line_refused(enum line_result r, const char *source)
{
    switch (r) {
    case LINE_EOF:
        fprintf(stderr, "jwt-helper: no password on %s\n", source);
        break;
    case LINE_TOO_LONG:
        fprintf(stderr, "jwt-helper: password longer than %d bytes\n", CLI_MAX_PASSWORD);
        break;
    case LINE_NUL:
        fprintf(stderr, "jwt-helper: password contains a NUL byte\n");
        break;
    case LINE_INTERRUPTED:
        fprintf(stderr, "jwt-helper: interrupted\n");
        break;
    default:
        fprintf(stderr, "jwt-helper: cannot read the password from %s: %s\n", source,
                strerror(errno));
        break;
    }
    return -1;
}

static int
read_stdin_line(char **out, size_t *len)
{
    char buf[PW_BUF];
    size_t n = 0;
    enum line_result r;
    int rc;

    caught_signal = 0;
    r = read_line(STDIN_FILENO, buf, &n);
    if (r == LINE_OK && n == 0)
        r = LINE_EOF; /* an empty line is no password */
    rc = r == LINE_OK ? hand_out(buf, n, out, len) : line_refused(r, "stdin");
    sodium_memzero(buf, sizeof(buf));
    return rc;
}

/* ---- the terminal ---- */

struct tty_state {
    int fd;
    struct termios saved;
    struct sigaction old[N_TTY_SIGNALS];
};

static void
catch_signals(struct tty_state *t)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = note_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: the read must return EINTR */
    caught_signal = 0;
    for (size_t i = 0; i < N_TTY_SIGNALS; i++) {
        /* A signal the caller ignores (nohup, a job without a terminal's
         * ^C) stays ignored rather than starting to end the read. */
        if (sigaction(tty_signals[i], NULL, &t->old[i]) == 0 && t->old[i].sa_handler != SIG_IGN)
            sigaction(tty_signals[i], &sa, NULL);
    }
}

static void
release_signals(const struct tty_state *t)
{
    for (size_t i = 0; i < N_TTY_SIGNALS; i++)
        sigaction(tty_signals[i], &t->old[i], NULL);
}

/* Turns echo off; the caller restores t->saved. */
static int
echo_off(struct tty_state *t)
{
    struct termios quiet = t->saved;

    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
    quiet.c_lflag |= ICANON;
    /* TCSAFLUSH drops typeahead, which may have been typed before the
     * prompt, echoed, and so is not a secret anyone meant to send. */
    return tcsetattr(t->fd, TCSAFLUSH, &quiet);
}

static void
echo_restore(const struct tty_state *t)
{
    while (tcsetattr(t->fd, TCSAFLUSH, &t->saved) != 0 && errno == EINTR)
        ;
}

static void
tty_write(int fd, const char *s)
{
    size_t len = strlen(s);

    while (len > 0) {
        ssize_t w = write(fd, s, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        len -= (size_t)w;
    }
}

/* Lets a signal that interrupted the read take its course with the
 * terminal as it was. Returns true when the read should start again (a
 * stop signal: the process has been continued). */
static bool
deliver_signal(const struct tty_state *t, int sig)
{
    sigset_t one, old;

    release_signals(t);
    sigemptyset(&one);
    sigaddset(&one, sig);
    sigprocmask(SIG_UNBLOCK, &one, &old);
    raise(sig); /* terminates, stops, or is ignored/handled as the caller set it up */
    sigprocmask(SIG_SETMASK, &old, NULL);
    return sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* One prompt and one line from the terminal t->fd with echo off. */
static enum line_result
tty_read(struct tty_state *t, const char *prompt, char *buf, size_t *len)
{
    enum line_result r;

    for (;;) {
        catch_signals(t);
        /* Echo goes off before the prompt shows: whatever is typed once
         * the prompt is visible is never echoed. */
        if (echo_off(t) != 0) {
            release_signals(t);
            return LINE_ERROR;
        }
        tty_write(t->fd, prompt);
        r = read_line(t->fd, buf, len);
        echo_restore(t);
        tty_write(t->fd, "\n"); /* the user's Enter was not echoed */
        if (r != LINE_INTERRUPTED) {
            release_signals(t);
            return r;
        }
        sodium_memzero(buf, PW_BUF);
        if (!deliver_signal(t, caught_signal))
            return r;
    }
}

static int
tty_open(struct tty_state *t)
{
    t->fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (t->fd < 0 || tcgetattr(t->fd, &t->saved) != 0) {
        fprintf(stderr,
                "jwt-helper: no terminal to ask for the password on (%s); "
                "use --password-stdin\n",
                strerror(errno));
        if (t->fd >= 0)
            close(t->fd);
        return -1;
    }
    return 0;
}

static int
read_tty_password(struct tty_state *t, const char *prompt, char **out, size_t *len)
{
    char buf[PW_BUF];
    size_t n = 0;
    enum line_result r;
    int rc;

    r = tty_read(t, prompt, buf, &n);
    if (r == LINE_OK && n == 0)
        r = LINE_EOF;
    rc = r == LINE_OK ? hand_out(buf, n, out, len) : line_refused(r, "the terminal");
    sodium_memzero(buf, sizeof(buf));
    return rc;
}

int
cli_password_read(const char *prompt, int from_stdin, char **out, size_t *len)
{
    struct tty_state t;
    int rc;

    *out = NULL;
    *len = 0;
    if (from_stdin)
        return read_stdin_line(out, len);
    if (tty_open(&t) != 0)
        return -1;
    rc = read_tty_password(&t, prompt, out, len);
    close(t.fd);
    return rc;
}

int
cli_password_read_new(int from_stdin, char **out, size_t *len)
{
    struct tty_state t;
    char *first = NULL, *second = NULL;
    size_t first_len = 0, second_len = 0;
    int rc = -1;

    *out = NULL;
    *len = 0;
    if (from_stdin)
        return read_stdin_line(out, len);
    if (tty_open(&t) != 0)
        return -1;
    if (read_tty_password(&t, "New password: ", &first, &first_len) != 0 ||
        read_tty_password(&t, "Retype new password: ", &second, &second_len) != 0)
        goto out;
    if (first_len != second_len || sodium_memcmp(first, second, first_len) != 0) {
        fprintf(stderr, "jwt-helper: the passwords do not match\n");
        goto out;
    }
    *out = first;
    *len = first_len;
    first = NULL;
    rc = 0;
out:
    secret_free(first, first_len);
    secret_free(second, second_len);
    close(t.fd);
    return rc;
}

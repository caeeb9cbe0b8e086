/* SPDX-License-Identifier: MIT */
/* jwt-helperd's entry point: options, start-up in a fixed order, the loop.
 *
 * MUST (the order of start-up):
 * 1. Load config and keys (helperd_state_load) while still root: the keys
 *    are root:_jwt-helper 0640.
 * 2. Take the socket while still root: /run/jwt-helper is root's.
 * 3. Drop privileges (helperd_privdrop) before any request is read, and
 *    make the process non-dumpable: it holds the signing key.
 * 4. Detach (without -f) only after all that, so every start-up failure
 *    reaches the terminal and the exit status.
 * 5. Confine (helperd_confine: Landlock, seccomp) after the detach, since
 *    a confined process may not fork, and before helperd_loop_run starts
 *    the worker threads, so they are confined too. A failure there is
 *    logged and the daemon exits 1 (after a detach: syslog only).
 * 6. Start threads only in the process that serves (helperd_loop_run):
 *    threads do not survive fork.
 * 7. SIGHUP, SIGTERM and SIGINT are blocked from the first line: start-up
 *    (the dummy argon2id hash) takes a moment, and a signal then would
 *    kill the daemon by its default action (systemd does not restart a
 *    death by SIGHUP). Blocked, they wait for the loop's signalfd: an
 *    early SIGHUP is a reload once started, an early SIGTERM a clean
 *    exit. Without -f the parent that received them exits anyway. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "helperd.h"
#include "helperd_confine.h"
#include "helperd_listen.h"
#include "helperd_loop.h"
#include "helperd_privdrop.h"

#define IDENT "jwt-helperd"

struct options {
    bool foreground;
    const char *conf_path;   /* -c; NULL: HELPERD_CONF_DEFAULT_PATH */
    const char *socket_path; /* --socket; NULL: conf->socket */
};

static void
usage(FILE *f)
{
    fputs("usage: jwt-helperd [-f] [-c PATH] [--socket PATH] [--help] [--version]\n"
          "  -f, --foreground   stay in the foreground and log to stderr too\n"
          "  -c, --config PATH  configuration file (must exist; default " HELPERD_CONF_DEFAULT_PATH
          ")\n"
          "  --socket PATH      listen here instead of the configured socket\n"
          "Signals: SIGHUP reloads configuration and keys, SIGTERM finishes requests and exits.\n",
          f);
}

/* Returns -1 to go on, else the exit status. */
static int
parse_args(int argc, char **argv, struct options *o)
{
    enum { OPT_SOCKET = 256, OPT_VERSION };
    /* clang-format off */
    static const struct option longopts[] = {
        {"foreground", no_argument, NULL, 'f'},
        {"config", required_argument, NULL, 'c'},
        {"socket", required_argument, NULL, OPT_SOCKET},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    /* clang-format on */
    int ch;

    memset(o, 0, sizeof(*o));
    while ((ch = getopt_long(argc, argv, "fc:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'f':
            o->foreground = true;
            break;
        case 'c':
            o->conf_path = optarg;
            break;
        case OPT_SOCKET:
            o->socket_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case OPT_VERSION:
            printf("jwt-helperd %s\n", PACKAGE_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, IDENT ": unexpected argument: %s\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    return -1;
}

/* Classic detach: a child in its own session, stdio on /dev/null, cwd "/".
 * The parent exits 0 only once start-up has succeeded (MUST 4). */
static int
detach(void)
{
    pid_t pid;
    int fd;

    if ((pid = fork()) < 0)
        return -1;
    if (pid > 0)
        _exit(0);
    if (setsid() < 0 || chdir("/") != 0)
        return -1;
    if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
        return -1;
    if (dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
        return -1;
    if (fd > STDERR_FILENO)
        close(fd);
    /* stderr is gone: syslog only from here on. */
    closelog();
    openlog(IDENT, LOG_PID, LOG_AUTHPRIV);
    return 0;
}

/* The loop reloads from this path after a chdir("/"): make it absolute. */
static int
absolute_conf_path(const struct options *o, char **out)
{
    *out = NULL;
    if (o->conf_path == NULL || o->conf_path[0] == '/')
        return 0;
    if ((*out = realpath(o->conf_path, NULL)) == NULL) {
        syslog(LOG_ERR, "config %s: %s", o->conf_path, strerror(errno));
        return -1;
    }
    return 0;
}

/* MUST 1-3. Returns 0 with *st and *lis set, else -1 (reported). */
static int
start(const struct options *o, const char *conf_path, struct helperd_state **st,
      struct helperd_listener *lis)
{
    int err_prio = LOG_ERR;
    bool was_root = geteuid() == 0;
    uid_t uid;
    char where[PATH_MAX + 32];

    if (helperd_state_load(conf_path, conf_path != NULL, o->socket_path, helperd_log_report,
                           &err_prio, st) != 0)
        return -1;
    if (helperd_listen_open((*st)->conf->socket, helperd_log_report, &err_prio, lis) != 0)
        return -1;
    if (helperd_privdrop((*st)->conf->user, helperd_log_report, &err_prio, &uid) != 0)
        return -1;
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        syslog(LOG_ERR, "prctl(PR_SET_DUMPABLE): %s", strerror(errno));
        return -1;
    }
    helperd_listen_describe(lis, where, sizeof(where));
    syslog(LOG_INFO, "started: socket %s, running as uid %ld%s", where, (long)uid,
           was_root ? "" : " (started without root: no privilege drop)");
    return 0;
}

/* MUST 7. */
static void
block_loop_signals(void)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    (void)sigprocmask(SIG_BLOCK, &set, NULL);
}

/* MUST 5. */
static int
confine(const struct helperd_loop_opts *lo, const struct helperd_state *st,
        const struct helperd_listener *lis)
{
    struct helperd_confine_paths paths;
    int err_prio = LOG_INFO;

    helperd_confine_paths_of(lo->conf_path, st->conf, lis->dir_fd, &paths);
    return helperd_confine(&paths, helperd_log_report, &err_prio);
}

int
main(int argc, char **argv)
{
    struct options o;
    struct helperd_state *st = NULL;
    struct helperd_listener lis = {.fd = -1, .dir_fd = -1};
    struct helperd_loop_opts lo;
    char *abs_conf = NULL;
    int rc;

    block_loop_signals();
    helperd_listen_close_inherited();
    if ((rc = parse_args(argc, argv, &o)) >= 0)
        return rc;
    umask(077);
    signal(SIGPIPE, SIG_IGN); /* a client gone mid-reply is an error return, not a death */
    /* stderr too until detached, so a failed start is seen where it was typed. */
    openlog(IDENT, LOG_PID | LOG_PERROR, LOG_AUTHPRIV);
    rc = 1;
    if (absolute_conf_path(&o, &abs_conf) != 0 ||
        start(&o, abs_conf != NULL ? abs_conf : o.conf_path, &st, &lis) != 0) {
        syslog(LOG_ERR, "not started");
        goto out;
    }
    if (!o.foreground && detach() != 0) {
        syslog(LOG_ERR, "not started: detaching: %s", strerror(errno));
        goto out;
    }
    /* Under systemd (-f in the unit) stderr is the journal, which syslog
     * lines reach anyway: a copy there would show every line twice. */
    if (o.foreground && getenv("JOURNAL_STREAM") != NULL) {
        closelog();
        openlog(IDENT, LOG_PID, LOG_AUTHPRIV);
    }
    lo.conf_path = abs_conf != NULL ? abs_conf : o.conf_path;
    lo.conf_must_exist = o.conf_path != NULL;
    lo.socket_override = o.socket_path;
    if (confine(&lo, st, &lis) != 0) {
        syslog(LOG_ERR, "not started: could not confine the daemon");
        goto out;
    }
    if (helperd_loop_run(&st, &lis, &lo) == 0) {
        syslog(LOG_INFO, "stopped");
        rc = 0;
    } else {
        syslog(LOG_ERR, "stopped on an error");
    }
out:
    helperd_listen_close(&lis);
    helperd_state_free(st);
    free(abs_conf);
    closelog();
    return rc;
}

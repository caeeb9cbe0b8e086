/* SPDX-License-Identifier: MIT */
/* jwt-helperd's event loop: accepts, frames lines, sends replies, keeps time.
 *
 * MUST:
 * 1. No client can stall another: every socket is non-blocking, the
 *    password work runs on helperd_workers, a client that stops reading or
 *    writing is closed after idle_timeout.
 * 2. One request per connection at a time: while a request is in progress
 *    (job running, reply delayed, reply being written) its socket is not
 *    read, so a client cannot queue work faster than it takes answers.
 * 3. A connection with a job in flight is never freed: the job's tag points
 *    at it until helperd_handle_finish has run.
 * 4. Every buffer that held request or reply bytes (passwords, tokens) is
 *    wiped before it is reused or freed.
 * 5. Bounded memory per client: at most PROTO_MAX_LINE buffered bytes, one
 *    reply; bounded clients: max_clients, max_clients_per_uid; a full
 *    house gives way to a uid holding fewer connections (evict_for).
 *
 * poll(2) rather than epoll: max_clients is at most 4096, the poll set is
 * rebuilt each turn from the connection list, and there is no registration
 * state to keep in step with each connection's phase. */
#define _GNU_SOURCE 1 /* accept4, struct ucred, signalfd */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "helperd_confine.h"
#include "helperd_loop.h"
#include "helperd_workers.h"
#include "secret.h"

#define IN_BUF_FIRST 2048             /* most request lines are well under 1 KiB */
#define SHUTDOWN_GRACE_MS 5000        /* SIGTERM: how long in-flight work may finish */
#define ACCEPT_PAUSE_MS 100           /* out of descriptors: retry accept after this */
#define ACCEPT_BURST 64               /* connections accepted per turn */
#define LINES_PER_TURN 16             /* requests one connection may have answered per turn */
#define REFUSAL_LOG_INTERVAL_MS 60000 /* "too many clients" is logged at most this often */
#define ACCEPT_LOG_INTERVAL_MS 10000  /* so is a failing accept (out of descriptors) */
#define FIXED_FDS 3                   /* signalfd, worker eventfd, listener */

enum phase {
    PH_READ,  /* waiting for a whole request line */
    PH_JOB,   /* a password job runs on a worker */
    PH_DELAY, /* a reply waits for its not_before_ms */
    PH_WRITE, /* a reply is being sent */
};

struct conn {
    int fd;
    struct helperd_peer peer;
    enum phase phase;
    char *in; /* request bytes: wiped (MUST 4) */
    size_t in_len, in_cap;
    size_t scanned;           /* in[0..scanned) holds no "\n" */
    bool eof;                 /* the peer shut down its side */
    struct helperd_reply out; /* the one reply in progress */
    size_t out_sent;
    int64_t last_io_ms; /* for idle_timeout */
    bool more;          /* its line budget ran out with work left */
    bool dead;          /* to be closed by sweep_dead */
};

struct loop {
    struct helperd_state *st;
    struct helperd_listener *lis;
    const struct helperd_loop_opts *opts;
    struct helperd_workers *workers;
    int sfd;
    struct conn **conns;
    size_t n_conns, cap_conns;
    struct pollfd *pfds;
    size_t cap_pfds;
    struct helperd_now now;
    bool stopping;
    int64_t stop_deadline_ms;
    int64_t accept_paused_until_ms;
    int64_t refusal_logged_ms;
    int64_t accept_logged_ms;      /* last "accept:" line; 0: none yet */
    unsigned long accept_failures; /* failed accepts since that line */
    int info_prio;                 /* ctx of helperd_log_report for decisions */
};

void
helperd_log_report(void *ctx, const char *message)
{
    int prio = ctx == NULL ? LOG_INFO : *(const int *)ctx;

    if (strncmp(message, "error: ", 7) == 0)
        prio = LOG_ERR;
    else if (strncmp(message, "warning: ", 9) == 0)
        prio = LOG_WARNING;
    syslog(prio, "%s", message);
}

void
helperd_now_get(struct helperd_now *now)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    now->unix_s = (int64_t)ts.tv_sec;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    now->mono_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
idle_ms(const struct loop *lp)
{
    return (int64_t)lp->st->conf->idle_timeout * 1000;
}

/* The gauges "status" shows; refreshed before every request is answered. */
static void
update_gauges(struct loop *lp)
{
    lp->st->counters[HELPERD_C_CLIENTS] = (int64_t)lp->n_conns;
    lp->st->counters[HELPERD_C_HASHES_QUEUED] = (int64_t)helperd_workers_queued(lp->workers);
}

/* ---- connections ---- */

static void
conn_free(struct conn *c)
{
    if (c == NULL)
        return;
    if (c->fd >= 0)
        close(c->fd);
    secret_free(c->in, c->in_cap);
    helperd_reply_clear(&c->out);
    free(c);
}

/* Sets the reply to send and the phase that sends it. */
static void
conn_set_reply(struct loop *lp, struct conn *c, struct helperd_reply *r)
{
    helperd_reply_clear(&c->out);
    c->out = *r;
    memset(r, 0, sizeof(*r));
    c->out_sent = 0;
    c->phase = c->out.not_before_ms > lp->now.mono_ms ? PH_DELAY : PH_WRITE;
    c->last_io_ms = lp->now.mono_ms;
}

/* A refusal of the loop's own (an oversize line, no memory for a job). */
static void
conn_refuse(struct loop *lp, struct conn *c, enum proto_error e, const char *desc, bool close_after)
{
    struct helperd_reply r;

    memset(&r, 0, sizeof(r));
    helperd_reply_error(e, desc, close_after, &r);
    conn_set_reply(lp, c, &r);
}

/* Removes the first len bytes (one request line) and wipes where they were. */
static void
conn_consume(struct conn *c, size_t len)
{
    memmove(c->in, c->in + len, c->in_len - len);
    sodium_memzero(c->in + c->in_len - len, len);
    c->in_len -= len;
    c->scanned = 0;
}

static void
conn_dispatch(struct loop *lp, struct conn *c, size_t line_len)
{
    struct helperd_reply r;
    struct helperd_job *job = NULL;
    enum helperd_step step;

    memset(&r, 0, sizeof(r));
    update_gauges(lp);
    step = helperd_handle_line(lp->st, &c->peer, c->in, line_len, &lp->now, helperd_log_report,
                               &lp->info_prio, &r, &job);
    conn_consume(c, line_len);
    if (step == HELPERD_STEP_JOB) {
        if (helperd_workers_submit(lp->workers, job, c) == 0) {
            c->phase = PH_JOB;
            return;
        }
        helperd_job_free(job);
        lp->st->counters[HELPERD_C_SERVER_ERROR]++;
        conn_refuse(lp, c, PROTO_E_SERVER_ERROR, "out of memory", false);
        return;
    }
    conn_set_reply(lp, c, &r);
}

/* PH_READ: answers a whole buffered line, or refuses one that cannot fit.
 * Returns true when the phase moved on. */
static bool
conn_take_line(struct loop *lp, struct conn *c)
{
    const char *nl = memchr(c->in + c->scanned, '\n', c->in_len - c->scanned);

    if (nl != NULL) {
        conn_dispatch(lp, c, (size_t)(nl - c->in) + 1);
        return true;
    }
    c->scanned = c->in_len;
    if (c->in_len < PROTO_MAX_LINE)
        return false;
    /* PROTO_MAX_LINE bytes and no newline: the line is over the limit
     * with its newline (jwt-helperd(8), LIMITS). What was read is of no use: wipe it. */
    sodium_memzero(c->in, c->in_len);
    c->in_len = 0;
    c->scanned = 0;
    lp->st->counters[HELPERD_C_REQUESTS]++;
    lp->st->counters[HELPERD_C_INVALID]++;
    conn_refuse(lp, c, PROTO_E_INVALID_REQUEST, "line too long", true);
    return true;
}

/* PH_WRITE: sends what the socket takes. Returns 1 when the reply is out,
 * 0 when the socket is full, -1 when the connection is gone. */
static int
conn_flush(struct loop *lp, struct conn *c)
{
    ssize_t n;

    while (c->out_sent < c->out.len) {
        n = send(c->fd, c->out.line + c->out_sent, c->out.len - c->out_sent,
                 MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            c->out_sent += (size_t)n;
            c->last_io_ms = lp->now.mono_ms;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0;
        } else {
            return -1;
        }
    }
    return 1;
}

/* Drives c as far as it goes without blocking (at most LINES_PER_TURN
 * requests, so one pipelining client cannot hold the loop). */
static void
conn_advance(struct loop *lp, struct conn *c)
{
    unsigned lines = 0;
    int r;

    c->more = false;
    while (!c->dead) {
        switch (c->phase) {
        case PH_READ:
            if (lp->stopping) {
                c->dead = true; /* SIGTERM: no new requests */
                return;
            }
            if (lines >= LINES_PER_TURN) {
                c->more = true;
                return;
            }
            if (!conn_take_line(lp, c)) {
                c->dead = c->eof; /* EOF with a partial line, or none: done */
                return;
            }
            lines++;
            break;
        case PH_DELAY:
            if (c->out.not_before_ms > lp->now.mono_ms)
                return;
            c->phase = PH_WRITE;
            c->last_io_ms = lp->now.mono_ms;
            break;
        case PH_WRITE:
            if ((r = conn_flush(lp, c)) <= 0) {
                c->dead = r < 0;
                return;
            }
            c->dead = c->out.close_after;
            helperd_reply_clear(&c->out);
            c->phase = PH_READ;
            c->last_io_ms = lp->now.mono_ms;
            break;
        case PH_JOB:
            return;
        }
    }
}

/* Grows the input buffer (at most PROTO_MAX_LINE), wiping the old one. */
static int
conn_grow(struct conn *c)
{
    size_t cap = c->in_cap == 0 ? IN_BUF_FIRST : c->in_cap * 2;
    char *in;

    if (cap > PROTO_MAX_LINE)
        cap = PROTO_MAX_LINE;
    if ((in = malloc(cap)) == NULL)
        return -1;
    if (c->in_len > 0)
        memcpy(in, c->in, c->in_len);
    secret_free(c->in, c->in_cap);
    c->in = in;
    c->in_cap = cap;
    return 0;
}

/* POLLIN in PH_READ: one read per turn, then as far as the bytes go. */
static void
conn_read(struct loop *lp, struct conn *c)
{
    ssize_t n;

    if (c->in_len == PROTO_MAX_LINE) {
        conn_advance(lp, c); /* whole lines wait for their turn: nothing to read into */
        return;
    }
    if (c->in_len == c->in_cap && conn_grow(c) != 0) {
        c->dead = true;
        return;
    }
    n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
    if (n > 0) {
        /* The clock starts at a line's first byte, not its latest: a
         * client trickling a byte now and then must still finish its line
         * within idle_timeout, or it could hold its slot for ever. */
        if (c->in_len == 0)
            c->last_io_ms = lp->now.mono_ms;
        c->in_len += (size_t)n;
    } else if (n == 0) {
        c->eof = true;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        c->dead = true;
        return;
    }
    conn_advance(lp, c);
}

/* Closes connections in PH_READ or PH_WRITE that made no progress for
 * idle_timeout (MUST 1); moves delayed replies whose time came. */
static void
conns_tick(struct loop *lp)
{
    size_t i;
    struct conn *c;

    for (i = 0; i < lp->n_conns; i++) {
        c = lp->conns[i];
        if (!c->dead && (c->phase == PH_READ || c->phase == PH_WRITE) &&
            lp->now.mono_ms - c->last_io_ms >= idle_ms(lp))
            c->dead = true;
        if (!c->dead && (c->more || c->phase == PH_DELAY || (lp->stopping && c->phase == PH_READ)))
            conn_advance(lp, c);
    }
}

static void
sweep_dead(struct loop *lp)
{
    size_t i = 0;

    while (i < lp->n_conns) {
        if (lp->conns[i]->dead && lp->conns[i]->phase != PH_JOB) { /* MUST 3 */
            conn_free(lp->conns[i]);
            lp->conns[i] = lp->conns[--lp->n_conns];
        } else {
            i++;
        }
    }
    lp->st->counters[HELPERD_C_CLIENTS] = (int64_t)lp->n_conns;
}

/* ---- accepting ---- */

static size_t
clients_of(const struct loop *lp, uid_t uid)
{
    size_t i, n = 0;

    /* A connection already closed and waiting for sweep_dead is not held
     * against its uid: a client reconnecting at its limit would be refused. */
    for (i = 0; i < lp->n_conns; i++)
        n +=
            lp->conns[i]->peer.uid == uid && !(lp->conns[i]->dead && lp->conns[i]->phase != PH_JOB);
    return n;
}

/* Over a limit: one rate_limited line, best effort, then close (MUST 5). */
static void
refuse_client(struct loop *lp, int fd, const struct helperd_peer *peer, bool overall)
{
    struct helperd_reply r;

    memset(&r, 0, sizeof(r));
    helperd_reply_error(PROTO_E_RATE_LIMITED, "too many clients", true, &r);
    if (r.line != NULL)
        (void)!send(fd, r.line, r.len, MSG_NOSIGNAL | MSG_DONTWAIT);
    helperd_reply_clear(&r);
    close(fd);
    lp->st->counters[HELPERD_C_REFUSED]++;
    /* A flood of connections must not become a flood of log lines. */
    if (lp->refusal_logged_ms == 0 ||
        lp->now.mono_ms - lp->refusal_logged_ms >= REFUSAL_LOG_INTERVAL_MS) {
        lp->refusal_logged_ms = lp->now.mono_ms;
        syslog(LOG_WARNING, "refusing connections: %s (uid %ld)",
               overall ? "max_clients reached" : "max_clients_per_uid reached", (long)peer->uid);
    }
}

static int
conns_reserve(struct loop *lp)
{
    size_t cap;
    struct conn **v;

    if (lp->n_conns < lp->cap_conns)
        return 0;
    cap = lp->cap_conns == 0 ? 16 : lp->cap_conns * 2;
    if ((v = realloc(lp->conns, cap * sizeof(*v))) == NULL)
        return -1;
    lp->conns = v;
    lp->cap_conns = cap;
    return 0;
}

static int
uid_cmp(const void *a, const void *b)
{
    uid_t x = *(const uid_t *)a, y = *(const uid_t *)b;

    return (x > y) - (x < y);
}

/* How many times uid occurs in the sorted uids[0..n). */
static size_t
uid_count(const uid_t *uids, size_t n, uid_t uid)
{
    size_t lo = 0, hi = n, first;

    while (lo < hi) { /* first index with uids[i] >= uid */
        size_t mid = lo + (hi - lo) / 2;
        if (uids[mid] < uid)
            lo = mid + 1;
        else
            hi = mid;
    }
    first = lo;
    while (lo < n && uids[lo] == uid)
        lo++;
    return lo - first;
}

/* All max_clients slots are taken (MUST 5): a newcomer whose uid holds
 * fewer connections than another uid takes the slot of that uid's
 * connection that has waited longest: one waiting for a request line, or
 * one whose failed login's answer waits out the login delay (the delay is
 * kept per name, so an answer left unsent loses nothing; a password job
 * still running is never cut off). So connections, silent or busy with
 * failed logins, from however many uids, never shut out a uid that holds
 * fewer than they do: attackers holding every slot only compete with each
 * other. O(n log n) per full-house accept. Returns true when a slot was
 * freed. */
static bool
evict_for(struct loop *lp, uid_t uid)
{
    size_t i, n = lp->n_conns, held, best_count = 0, count;
    uid_t *uids = malloc(n * sizeof(*uids));
    struct conn *c, *best = NULL;

    if (uids == NULL)
        return false;
    for (i = 0; i < n; i++)
        uids[i] = lp->conns[i]->peer.uid;
    qsort(uids, n, sizeof(*uids), uid_cmp);
    held = uid_count(uids, n, uid);
    for (i = 0; i < n; i++) {
        c = lp->conns[i];
        if (c->dead || (c->phase != PH_READ && c->phase != PH_DELAY))
            continue;
        count = uid_count(uids, n, c->peer.uid);
        if (count > held &&
            (count > best_count || (count == best_count && c->last_io_ms < best->last_io_ms))) {
            best = c;
            best_count = count;
        }
    }
    free(uids);
    if (best == NULL)
        return false;
    best->dead = true;
    sweep_dead(lp);
    lp->st->counters[HELPERD_C_REFUSED]++;
    return true;
}

static void
add_client(struct loop *lp, int fd)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    struct helperd_peer peer;
    struct conn *c;

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof(cred)) {
        close(fd);
        return;
    }
    peer.uid = cred.uid;
    peer.gid = cred.gid;
    peer.pid = cred.pid;
    /* accept_clients runs after this turn's reads: only live ones count */
    sweep_dead(lp);
    if (clients_of(lp, peer.uid) >= lp->st->conf->max_clients_per_uid ||
        (lp->n_conns >= lp->st->conf->max_clients && !evict_for(lp, peer.uid))) {
        refuse_client(lp, fd, &peer, lp->n_conns >= lp->st->conf->max_clients);
        return;
    }
    if (conns_reserve(lp) != 0 || (c = calloc(1, sizeof(*c))) == NULL) {
        close(fd);
        return;
    }
    c->fd = fd;
    c->peer = peer;
    c->phase = PH_READ;
    c->last_io_ms = lp->now.mono_ms;
    lp->conns[lp->n_conns++] = c;
    lp->st->counters[HELPERD_C_CLIENTS] = (int64_t)lp->n_conns;
}

/* accept is retried every ACCEPT_PAUSE_MS while descriptors or memory
 * are short: one log line per ACCEPT_LOG_INTERVAL_MS, with how many
 * failed since the last, not ten lines a second. */
static void
accept_failed(struct loop *lp, int err)
{
    lp->accept_failures++;
    if (lp->accept_logged_ms != 0 &&
        lp->now.mono_ms - lp->accept_logged_ms < ACCEPT_LOG_INTERVAL_MS)
        return;
    if (lp->accept_logged_ms == 0 || lp->accept_failures == 1)
        syslog(LOG_WARNING, "accept: %s: new connections wait (retried every %d ms)", strerror(err),
               ACCEPT_PAUSE_MS);
    else
        syslog(LOG_WARNING, "accept: %s: failed %lu times in the last %lld s", strerror(err),
               lp->accept_failures, (long long)(lp->now.mono_ms - lp->accept_logged_ms) / 1000);
    lp->accept_logged_ms = lp->now.mono_ms;
    lp->accept_failures = 0;
}

static void
accept_clients(struct loop *lp)
{
    int fd, i;

    for (i = 0; i < ACCEPT_BURST && lp->lis->fd >= 0; i++) {
        fd = accept4(lp->lis->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            add_client(lp, fd);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            /* The pending connection stays queued; polling the listener now
             * would spin. Try again shortly. */
            accept_failed(lp, errno);
            lp->accept_paused_until_ms = lp->now.mono_ms + ACCEPT_PAUSE_MS;
        }
        return; /* EAGAIN: none left */
    }
}

/* ---- jobs, signals ---- */

static void
take_finished_jobs(struct loop *lp)
{
    struct helperd_job *job;
    struct helperd_reply r;
    void *tag;
    struct conn *c;

    while (helperd_workers_take(lp->workers, &job, &tag)) {
        c = tag; /* alive: MUST 3 */
        memset(&r, 0, sizeof(r));
        update_gauges(lp);
        helperd_handle_finish(lp->st, job, &lp->now, helperd_log_report, &lp->info_prio, &r);
        conn_set_reply(lp, c, &r);
        conn_advance(lp, c);
    }
}

static void
report_nothing(void *ctx, const char *message)
{
    (void)ctx;
    (void)message;
}

/* The new config is read once before the keys, so that a file outside
 * the confinement is refused by name rather than by a failed open. */
static bool
reload_stays_confined(struct loop *lp)
{
    struct helperd_conf *fresh = NULL;
    int err_prio = LOG_ERR;
    bool ok;

    if (helperd_conf_load(lp->opts->conf_path, lp->opts->conf_must_exist, report_nothing, NULL,
                          &fresh) != CONF_OK)
        return true; /* the reload below reports what is wrong with it */
    ok = helperd_confine_covers(lp->st->conf, fresh, helperd_log_report, &err_prio);
    helperd_conf_free(fresh);
    return ok;
}

static void
reload(struct loop *lp)
{
    struct helperd_state *fresh = NULL, *old = lp->st;
    int err_prio = LOG_ERR;

    syslog(LOG_INFO, "SIGHUP: reloading configuration and keys");
    if (!reload_stays_confined(lp)) {
        syslog(LOG_ERR, "reload refused: keeping the previous configuration and keys");
        return;
    }
    if (helperd_state_reload(lp->opts->conf_path, lp->opts->conf_must_exist,
                             lp->opts->socket_override, old, helperd_log_report, &err_prio,
                             &fresh) != 0) {
        syslog(LOG_ERR, "reload failed: keeping the previous configuration and keys");
        return;
    }
    if (strcmp(old->conf->socket, fresh->conf->socket) != 0)
        syslog(LOG_WARNING, "socket changed to %s: takes effect at the next start",
               fresh->conf->socket);
    if (strcmp(old->conf->user, fresh->conf->user) != 0)
        syslog(LOG_WARNING, "user changed to %s: takes effect at the next start",
               fresh->conf->user);
    helperd_state_adopt(fresh, old);
    lp->st = fresh;
    if (helperd_workers_set_limit(lp->workers, fresh->conf->max_hashes) != 0)
        syslog(LOG_WARNING, "max_hashes = %u: could not start threads: %s", fresh->conf->max_hashes,
               strerror(errno));
    lp->st->counters[HELPERD_C_RELOADS]++;
    update_gauges(lp);
    syslog(LOG_INFO, "reloaded");
}

static void
begin_stop(struct loop *lp, int sig)
{
    if (lp->stopping)
        return;
    syslog(LOG_INFO, "%s: finishing requests in progress, then exiting",
           sig == SIGINT ? "SIGINT" : "SIGTERM");
    lp->stopping = true;
    lp->stop_deadline_ms = lp->now.mono_ms + SHUTDOWN_GRACE_MS;
    helperd_listen_close(lp->lis); /* stop accepting */
}

static void
read_signals(struct loop *lp)
{
    struct signalfd_siginfo si;

    while (read(lp->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        if (si.ssi_signo == SIGHUP && !lp->stopping)
            reload(lp);
        else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
            begin_stop(lp, (int)si.ssi_signo);
    }
}

/* ---- the loop ---- */

static int
pfds_reserve(struct loop *lp)
{
    size_t need = FIXED_FDS + lp->n_conns;
    struct pollfd *v;

    if (need <= lp->cap_pfds)
        return 0;
    if ((v = realloc(lp->pfds, need * 2 * sizeof(*v))) == NULL)
        return -1;
    lp->pfds = v;
    lp->cap_pfds = need * 2;
    return 0;
}

static void
deadline_min(int64_t *earliest, int64_t t)
{
    if (*earliest < 0 || t < *earliest)
        *earliest = t;
}

/* Fills the poll set (conns[i] at FIXED_FDS + i; -1: not watched, MUST 2)
 * and returns the poll timeout: the earliest idle, delay or stop deadline. */
static int
build_poll_set(struct loop *lp)
{
    int64_t earliest = -1, wait;
    size_t i;
    struct conn *c;
    bool paused = lp->now.mono_ms < lp->accept_paused_until_ms;

    lp->pfds[0] = (struct pollfd){.fd = lp->sfd, .events = POLLIN};
    lp->pfds[1] = (struct pollfd){.fd = helperd_workers_fd(lp->workers), .events = POLLIN};
    lp->pfds[2] = (struct pollfd){.fd = paused ? -1 : lp->lis->fd, .events = POLLIN};
    if (paused)
        deadline_min(&earliest, lp->accept_paused_until_ms);
    if (lp->stopping)
        deadline_min(&earliest, lp->stop_deadline_ms);
    for (i = 0; i < lp->n_conns; i++) {
        c = lp->conns[i];
        lp->pfds[FIXED_FDS + i] = (struct pollfd){.fd = -1};
        if (c->more)
            deadline_min(&earliest, lp->now.mono_ms);
        if (c->phase == PH_READ || c->phase == PH_WRITE) {
            lp->pfds[FIXED_FDS + i].fd = c->fd;
            lp->pfds[FIXED_FDS + i].events = c->phase == PH_READ ? POLLIN : POLLOUT;
            deadline_min(&earliest, c->last_io_ms + idle_ms(lp));
        } else if (c->phase == PH_DELAY) {
            deadline_min(&earliest, c->out.not_before_ms);
        }
    }
    if (earliest < 0)
        return -1;
    wait = earliest - lp->now.mono_ms;
    return wait <= 0 ? 0 : wait > INT_MAX ? INT_MAX : (int)wait;
}

static void
handle_events(struct loop *lp, size_t n_polled)
{
    size_t i;
    struct conn *c;

    if (lp->pfds[0].revents & POLLIN)
        read_signals(lp);
    if (lp->pfds[1].revents & POLLIN)
        take_finished_jobs(lp);
    for (i = 0; i < n_polled && i < lp->n_conns; i++) {
        c = lp->conns[i];
        if (c->dead || lp->pfds[FIXED_FDS + i].fd < 0 || lp->pfds[FIXED_FDS + i].revents == 0)
            continue;
        if (c->phase == PH_READ)
            conn_read(lp, c); /* POLLHUP/POLLERR: recv says what happened */
        else if (c->phase == PH_WRITE)
            conn_advance(lp, c);
    }
    if (lp->pfds[2].fd >= 0 && (lp->pfds[2].revents & POLLIN) && !lp->stopping)
        accept_clients(lp);
}

/* While stopping: done when nothing is in progress any more, or time is up. */
static bool
stop_done(const struct loop *lp)
{
    return lp->now.mono_ms >= lp->stop_deadline_ms ||
           (lp->n_conns == 0 && helperd_workers_pending(lp->workers) == 0);
}

static int
serve(struct loop *lp)
{
    size_t n_polled;
    int timeout;

    for (;;) {
        helperd_now_get(&lp->now);
        conns_tick(lp);
        sweep_dead(lp);
        if (lp->stopping && stop_done(lp))
            return 0;
        if (pfds_reserve(lp) != 0) {
            syslog(LOG_ERR, "out of memory");
            return -1;
        }
        timeout = build_poll_set(lp);
        n_polled = lp->n_conns;
        if (poll(lp->pfds, FIXED_FDS + n_polled, timeout) < 0) {
            if (errno == EINTR)
                continue;
            syslog(LOG_ERR, "poll: %s", strerror(errno));
            return -1;
        }
        helperd_now_get(&lp->now);
        handle_events(lp, n_polled);
        sweep_dead(lp);
    }
}

/* Up to max_clients connections each need a descriptor: raise the soft
 * limit toward the hard one when it is too low (no privilege needed). */
static void
raise_fd_limit(unsigned max_clients)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)max_clients + 64;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
        syslog(LOG_WARNING, "open files limit %lu is below max_clients + 64",
               (unsigned long)rl.rlim_cur);
}

static int
loop_setup(struct loop *lp)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    /* Blocked before the workers start, so only the signalfd sees them. */
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0 ||
        (lp->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
        syslog(LOG_ERR, "signalfd: %s", strerror(errno));
        return -1;
    }
    if ((lp->workers = helperd_workers_new(lp->st->conf->max_hashes)) == NULL) {
        syslog(LOG_ERR, "starting %u worker threads: %s", lp->st->conf->max_hashes,
               strerror(errno));
        return -1;
    }
    raise_fd_limit(lp->st->conf->max_clients);
    return 0;
}

static void
loop_teardown(struct loop *lp)
{
    size_t i;

    /* Workers first: they join, dropping jobs whose connections go next. */
    helperd_workers_free(lp->workers);
    for (i = 0; i < lp->n_conns; i++)
        conn_free(lp->conns[i]);
    free(lp->conns);
    free(lp->pfds);
    if (lp->sfd >= 0)
        close(lp->sfd);
}

int
helperd_loop_run(struct helperd_state **st, struct helperd_listener *lis,
                 const struct helperd_loop_opts *opts)
{
    struct loop lp;
    int rc = -1;

    memset(&lp, 0, sizeof(lp));
    lp.st = *st;
    lp.lis = lis;
    lp.opts = opts;
    lp.sfd = -1;
    lp.info_prio = LOG_INFO;
    if (loop_setup(&lp) == 0)
        rc = serve(&lp);
    if (rc == 0 && (lp.n_conns > 0 || helperd_workers_pending(lp.workers) > 0))
        syslog(LOG_WARNING, "grace period over: closing %zu connections with requests in progress",
               lp.n_conns);
    loop_teardown(&lp);
    *st = lp.st;
    return rc;
}

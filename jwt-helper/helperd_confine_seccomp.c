/* SPDX-License-Identifier: MIT */
/* jwt-helperd's seccomp filter (libseccomp): the system calls it makes
 * after start-up, found by tracing the whole daemon test suite (strace -f)
 * and reading the code, and nothing else.
 *
 * Two lists. The calls it makes are allowed. The calls that would give
 * stray code a new power kill the whole process (SCMP_ACT_KILL_PROCESS,
 * SIGSYS): exec, fork (clone is allowed only for threads), ptrace and
 * reading or writing other processes' memory, mount and namespaces,
 * setuid and friends, capabilities, any socket but AF_UNIX (syslog, NSS
 * daemons such as nscd or sssd), bind and listen (the socket was made
 * before), modules, kexec, bpf, perf, userfaultfd, key rings, io_uring.
 * A death is seen at once (the journal names SIGSYS and the call) and
 * systemd's Restart= brings the daemon back.
 *
 * Any other call fails with EPERM. The allowed list was found by tracing
 * the daemon's tests, but libraries take paths no test machine showed:
 * glibc's qsort asks sysinfo(2) for the memory size once it sorts a large
 * array (a users file of a few hundred records), and NSS modules (systemd's
 * userdb, sssd) talk to their daemons in their own ways. Such a call is
 * harmless, and killing the daemon for it would take logins down; failing
 * it sends the library down its error path, which it has.
 *
 * Builds with --enable-sanitizers (never a release) allow what the
 * ASan/LSan runtime needs on top (HELPERD_CONFINE_SANITIZERS): LSan stops
 * the threads at exit from a tracer (clone with CLONE_VM) with ptrace. The release
 * binary has no switch to relax the filter. valgrind emulates neither
 * seccomp(2) nor Landlock: under it the daemon logs both as missing and
 * runs unconfined (helperd_seccomp_available). The ThreadSanitizer build
 * runs confined like the release. jwt-helperd(8), CONFINEMENT, says the
 * same for administrators. */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helperd_confine.h"

/* Allowed with any arguments. */
/* clang-format off */
static const int allowed[] = {
    /* memory (malloc, libsodium's guarded secrets, argon2id's 64 MiB) */
    SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect),
    SCMP_SYS(madvise), SCMP_SYS(mlock), SCMP_SYS(munlock),
    /* threads and their locks (helperd_workers) */
    SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(exit),
    SCMP_SYS(exit_group), SCMP_SYS(gettid), SCMP_SYS(getpid), SCMP_SYS(sched_yield),
    SCMP_SYS(sched_getaffinity),
    /* signals (the loop's signalfd) and time */
    SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigreturn), SCMP_SYS(signalfd4),
    SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
    SCMP_SYS(restart_syscall), SCMP_SYS(gettimeofday), /* TSan calls it directly */
    /* the loop: clients, the workers' eventfd, the open files limit */
    SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(accept4), SCMP_SYS(getsockopt),
    SCMP_SYS(recvfrom), SCMP_SYS(recvmsg), SCMP_SYS(sendto), SCMP_SYS(sendmsg),
    SCMP_SYS(shutdown), SCMP_SYS(connect), SCMP_SYS(eventfd2), SCMP_SYS(prlimit64),
    SCMP_SYS(getrlimit),
    /* files (Landlock says which): read, replace by rename, lock, sync */
    SCMP_SYS(openat), SCMP_SYS(close), SCMP_SYS(read), SCMP_SYS(pread64), SCMP_SYS(write),
    SCMP_SYS(writev), SCMP_SYS(lseek), SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(statx),
    SCMP_SYS(getdents64), SCMP_SYS(fcntl), SCMP_SYS(flock), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
    SCMP_SYS(renameat), SCMP_SYS(renameat2), SCMP_SYS(unlinkat), SCMP_SYS(fchmod),
    SCMP_SYS(umask),
    /* owner checks, random numbers; glibc's qsort of a large array */
    SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
    SCMP_SYS(getrandom), SCMP_SYS(sysinfo),
#ifdef HELPERD_CONFINE_SANITIZERS
    /* ASan/LSan (HELPERD_CONFINE_SANITIZERS above): reports, the tracer */
    SCMP_SYS(ptrace), SCMP_SYS(wait4), SCMP_SYS(prctl), SCMP_SYS(sigaltstack),
    SCMP_SYS(tgkill), SCMP_SYS(kill), SCMP_SYS(getppid),
    SCMP_SYS(readlink), SCMP_SYS(readlinkat), SCMP_SYS(open), SCMP_SYS(stat), SCMP_SYS(lstat),
    SCMP_SYS(getdents), SCMP_SYS(pipe2), SCMP_SYS(dup2), SCMP_SYS(dup3), SCMP_SYS(uname),
    SCMP_SYS(process_vm_readv), SCMP_SYS(getpgid), SCMP_SYS(setpgid),
#endif
};

/* Killed on sight, with any arguments: powers no code of the daemon uses. */
static const int killed[] = {
    SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(fork), SCMP_SYS(vfork),
    SCMP_SYS(process_vm_writev), SCMP_SYS(process_madvise), SCMP_SYS(pidfd_getfd),
    SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root), SCMP_SYS(chroot),
    SCMP_SYS(setns), SCMP_SYS(unshare),
    SCMP_SYS(setuid), SCMP_SYS(setgid), SCMP_SYS(setreuid), SCMP_SYS(setregid),
    SCMP_SYS(setresuid), SCMP_SYS(setresgid), SCMP_SYS(setgroups), SCMP_SYS(setfsuid),
    SCMP_SYS(setfsgid), SCMP_SYS(capset), SCMP_SYS(personality),
    SCMP_SYS(bind), SCMP_SYS(listen),
    SCMP_SYS(init_module), SCMP_SYS(finit_module), SCMP_SYS(delete_module),
    SCMP_SYS(kexec_load), SCMP_SYS(kexec_file_load), SCMP_SYS(bpf), SCMP_SYS(perf_event_open),
    SCMP_SYS(userfaultfd), SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key),
    SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter), SCMP_SYS(io_uring_register),
#ifndef HELPERD_CONFINE_SANITIZERS
    SCMP_SYS(ptrace), SCMP_SYS(process_vm_readv),
#endif
};
/* clang-format on */

/* The calls allowed only with some arguments. */
static int
add_restricted(scmp_filter_ctx f)
{
    int rc = 0;

    /* Threads, never processes: clone only with CLONE_THREAD (a sanitizer
     * build: CLONE_VM, for LeakSanitizer's tracer; a fork has neither).
     * glibc tries clone3 first, whose flags sit behind a pointer seccomp
     * cannot read: ENOSYS sends it back to clone. */
#ifdef HELPERD_CONFINE_SANITIZERS
    rc |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                           SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_VM, CLONE_VM));
    rc |= seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 1,
                           SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_VM, 0));
    /* A sanitizer report asks whether stderr is a terminal (colours). */
    rc |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, TCGETS, 0));
#else
    rc |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                           SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
    rc |= seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, SCMP_SYS(clone), 1,
                           SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
    /* abort() signals this process, no other. */
    rc |= seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                           SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0));
#endif
    rc |= seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    /* Local sockets only: syslog's /dev/log, NSS daemons. */
    rc |=
        seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_UNIX, 0));
    rc |= seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, SCMP_SYS(socket), 1,
                           SCMP_A0(SCMP_CMP_NE, AF_UNIX, 0));
    return rc;
}

int
helperd_seccomp_available(void)
{
    uint32_t action = SECCOMP_RET_KILL_PROCESS;

    if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0)
        return 1;
    return errno == ENOSYS || errno == EINVAL ? 0 : -1;
}

int
helperd_seccomp_apply(helperd_report_fn report, void *ctx)
{
    scmp_filter_ctx f = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    int rc = -1, err;

    if (f == NULL) {
        helperd_reportf(report, ctx, "error: confinement: seccomp: out of memory");
        return -1;
    }
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        if (seccomp_rule_add(f, SCMP_ACT_ALLOW, allowed[i], 0) != 0) {
            helperd_reportf(report, ctx, "error: confinement: seccomp: system call %d not known",
                            allowed[i]);
            goto out;
        }
    }
    for (size_t i = 0; i < sizeof killed / sizeof killed[0]; i++) {
        if (seccomp_rule_add(f, SCMP_ACT_KILL_PROCESS, killed[i], 0) != 0) {
            helperd_reportf(report, ctx, "error: confinement: seccomp: system call %d not known",
                            killed[i]);
            goto out;
        }
    }
    if (add_restricted(f) != 0) {
        helperd_reportf(report, ctx, "error: confinement: seccomp: adding argument rules failed");
        goto out;
    }
    /* Every thread gets the filter, or loading fails. */
    if ((err = seccomp_attr_set(f, SCMP_FLTATR_CTL_TSYNC, 1)) != 0 ||
        (err = seccomp_load(f)) != 0) {
        helperd_reportf(report, ctx, "error: confinement: seccomp: %s", strerror(-err));
        goto out;
    }
    rc = 0;
out:
    seccomp_release(f);
    return rc;
}

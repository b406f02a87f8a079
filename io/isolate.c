#include "io/isolate.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void run_child(int fd, isolate_fn fn, void *arg) {
    char msg[8192] = "";
    int rc = fn(arg, msg, sizeof msg);
    size_t len = rc ? strnlen(msg, sizeof msg) : 0, off = 0;
    while (off < len) {
        ssize_t n = write(fd, msg + off, len - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        off += (size_t)n;
    }
    _exit(rc & 0xff);
}

/* Collects what the child writes (into buf [len > 0], NUL-terminated, the excess dropped) until
 * it closes the pipe by exiting, or the deadline passes. Returns 1 on end of file, 0 on timeout. */
static int read_until_eof(int fd, char *buf, size_t len, double deadline) {
    size_t got = 0;
    char trash[256] = {0};
    int eof = 0;
    while (!eof) {
        double left = deadline - now();
        if (left <= 0) break;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int k = poll(&p, 1, (int)(left * 1000.0) + 1);
        if (k < 0 && errno != EINTR) break;
        if (k <= 0) continue;
        int room = got + 1 < len;
        ssize_t n = read(fd, room ? buf + got : trash, room ? len - 1 - got : sizeof trash);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
            eof = 1;
        else if (room)
            got += (size_t)n;
    }
    buf[got] = '\0';
    return eof;
}

/* waitpid until the deadline (polling, so a child that closed the pipe but hangs is caught). */
static int wait_child(pid_t pid, int *status, double deadline) {
    for (;;) {
        pid_t w = waitpid(pid, status, WNOHANG);
        if (w == pid) return 1;
        if (w < 0 && errno != EINTR) return -1;
        if (now() >= deadline) return 0;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

int isolate_run(isolate_result_t *res, isolate_fn fn, void *arg, double timeout, char *err,
                size_t errlen) {
    int fds[2];
    memset(res, 0, sizeof *res);
    char scratch[1] = "";
    if (errlen == 0) err = scratch, errlen = 1;
    err[0] = '\0';
    if (pipe(fds) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(fds[0]), close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        run_child(fds[1], fn, arg); /* never returns */
    }
    close(fds[1]);
    double deadline = now() + timeout;
    int status = 0;
    int eof = read_until_eof(fds[0], err, errlen, deadline);
    close(fds[0]);
    int waited = eof ? wait_child(pid, &status, deadline) : 0;
    if (waited == 0) {
        kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        res->status = ISOLATE_TIMEOUT;
        return 0;
    }
    if (waited < 0) {
        snprintf(err, errlen, "waitpid: %s", strerror(errno));
        return -1;
    }
    if (WIFSIGNALED(status)) {
        res->status = ISOLATE_CRASHED;
        res->signal = WTERMSIG(status);
    } else {
        res->status = ISOLATE_EXITED;
        res->code = WEXITSTATUS(status);
    }
    return 0;
}

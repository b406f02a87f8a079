/* prep/prep_stale.c — what killed drnn-prep runs left next to the output (DESIGN §6).
 *
 * drnn-prep builds OUT as OUT.tmp.PID and spools stdin and pipes to OUT.spoolK.PID; its signal
 * handlers remove them, but SIGKILL (the OOM killer, kill -9, a node reboot) cannot be caught.
 * The next drnn-prep to the same OUT removes such files when both hold:
 *   - no process PID exists here (kill(PID, 0) fails with ESRCH; EPERM means one runs), and
 *   - nobody holds a lock on the file: libhdf5 holds one on OUT.tmp.PID while it writes it, and
 *     drnn-prep one on each spool file it made (prep_hold_spool), which also covers a run in
 *     another PID namespace or on another host sharing the folder, whose PID means nothing here.
 */
#include "prep/prep.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* The PID in NAME when NAME is BASE.tmp.PID or BASE.spoolK.PID (K, PID decimal), else 0. */
static long temp_pid(const char *name, const char *base) {
    size_t n = strlen(base);
    const char *p = name + n;
    if (strncmp(name, base, n) != 0) return 0;
    if (strncmp(p, ".tmp.", 5) == 0) {
        p += 5;
    } else if (strncmp(p, ".spool", 6) == 0 && p[6] >= '0' && p[6] <= '9') {
        p += 6 + strspn(p + 6, "0123456789");
        if (*p++ != '.') return 0;
    } else {
        return 0;
    }
    if (*p < '1' || *p > '9' || strspn(p, "0123456789") != strlen(p) || strlen(p) > 9) return 0;
    return strtol(p, NULL, 10);
}

/* 1 when PATH is a regular file that nobody holds a lock on (or its file system has no locks:
 * then the PID alone decides). */
static int unlocked_file(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) return 0;
    int unlocked = flock(fd, LOCK_EX | LOCK_NB) == 0 || errno != EWOULDBLOCK;
    close(fd); /* drops the lock we took */
    return unlocked;
}

void prep_remove_stale(const char *out) {
    char *d = strdup(out), *b = strdup(out), path[PATH_MAX];
    const char *dir = d ? dirname(d) : NULL, *base = b ? basename(b) : NULL;
    DIR *dp = dir && base ? opendir(dir) : NULL;
    for (struct dirent *e; dp && (e = readdir(dp)) != NULL;) {
        long pid = temp_pid(e->d_name, base);
        if (pid <= 0 || pid == (long)getpid()) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; /* it runs (maybe not ours) */
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path) continue;
        if (!unlocked_file(path)) continue;
        if (unlink(path) == 0)
            fprintf(stderr,
                    "drnn-prep: removed %s, left by drnn-prep process %ld, which no longer "
                    "runs\n",
                    path, pid);
        else if (errno != ENOENT) /* ENOENT: another run removed it first */
            fprintf(stderr,
                    "drnn-prep: cannot remove %s, left by a drnn-prep run that no longer "
                    "runs: %s\n",
                    path, strerror(errno));
    }
    if (dp) closedir(dp);
    free(d);
    free(b);
}

void prep_hold_spool(const char *path) {
    /* Kept open for the life of the process: the kernel drops the lock when it ends. */
    int fd = open(path, O_RDONLY);
    if (fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) != 0) close(fd);
}

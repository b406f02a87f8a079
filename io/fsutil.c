#define _GNU_SOURCE /* sync_file_range */
#include "io/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "base/util.h"

int fs_fsync_path(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat st;
    int rc = fsync(fd);
    /* Some file systems cannot sync a folder (EINVAL): nothing more can be done for it. */
    if (rc != 0 && errno == EINVAL && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) rc = 0;
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

void fs_writeback_start(int fd) {
#ifdef SYNC_FILE_RANGE_WRITE
    (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd;
#endif
}

/* PATH's folder into dir [n] ("." for a bare name). 0 or -1 (ENAMETOOLONG). */
static int parent_dir(char *dir, size_t n, const char *path) {
    if (snprintf(dir, n, "%s", path) >= (int)n) {
        errno = ENAMETOOLONG;
        return -1;
    }
    char *slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    return 0;
}

int fs_fsync_parent(const char *path) {
    char dir[PATH_MAX];
    return parent_dir(dir, sizeof dir, path) == 0 ? fs_fsync_path(dir) : -1;
}

int fs_mkdirs(const char *path) {
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
    return 0;
}

int fs_lock_file(const char *path, char *holder, size_t n) {
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) return -1;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK && n > 0) {
            ssize_t got = pread(fd, holder, n - 1, 0);
            holder[got > 0 ? got : 0] = '\0';
            holder[strcspn(holder, "\n")] = '\0';
        }
        close(fd);
        errno = e;
        return e == EWOULDBLOCK ? 1 : -1;
    }
    char host[256] = "", line[320];
    if (gethostname(host, sizeof host) != 0 || !host[0])
        snprintf(host, sizeof host, "unknown-host");
    host[sizeof host - 1] = '\0';
    int len = snprintf(line, sizeof line, "%s %ld\n", host, (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)len, 0) != len) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return 0; /* fd stays open: the lock is held until the process ends */
}

/* ---- writing a file whole ------------------------------------------------------------------ */

int fs_tmp_begin(char *tmp, size_t n, const char *path) {
    if (snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid()) >= (int)n) {
        if (n) tmp[0] = '\0';
        errno = ENAMETOOLONG;
        return -1;
    }
    if (drnn_die_unlink_add(tmp) != 0) {
        tmp[0] = '\0';
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

FILE *fs_tmp_fopen(char *tmp, size_t n, const char *path) {
    if (fs_tmp_begin(tmp, n, path) != 0) return NULL;
    FILE *f = fopen(tmp, "w");
    if (!f) fs_tmp_discard(NULL, tmp);
    return f;
}

int fs_tmp_fclose(FILE *f) {
    int rc = fflush(f) == 0 && fsync(fileno(f)) == 0 ? 0 : -1;
    int e = errno;
    if (fclose(f) != 0 && rc == 0) {
        rc = -1;
        e = errno;
    }
    errno = e;
    return rc;
}

int fs_tmp_commit(const char *tmp, const char *path) {
    if (fs_fsync_path(tmp) != 0 || rename(tmp, path) != 0) {
        fs_tmp_discard(NULL, tmp);
        return -1;
    }
    drnn_die_unlink_remove(tmp);
    return fs_fsync_parent(path) == 0 ? 0 : -2;
}

void fs_tmp_discard(FILE *f, const char *tmp) {
    int e = errno;
    if (f) fclose(f);
    if (tmp[0]) {
        unlink(tmp);
        drnn_die_unlink_remove(tmp);
    }
    errno = e;
}

const char *fs_write_reason(int e, const char *path, unsigned long long need) {
    if (e == ENOSPC || e == EDQUOT) return "disk full";
    char dir[PATH_MAX];
    struct statvfs sv;
    if (need && parent_dir(dir, sizeof dir, path) == 0 && statvfs(dir, &sv) == 0 &&
        (unsigned long long)sv.f_bavail * sv.f_frsize < need)
        return "disk full";
    return e ? strerror(e) : "I/O error";
}

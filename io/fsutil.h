/* io/fsutil.h — durable file operations: HDF5 never fsyncs, so drnn does it after closing. */
#ifndef DRNN_IO_FSUTIL_H
#define DRNN_IO_FSUTIL_H

#include <stddef.h>

/* open + fsync + close PATH, a file or a folder. A folder whose file system cannot sync folders
 * (fsync fails with EINVAL) counts as synced; any other failure, or EINVAL on a file, is an
 * error. 0 or -1 (errno set). */
int fs_fsync_path(const char *path);
/* fs_fsync_path of the folder holding PATH (makes a rename or a new name durable). 0 or -1. */
int fs_fsync_parent(const char *path);
/* Starts write-back of FD's dirty pages and returns without waiting, so a large file's final
 * fsync has little left to write (Linux sync_file_range; elsewhere, and on file systems that
 * refuse it, nothing happens: the fsync still writes everything). */
void fs_writeback_start(int fd);
/* mkdir -p. 0 or -1 (errno set). */
int fs_mkdirs(const char *path);
/* Takes an exclusive advisory lock (flock) on PATH, creating the file, and writes "HOST PID" of
 * this process into it. The lock lives as long as the process: the kernel releases it when the
 * process ends in any way (kill -9 too); taking it twice in one process fails. 0; 1 when another
 * process holds it (holder [n] gets its "HOST PID", or "" before it wrote them); -1 with errno. */
int fs_lock_file(const char *path, char *holder, size_t n);

#endif

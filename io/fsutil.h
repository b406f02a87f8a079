/* io/fsutil.h — durable file operations: HDF5 never fsyncs, so drnn does it after closing. */
#ifndef DRNN_IO_FSUTIL_H
#define DRNN_IO_FSUTIL_H

#include <stddef.h>
#include <stdio.h>

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

/* ---- writing a file whole ------------------------------------------------------------------
 * Every file a drnn program writes goes to a temporary PATH.tmp.PID in PATH's folder (so the
 * rename is atomic), is completed and synced there, and is then renamed over PATH: a reader never
 * sees a torn PATH, a good earlier PATH stays until the new one is whole, and on any failure the
 * temporary is removed. From fs_tmp_begin to fs_tmp_commit / fs_tmp_discard the temporary is
 * registered with drnn_die (base/util.h), so a program that dies midway removes it as well.
 *
 *     FILE *f = fs_tmp_fopen(tmp, sizeof tmp, path);      ... write ...
 *     if (bad || fs_tmp_fclose(f) != 0) -> fs_tmp_discard, report fs_write_reason(errno, ...)
 *     else if (fs_tmp_commit(tmp, path) != 0) -> report (tmp is gone)
 */

/* PATH's temporary name "PATH.tmp.PID" into tmp [n], registered with drnn_die. Creates nothing
 * (the caller creates tmp: fopen, H5Fcreate). 0, or -1 with errno (ENAMETOOLONG; ENOMEM when the
 * registry is full) and tmp "". */
int fs_tmp_begin(char *tmp, size_t n, const char *path);
/* fs_tmp_begin, then fopen(tmp, "w"). The stream, or NULL with errno (nothing left behind). */
FILE *fs_tmp_fopen(char *tmp, size_t n, const char *path);
/* Finishes a stream written to a temporary: fflush, fsync, fclose (f is closed whatever fails).
 * 0 or -1 with errno. The temporary stays, for fs_tmp_commit or fs_tmp_discard. */
int fs_tmp_fclose(FILE *f);
/* Puts the complete, closed temporary in place: fsync tmp, rename it over PATH, sync the folder;
 * tmp is unregistered. 0; -1 with errno when PATH was not replaced (tmp is removed); -2 with
 * errno when PATH was replaced but its folder could not be synced (the new name may not survive
 * a power cut). */
int fs_tmp_commit(const char *tmp, const char *path);
/* Gives up a temporary: closes f (NULL: already closed), removes tmp ("": nothing) and
 * unregisters it. errno is kept. */
void fs_tmp_discard(FILE *f, const char *tmp);
/* Why writing PATH failed, for a message: "disk full" when e is ENOSPC or EDQUOT, or when the
 * folder holding PATH has less than NEED bytes free (for libraries such as HDF5 that fail without
 * a reliable errno; 0: no such check); else strerror(e), or "I/O error" when e is 0. */
const char *fs_write_reason(int e, const char *path, unsigned long long need);

#endif

/* io/isolate.h: a child that returns, crashes or hangs is reported as such and never takes the
 * caller down (DESIGN §7: untrusted HDF5 files are validated in a child process). Also
 * weights_validate_isolated on a missing file (66) and on a non-HDF5 file (65). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io/isolate.h"
#include "io/weights.h"
#include "tests/testutil.h"

static int ok_fn(void *arg, char *err, size_t errlen) {
    (void)arg, (void)err, (void)errlen;
    return 0;
}

static int fail_fn(void *arg, char *err, size_t errlen) {
    snprintf(err, errlen, "tensor %s is missing", (const char *)arg);
    return 65;
}

static int crash_fn(void *arg, char *err, size_t errlen) {
    (void)arg, (void)errlen;
    snprintf(err, 16, "half a message");
    raise(SIGSEGV);
    return 0;
}

static int hang_fn(void *arg, char *err, size_t errlen) {
    (void)arg, (void)err, (void)errlen;
    for (int i = 0; i < 600; i++) sleep(1); /* "forever" for a 0.3 s timeout */
    return 0;
}

static double seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(void) {
    isolate_result_t r;
    char err[256];
    EXPECT(isolate_run(&r, ok_fn, NULL, 10, err, sizeof err) == 0, "ok: isolate_run failed: %s",
           err);
    EXPECT(r.status == ISOLATE_EXITED && r.code == 0 && err[0] == '\0',
           "ok: status %d code %d '%s'", r.status, r.code, err);

    EXPECT(isolate_run(&r, fail_fn, "decoder.bias", 10, err, sizeof err) == 0, "fail: %s", err);
    EXPECT(r.status == ISOLATE_EXITED && r.code == 65, "fail: status %d code %d", r.status, r.code);
    EXPECT(strcmp(err, "tensor decoder.bias is missing") == 0, "fail: message '%s'", err);

    char tiny[8]; /* a long message is cut, still NUL-terminated */
    EXPECT(isolate_run(&r, fail_fn, "decoder.bias", 10, tiny, sizeof tiny) == 0, "tiny");
    EXPECT(strcmp(tiny, "tensor ") == 0, "tiny: message '%s'", tiny);

    EXPECT(isolate_run(&r, crash_fn, NULL, 10, err, sizeof err) == 0, "crash: %s", err);
#ifdef __SANITIZE_ADDRESS__
    /* ASan catches the SIGSEGV, reports it and exits with 1: still no message, nonzero code. */
    EXPECT(r.status == ISOLATE_EXITED && r.code != 0 && err[0] == '\0',
           "crash under ASan: status %d code %d '%s'", r.status, r.code, err);
#else
    EXPECT(r.status == ISOLATE_CRASHED && r.signal == SIGSEGV, "crash: status %d signal %d",
           r.status, r.signal);
#endif

    double t0 = seconds();
    EXPECT(isolate_run(&r, hang_fn, NULL, 0.3, err, sizeof err) == 0, "hang: %s", err);
    double dt = seconds() - t0;
    EXPECT(r.status == ISOLATE_TIMEOUT, "hang: status %d", r.status);
    EXPECT(dt >= 0.25 && dt < 5.0, "hang: returned after %.2f s, timeout 0.3 s", dt);

    EXPECT(weights_validate_isolated("/nonexistent/model.h5", NULL, err, sizeof err) == 66,
           "missing file: %s", err);
    char path[] = "/tmp/drnn-isolate-XXXXXX";
    int fd = mkstemp(path);
    EXPECT(fd >= 0, "mkstemp");
    if (fd >= 0) {
        EXPECT(write(fd, "not hdf5 at all", 15) == 15, "write");
        close(fd);
        EXPECT(weights_validate_isolated(path, NULL, err, sizeof err) == 65, "garbage: %s", err);
        EXPECT(strstr(err, path) != NULL, "garbage: message does not name the file: %s", err);
        unlink(path);
    }
    return TEST_RESULT("test_isolate");
}

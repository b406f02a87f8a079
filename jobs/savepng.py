"""The plot scripts' one way to write a PNG whole (as drnn's programs do, io/fsutil.h): to a
temporary OUT.tmp.PID in OUT's folder, then os.replace over OUT. A reader never sees a torn OUT, a
good earlier OUT stays when drawing fails, and the temporary is removed on any failure. An OSError
exits 74 naming the file and why ("disk full" for ENOSPC)."""
import errno
import os
import sys


def save_png(fig, out, dpi, prog):
    tmp = f"{out}.tmp.{os.getpid()}"
    try:
        fig.savefig(tmp, dpi=dpi, format="png")
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, out)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        why = "disk full" if e.errno in (errno.ENOSPC, errno.EDQUOT) else (e.strerror or str(e))
        print(f"{prog}: {out}: cannot write: {why}", file=sys.stderr)
        sys.exit(74)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise

#!/usr/bin/python3
# A FUSE filesystem that forgets unsynced writes, for power-loss tests (in the spirit of LazyFS,
# which etcd's robustness tests use). It passes everything through to a backing directory except
# file data: a write is held in this process's memory (reads see it) until an fsync or fdatasync of
# that file writes it to the backing file and flushes it, or until it is older than the writeback
# delay, when it is written to the backing file without a flush, as the kernel's writeback would.
# Killing this process is a power loss: whatever was not written back is gone. Remounting the
# backing directory then shows what a machine would find after the power came back.
#
# Simplification: metadata (create, mkdir, rename, unlink, truncate, chmod) is applied to the
# backing directory at once, as if every metadata change were journaled immediately.
#
#   /usr/bin/python3 test/support/lazyFs.py BACKING MOUNTPOINT [--writeback-ms N]
import errno
import os
import sys
import threading
import time

from fusepy import FUSE, FuseOSError, Operations

WRITEBACK_POLL_S = 0.1


class Pending:
    """Writes to one file not yet in the backing file: (time, offset, bytes), oldest first."""

    def __init__(self):
        self.writes = []

    def end(self):
        return max((offset + len(data) for _, offset, data in self.writes), default=0)


class LazyFs(Operations):
    def __init__(self, backing, writeback_s):
        self.backing = backing
        self.writeback_s = writeback_s
        self.mutex = threading.RLock()
        self.pending = {}  # path -> Pending
        thread = threading.Thread(target=self.writeback_loop, daemon=True)
        thread.start()

    def real(self, path):
        return os.path.join(self.backing, path.lstrip('/'))

    # ---- data ------------------------------------------------------------------------------

    def write_back(self, path, older_than=None):
        """Writes pending data of `path` (all, or only writes older than a time) to the backing file."""
        pending = self.pending.get(path)
        if pending is None:
            return
        keep = []
        fd = os.open(self.real(path), os.O_WRONLY)
        try:
            for stamp, offset, data in pending.writes:
                if older_than is not None and stamp > older_than:
                    keep.append((stamp, offset, data))
                    continue
                os.pwrite(fd, data, offset)
        finally:
            os.close(fd)
        if keep:
            pending.writes = keep
        else:
            del self.pending[path]

    def writeback_loop(self):
        while True:
            time.sleep(WRITEBACK_POLL_S)
            with self.mutex:
                limit = time.monotonic() - self.writeback_s
                for path in list(self.pending):
                    try:
                        self.write_back(path, older_than=limit)
                    except FileNotFoundError:
                        self.pending.pop(path, None)

    def read(self, path, size, offset, fh):
        with self.mutex:
            data = bytearray(os.pread(fh, size, offset))
            pending = self.pending.get(path)
            if pending is not None:
                want_end = min(offset + size, max(offset + len(data), pending.end(), self.backing_size(path)))
                if len(data) < want_end - offset:
                    data.extend(b'\0' * (want_end - offset - len(data)))
                for _, at, chunk in pending.writes:
                    lo = max(at, offset)
                    hi = min(at + len(chunk), offset + size)
                    if lo < hi:
                        data[lo - offset:hi - offset] = chunk[lo - at:hi - at]
            return bytes(data)

    def backing_size(self, path):
        return os.lstat(self.real(path)).st_size

    def write(self, path, data, offset, fh):
        with self.mutex:
            self.pending.setdefault(path, Pending()).writes.append((time.monotonic(), offset, bytes(data)))
            return len(data)

    def fsync(self, path, datasync, fh):
        with self.mutex:
            self.write_back(path)
            os.fsync(fh)
            return 0

    def flush(self, path, fh):
        return 0  # close(2) promises nothing about durability

    def truncate(self, path, length, fh=None):
        with self.mutex:
            os.truncate(self.real(path), length)
            pending = self.pending.get(path)
            if pending is not None:
                kept = []
                for stamp, at, chunk in pending.writes:
                    if at < length:
                        kept.append((stamp, at, chunk[:length - at]))
                pending.writes = kept

    # ---- files and metadata, passed through ------------------------------------------------

    def getattr(self, path, fh=None):
        with self.mutex:
            st = os.lstat(self.real(path))
            attrs = {key: getattr(st, key) for key in ('st_atime', 'st_ctime', 'st_gid', 'st_mode', 'st_mtime', 'st_nlink', 'st_size', 'st_uid')}
            pending = self.pending.get(path)
            if pending is not None:
                attrs['st_size'] = max(st.st_size, pending.end())
            return attrs

    def open(self, path, flags):
        with self.mutex:
            if flags & os.O_TRUNC:
                self.pending.pop(path, None)
            # Writes never go through this descriptor (they are held in memory), but reads and
            # fsync do: open the backing file readable whatever the caller asked for.
            access = os.O_RDONLY if flags & os.O_ACCMODE == os.O_RDONLY else os.O_RDWR
            return os.open(self.real(path), access)

    def create(self, path, mode, fi=None):
        with self.mutex:
            self.pending.pop(path, None)
            return os.open(self.real(path), os.O_RDWR | os.O_CREAT | os.O_TRUNC, mode)

    def release(self, path, fh):
        os.close(fh)
        return 0

    def readdir(self, path, fh):
        return ['.', '..'] + os.listdir(self.real(path))

    def mkdir(self, path, mode):
        return os.mkdir(self.real(path), mode)

    def rmdir(self, path):
        return os.rmdir(self.real(path))

    def unlink(self, path):
        with self.mutex:
            self.pending.pop(path, None)
            return os.unlink(self.real(path))

    def rename(self, old, new):
        with self.mutex:
            moved = {}
            for path in list(self.pending):
                if path == old or path.startswith(old + '/'):
                    moved[new + path[len(old):]] = self.pending.pop(path)
            self.pending.pop(new, None)
            self.pending.update(moved)
            return os.rename(self.real(old), self.real(new))

    def chmod(self, path, mode):
        return os.chmod(self.real(path), mode)

    def chown(self, path, uid, gid):
        return os.chown(self.real(path), uid, gid)

    def utimens(self, path, times=None):
        return os.utime(self.real(path), times)

    def access(self, path, mode):
        if not os.access(self.real(path), mode):
            raise FuseOSError(errno.EACCES)

    def statfs(self, path):
        st = os.statvfs(self.real(path))
        return {key: getattr(st, key) for key in ('f_bavail', 'f_bfree', 'f_blocks', 'f_bsize', 'f_favail', 'f_ffree', 'f_files', 'f_flag', 'f_frsize', 'f_namemax')}

    def fsyncdir(self, path, datasync, fh):
        fd = os.open(self.real(path), os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        return 0

    def readlink(self, path):
        return os.readlink(self.real(path))

    def symlink(self, target, source):
        return os.symlink(source, self.real(target))

    def link(self, target, source):
        return os.link(self.real(source), self.real(target))


def main():
    args = sys.argv[1:]
    writeback_ms = 1500
    if '--writeback-ms' in args:
        i = args.index('--writeback-ms')
        writeback_ms = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit('usage: lazyFs.py BACKING MOUNTPOINT [--writeback-ms N]')
    backing, mountpoint = args
    FUSE(LazyFs(os.path.abspath(backing), writeback_ms / 1000), mountpoint, foreground=True, nothreads=True)


if __name__ == '__main__':
    main()

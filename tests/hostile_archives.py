#!/usr/bin/env python3
"""Write the hostile archives the check must refuse (and a few it must not).

    hostile_archives.py OUTDIR [--bomb BYTES]

Each file is named CODE--WHAT.EXT, CODE being the error code the full
check must give it ("ok": it passes). Bombs unpack to BYTES of zeros
(default 20 GiB) from a few MiB: concatenated gzip members and xz streams
of 64 MiB of zeros each, and zstd frames written block by block (RLE
blocks of zeros), one with a 2 GiB window, one with a 1 MiB window. Small
BYTES give tiny variants, for a fuzzing corpus. Each bomb comes twice:
declaring a file of that size (CODE--bomb.*), and as bare zeros, an empty
tar padded with them (CODE--zeros.*).

Entries that cannot be made without privileges (devices) are written with
the tarfile module, so this runs anywhere Python does.
"""
import bz2
import io
import lzma
import os
import struct
import sys
import tarfile
import zlib

CHUNK = 64 << 20


def tar_bytes(members, fmt=tarfile.PAX_FORMAT):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as t:
        for info, data in members:
            info.mtime = 1795651200
            if data is not None:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            else:
                t.addfile(info)
    return out.getvalue()


def entry(name, kind=tarfile.REGTYPE, data=None, mode=0o644, link=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.linkname = link
    if kind in (tarfile.CHRTYPE, tarfile.BLKTYPE):
        info.devmajor, info.devminor = 8, 0
    if kind == tarfile.REGTYPE and data is None:
        data = b"data\n"
    return (info, data)


def gzip_member(data):
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    return c.compress(data) + c.flush()


def xz_stream(data, dict_size=1 << 20):
    filters = [{"id": lzma.FILTER_LZMA2, "preset": 1, "dict_size": dict_size}]
    return lzma.compress(data, format=lzma.FORMAT_XZ, filters=filters)


def zstd_frame(data, window_log, zero_bytes=0):
    """A zstd frame of DATA then ZERO_BYTES zeros: raw and RLE blocks."""
    window = 1 << window_log
    block_max = min(window, 128 << 10)
    # Magic; descriptor: no size, no checksum, not single segment.
    out = bytearray(struct.pack("<I", 0xFD2FB528))
    out.append(0x00)
    out.append((window_log - 10) << 3)
    blocks = []
    for off in range(0, len(data), block_max):
        blocks.append((0, data[off:off + block_max]))
    left = zero_bytes
    while left:
        n = min(left, block_max)
        blocks.append((1, n))
        left -= n
    for i, (kind, b) in enumerate(blocks):
        last = 1 if i == len(blocks) - 1 else 0
        size = len(b) if kind == 0 else b
        out += struct.pack("<I", last | (kind << 1) | (size << 3))[:3]
        out += b if kind == 0 else b"\0"
    return bytes(out)


def bomb_header(total):
    """A GNU tar header of one file: with the zeros after it, TOTAL bytes."""
    size = (total - 512 - 1024) // 512 * 512
    info = tarfile.TarInfo("zeros.bin")
    info.size = size
    info.mtime = 1795651200
    return info.tobuf(format=tarfile.GNU_FORMAT)


def repeated(compress, total, head=b""):
    """HEAD then zeros, as members of CHUNK zeros each (made once)."""
    left = total - len(head)
    parts = [compress(head)] if head else []
    full = compress(bytes(CHUNK)) if left >= CHUNK else b""
    parts += [full] * (left // CHUNK)
    if left % CHUNK:
        parts.append(compress(bytes(left % CHUNK)))
    return b"".join(parts)


def write(outdir, name, data):
    with open(os.path.join(outdir, name), "wb") as f:
        f.write(data)


def entries(outdir):
    ok = entry("app/ok.txt")
    cases = {
        "unsafe_entry--chardev.tar": [ok, entry("app/sda", tarfile.CHRTYPE)],
        "unsafe_entry--blockdev.tar": [ok, entry("app/sdb", tarfile.BLKTYPE)],
        "unsafe_entry--fifo.tar": [ok, entry("app/pipe", tarfile.FIFOTYPE)],
        "unsafe_entry--setuid.tar": [ok, entry("app/su", mode=0o4755)],
        "unsafe_entry--setgid.tar": [ok, entry("app/sg", mode=0o2755)],
        "unsafe_path--absolute-symlink.tar": [
            ok, entry("app/passwd", tarfile.SYMTYPE, link="/etc/passwd")],
        "unsafe_path--climbing-symlink.tar": [
            ok, entry("app/up", tarfile.SYMTYPE, link="../../etc")],
        # Links that leave the root only once other links are followed.
        "unsafe_path--symlink-chain.tar": [
            ok, entry("a/l", tarfile.SYMTYPE, link=".."),
            entry("a/m", tarfile.SYMTYPE, link="l/..")],
        "unsafe_path--through-symlink.tar": [
            ok, entry("x", tarfile.SYMTYPE, link="d/.."),
            entry("d", tarfile.SYMTYPE, link="."),
            entry("x/etc/passwd")],
        "unsafe_path--hardlink-to-symlink.tar": [
            ok, entry("a/l", tarfile.SYMTYPE, link=".."),
            entry("h", tarfile.LNKTYPE, link="a/l")],
        "unsafe_path--redirected-symlink.tar": [
            ok, entry("x", tarfile.SYMTYPE, link="d/.."),
            entry("d", tarfile.SYMTYPE, link=".")],
        # An entry put where a link is: some extractors write through it
        # (a file) or keep it (a directory), so the link must stay inside.
        "unsafe_path--dir-on-symlink.tar": [
            ok, entry("L", tarfile.SYMTYPE, link="."),
            entry("L", tarfile.DIRTYPE, mode=0o755),
            entry("M", tarfile.SYMTYPE, link="L/.."),
            entry("M/pwned")],
        "unsafe_path--file-on-symlink.tar": [
            ok, entry("d", tarfile.DIRTYPE, mode=0o755),
            entry("d/e", tarfile.DIRTYPE, mode=0o755),
            entry("N", tarfile.SYMTYPE, link="d/e"),
            entry("L", tarfile.SYMTYPE, link="N/../pwned"),
            entry("N", tarfile.SYMTYPE, link="."),
            entry("L")],
        "unsafe_path--symlink-loop.tar": [
            ok, entry("a", tarfile.SYMTYPE, link="b"),
            entry("b", tarfile.SYMTYPE, link="a")],
        "ok--symlink-chains.tar": [
            entry("v2/bin/app", data=b"#!/bin/sh\n", mode=0o755),
            entry("shared/lib/libx.so"),
            entry("cur", tarfile.SYMTYPE, link="v2"),
            entry("v2/lib", tarfile.SYMTYPE, link="../shared/lib"),
            entry("bin", tarfile.SYMTYPE, link="cur/bin"),
            entry("a/l", tarfile.SYMTYPE, link=".."),
            entry("a/m", tarfile.SYMTYPE, link="l/shared"),
            entry("cur/lib/libx.so.1", tarfile.LNKTYPE,
                  link="shared/lib/libx.so")],
        "ok--relative-symlinks.tar": [
            entry("node_modules/pkg/bin/x", data=b"#!/bin/sh\n", mode=0o755),
            entry("node_modules/.bin/x", tarfile.SYMTYPE,
                  link="../pkg/bin/x"),
            entry("app/cur", tarfile.SYMTYPE, link="./v2/../v1")],
        "ok--control-names.tar": [
            entry("app/two\nlines"),
            entry("app/-rw-r--r-- 0 forged\n-rw-r--r-- 0 line"),
            entry("app/tab\there"),
            entry("app/back\\slash"),
            entry("app/bell\x07and\x7fdel"),
            entry("app/link\nname", tarfile.SYMTYPE, link="two\nlines")],
    }
    for name, members in cases.items():
        write(outdir, name, tar_bytes(members))


def pax(outdir):
    info = tarfile.TarInfo("big")
    info.pax_headers = {"comment": "A" * (2 << 20)}
    write(outdir, "corrupt_archive--pax-huge.tar",
          tar_bytes([(info, b"x")]))
    # A record whose length runs past the header's end.
    body = b"999 path=zzz\n"
    info = tarfile.TarInfo("PaxHeader")
    info.type = tarfile.XHDTYPE
    info.size = len(body)
    info.mtime = 1795651200
    raw = info.tobuf(format=tarfile.USTAR_FORMAT)
    raw += body + bytes(512 - len(body))
    tail = tarfile.TarInfo("file")
    tail.mtime = 1795651200
    raw += tail.tobuf(format=tarfile.USTAR_FORMAT) + bytes(1024)
    write(outdir, "corrupt_archive--pax-malformed.tar", raw)


def trailing(outdir):
    tar = tar_bytes([entry("app/ok.txt")])
    comp = {
        "tar": lambda b: b,
        "tar.gz": gzip_member,
        "tar.xz": xz_stream,
        "tar.bz2": bz2.compress,
        "tar.zst": lambda b: zstd_frame(b, 20),
    }
    for ext, f in comp.items():
        write(outdir, "corrupt_archive--trailing-garbage." + ext,
              f(tar) + b"GARBAGE\n")
        write(outdir, "ok--trailing-zeros." + ext, f(tar) + bytes(4096))


def bombs(outdir, total):
    head = bomb_header(total)
    # A file declared as big as the zeros, and nothing but zeros (an
    # empty tar, then zero padding), which only decompressing finds.
    write(outdir, "too_large--bomb.tar.gz",
          repeated(gzip_member, total, head))
    write(outdir, "too_large--bomb.tar.xz", repeated(xz_stream, total, head))
    write(outdir, "too_large--zeros.tar.gz", repeated(gzip_member, total))
    write(outdir, "too_large--zeros.tar.xz", repeated(xz_stream, total))
    write(outdir, "too_large--zeros.tar.zst", zstd_frame(b"", 20, total))
    write(outdir, "too_large--bomb-long-window.tar.zst",
          zstd_frame(head, 31, total - len(head)))
    write(outdir, "too_large--bomb.tar.zst",
          zstd_frame(head, 20, total - len(head)))
    # Small, but needing a 64 MiB dictionary (xz -9).
    small = tar_bytes([entry("app/ok.txt")])
    write(outdir, "too_large--big-window.tar.xz",
          xz_stream(small, dict_size=64 << 20))
    write(outdir, "too_large--big-window.tar.zst", zstd_frame(small, 27))


def main():
    if len(sys.argv) not in (2, 4) or (len(sys.argv) == 4 and
                                       sys.argv[2] != "--bomb"):
        sys.exit(__doc__)
    outdir = sys.argv[1]
    total = int(sys.argv[3]) if len(sys.argv) == 4 else 20 << 30
    os.makedirs(outdir, exist_ok=True)
    entries(outdir)
    pax(outdir)
    trailing(outdir)
    bombs(outdir, total)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Write an initramfs (newc cpio, uncompressed) whose /init is one static
program: /dev/console (which Linux opens as the first program's fd 0, 1
and 2), /proc (for the program to mount), /init.

usage: initramfs.py PROGRAM OUT.cpio
"""
import stat
import sys


def entry(name, mode, data=b'', rdev=(0, 0), ino=1):
    name_b = name.encode() + b'\0'
    head = '070701' + ''.join(f'{v:08x}' for v in (
        ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0))
    out = head.encode() + name_b
    out += b'\0' * (-len(out) % 4)
    out += data + b'\0' * (-len(data) % 4)
    return out


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    with open(argv[0], 'rb') as f:
        prog = f.read()
    cpio = (entry('dev', stat.S_IFDIR | 0o755, ino=1)
            + entry('dev/console', stat.S_IFCHR | 0o600, rdev=(5, 1), ino=2)
            + entry('proc', stat.S_IFDIR | 0o555, ino=3)
            + entry('init', stat.S_IFREG | 0o755, prog, ino=4)
            + entry('TRAILER!!!', 0, ino=0))
    cpio += b'\0' * (-len(cpio) % 512)
    with open(argv[1], 'wb') as f:
        f.write(cpio)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

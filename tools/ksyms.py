#!/usr/bin/env python3
"""Turn `nm -n kernel.elf` output into an assembly file holding the kernel's
function symbol table, for backtraces with names.

Layout (read by ksym_lookup() in kernel/trap/backtrace.c):
    ksyms_count: .quad N
    ksyms_addr:  .quad addr[0..N-1]      sorted ascending
    ksyms_name:  .word off[0..N-1]       offsets into ksyms_str
    ksyms_str:   NUL-terminated names

Only text symbols (t/T/W) are kept: text does not move between link
passes, so the table of the first pass is exact for the second.
"""
import sys


def main():
    syms = {}
    for line in sys.stdin:
        parts = line.split()
        if len(parts) != 3 or parts[1] not in "tTwW":
            continue
        addr, name = int(parts[0], 16), parts[2]
        if name.startswith(("$", ".L")):
            continue
        syms.setdefault(addr, name)      # first name at an address wins
    items = sorted(syms.items())
    out = ['\t.section .rodata.ksyms, "a"', "\t.balign 8",
           "\t.globl ksyms_count, ksyms_addr, ksyms_name, ksyms_str",
           f"ksyms_count:\n\t.quad {len(items)}", "ksyms_addr:"]
    out += [f"\t.quad 0x{a:x}" for a, _ in items]
    out.append("ksyms_name:")
    off = 0
    for _, n in items:
        out.append(f"\t.word {off}")
        off += len(n) + 1
    out.append("ksyms_str:")
    out += [f'\t.asciz "{n}"' for _, n in items]
    print("\n".join(out))


if __name__ == "__main__":
    main()

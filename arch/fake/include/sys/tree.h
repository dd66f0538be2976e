/*
 * The host build's <sys/tree.h>: glibc has none, so this takes picolibc's
 * (installed by tools/setup.sh), the very file the kernel build uses.
 * It includes <sys/cdefs.h>, which resolves to glibc's here; that one
 * lacks BSD's __unused, which the tree's static generators
 * (RB_GENERATE_STATIC, SPLAY_PROTOTYPE) put on every function, so it is
 * supplied here, as picolibc's cdefs.h defines it.
 */
#ifndef TESTS_HOST_SYS_TREE_H
#define TESTS_HOST_SYS_TREE_H

#include <sys/cdefs.h>
#ifndef __unused
#define __unused __attribute__((__unused__))
#endif
#include "/usr/lib/picolibc/riscv64-unknown-elf/include/sys/tree.h"

#endif

/*
 * The layout of a trampoline window, the contract between the arch's
 * trampoline page (arch/<arch>/tramp.S: the shared stub and the slots)
 * and the code that fills the window (kernel/exec/tramp.c, whose header
 * kernel/exec/tramp.h draws the window).  Included by assembly too.
 */
#ifndef ARCH_TRAMP_H
#define ARCH_TRAMP_H

#define TRAMP_SLOT_SIZE   16          /* bytes of one trampoline */
#define TRAMP_STUB_SIZE   128         /* the shared stub at the start of the page */
#define TRAMP_FIRST_SLOT  (TRAMP_STUB_SIZE / TRAMP_SLOT_SIZE)
#define TRAMP_NSLOTS      (4096 / TRAMP_SLOT_SIZE)
#define TRAMP_PER_WINDOW  (TRAMP_NSLOTS - TRAMP_FIRST_SLOT)   /* 248 */
#define TRAMP_WINDOW_SIZE (8 * 4096)  /* RX page + hot page + 6 cold pages */
#define TRAMP_HOT_OFFSET  4096        /* hot entry = trampoline address + this */
#define TRAMP_COLD_OFFSET 8192
#define TRAMP_RW_END      (8 * 4096)  /* end of the RW pages (hot + 6 cold) */

#endif

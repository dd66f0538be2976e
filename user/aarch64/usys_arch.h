/*
 * arm64's system-call convention, as Linux takes it: the number in x8,
 * arguments in x0..x5, `svc #0`, the result in x0 (a negative errno on
 * failure).  user/include/usys.h builds the call from these names.
 */
#ifndef USYS_ARCH_H
#define USYS_ARCH_H

#define USYS_INSN "svc #0"
#define USYS_R_NR "x8"
#define USYS_R0   "x0"
#define USYS_R1   "x1"
#define USYS_R2   "x2"
#define USYS_R3   "x3"
#define USYS_R4   "x4"
#define USYS_R5   "x5"

#endif

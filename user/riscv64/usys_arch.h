/*
 * riscv64's system-call convention, as Linux takes it: the number in a7,
 * arguments in a0..a5, `ecall`, the result in a0 (a negative errno on
 * failure).  user/include/usys.h builds the call from these names.
 */
#ifndef USYS_ARCH_H
#define USYS_ARCH_H

#define USYS_INSN "ecall"
#define USYS_R_NR "a7"
#define USYS_R0   "a0"
#define USYS_R1   "a1"
#define USYS_R2   "a2"
#define USYS_R3   "a3"
#define USYS_R4   "a4"
#define USYS_R5   "a5"

#endif

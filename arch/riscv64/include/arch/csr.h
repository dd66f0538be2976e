/* riscv64 CSR access (RISC-V Privileged Spec v1.12, chapter 4). */
#ifndef ARCH_CSR_H
#define ARCH_CSR_H

#define SSTATUS_SIE   (1UL << 1)
#define SSTATUS_SPIE  (1UL << 5)
#define SSTATUS_SPP   (1UL << 8)
#define SSTATUS_FS    (3UL << 13)
#define SSTATUS_SUM   (1UL << 18)

#define csr_read(csr) ({ unsigned long v_; \
	__asm__ volatile("csrr %0, " #csr : "=r"(v_)); v_; })
#define csr_write(csr, val) \
	__asm__ volatile("csrw " #csr ", %0" :: "rK"(val) : "memory")
#define csr_set(csr, bits) \
	__asm__ volatile("csrs " #csr ", %0" :: "rK"(bits) : "memory")
#define csr_clear(csr, bits) \
	__asm__ volatile("csrc " #csr ", %0" :: "rK"(bits) : "memory")
#define csr_read_clear(csr, bits) ({ unsigned long v_; \
	__asm__ volatile("csrrc %0, " #csr ", %1" : "=r"(v_) : "rK"(bits) : "memory"); v_; })

#endif

/*
 * The serial console.  Output and input go through picolibc's stdio
 * (printf, getchar); the UART behind it comes from the board's early
 * setting until the device tree's /chosen stdout-path names one.
 */
#ifndef DRIVERS_CONSOLE_H
#define DRIVERS_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

struct fdt;

struct uart {
	uint64_t phys;           /* physical address of the registers */
	uintptr_t base;          /* where the kernel maps them */
	unsigned reg_shift;      /* register stride is 1 << reg_shift bytes */
	unsigned reg_io_width;   /* 1 or 4 bytes per register access */
	const struct uart_driver *drv;
};

struct uart_driver {
	const char *name;             /* the kind board.mk's EARLY_UART names */
	const char *compatible[3];    /* the device-tree strings it serves, NULL-ended */
	void (*init)(struct uart *u);
	void (*put_char)(struct uart *u, char c);
	int (*get_char)(struct uart *u);     /* -1 when nothing is waiting */
};

extern const struct uart_driver uart_ns16550a, uart_dw_apb, uart_sifive, uart_pl011;

/*
 * Use the board's fallback UART (EARLY_UART in board.mk, with
 * EARLY_UART_REG_SHIFT and EARLY_UART_REG_IO_WIDTH for a 16550 whose
 * registers are spaced out).
 */
void console_early_init(void);

/* The driver serving device-tree node @node's compatible strings, or NULL. */
const struct uart_driver *uart_driver_of(const struct fdt *fdt, int node);

/*
 * Switch to the UART that /chosen stdout-path names.  Returns E_OK, or an
 * error (the early console stays) when it is absent or of an unknown kind.
 */
int console_fdt_init(const struct fdt *fdt);

/* Describe the UART in use ("ns16550a@0x10000000"). */
const char *console_name(void);

void console_putc(char c);
/* Next input character, or -1 when none is waiting. */
int console_getc_nowait(void);

/*
 * Prefix every line written from now on with @prefix (NULL: none).  The
 * self-test runner uses it so whatever a case prints becomes a KTAP
 * diagnostic line.
 */
void console_set_prefix(const char *prefix);

/*
 * Send console output into @buf (NUL-terminated, truncated at @size - 1)
 * instead of the UART, until console_capture_stop(), which returns how
 * many characters were written (including any that did not fit).  For
 * tests of what the kernel prints.
 */
void console_capture_start(char *buf, size_t size);
size_t console_capture_stop(void);

#endif

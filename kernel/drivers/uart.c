/*
 * UART drivers: the 16550A (RISC-V virt, many SoCs) and the Arm PL011
 * (AArch64 virt).  Polled, no interrupts; the firmware has set the baud
 * rate, so only the bits that make the port usable are touched.
 */
#include <stdint.h>
#include <drivers/console.h>

/* 16550: registers in units of 1 << reg_shift. */
#define NS_RBR 0   /* receive buffer (read) / transmit holding (write) */
#define NS_LSR 5
#define NS_LSR_DR   0x01
#define NS_LSR_THRE 0x20

static uint32_t ns_read(struct uart *u, unsigned reg)
{
	uintptr_t a = u->base + ((uintptr_t)reg << u->reg_shift);

	if (u->reg_io_width == 4)
		return *(volatile uint32_t *)a;
	return *(volatile uint8_t *)a;
}

static void ns_write(struct uart *u, unsigned reg, uint32_t v)
{
	uintptr_t a = u->base + ((uintptr_t)reg << u->reg_shift);

	if (u->reg_io_width == 4)
		*(volatile uint32_t *)a = v;
	else
		*(volatile uint8_t *)a = (uint8_t)v;
}

/*
 * The firmware (OpenSBI, U-Boot) has programmed line settings and FIFOs.
 * Touching FCR would clear the receive FIFO and lose what was typed
 * before the kernel got here, so nothing is written.
 */
static void ns_init(struct uart *u)
{
	(void)u;
}

static void ns_putc(struct uart *u, char c)
{
	while (!(ns_read(u, NS_LSR) & NS_LSR_THRE))
		;
	ns_write(u, NS_RBR, (uint8_t)c);
}

static int ns_getc(struct uart *u)
{
	if (!(ns_read(u, NS_LSR) & NS_LSR_DR))
		return -1;
	return (int)(ns_read(u, NS_RBR) & 0xff);
}

const struct uart_driver uart_ns16550a = {
	.name = "ns16550a",
	.compatible = "ns16550a",
	.init = ns_init,
	.put_char = ns_putc,
	.get_char = ns_getc,
};

/* PL011 (Arm DDI 0183): 32-bit registers at fixed offsets. */
#define PL_DR   0x00
#define PL_FR   0x18
#define PL_CR   0x30
#define PL_FR_RXFE (1 << 4)
#define PL_FR_TXFF (1 << 5)
#define PL_CR_EN   ((1 << 0) | (1 << 8) | (1 << 9))   /* UARTEN TXE RXE */

static volatile uint32_t *pl_reg(struct uart *u, unsigned off)
{
	return (volatile uint32_t *)(u->base + off);
}

static void pl_init(struct uart *u)
{
	*pl_reg(u, PL_CR) |= PL_CR_EN;
}

static void pl_putc(struct uart *u, char c)
{
	while (*pl_reg(u, PL_FR) & PL_FR_TXFF)
		;
	*pl_reg(u, PL_DR) = (uint8_t)c;
}

static int pl_getc(struct uart *u)
{
	if (*pl_reg(u, PL_FR) & PL_FR_RXFE)
		return -1;
	return (int)(*pl_reg(u, PL_DR) & 0xff);
}

const struct uart_driver uart_pl011 = {
	.name = "pl011",
	.compatible = "arm,pl011",
	.init = pl_init,
	.put_char = pl_putc,
	.get_char = pl_getc,
};

/*
 * UART drivers: the 16550A (RISC-V virt, many SoCs) and the Synopsys
 * DesignWare APB UART (a 16550 with 32-bit registers 4 bytes apart, the
 * StarFive JH7110's), the SiFive UART (FU540, QEMU sifive_u) and the Arm
 * PL011 (AArch64 virt, Raspberry Pi).  Polled, no interrupts; the firmware
 * has set the baud rate, so only the bits that make the port usable are
 * touched.  Each driver lists the compatible strings it serves.
 */
#include <stddef.h>
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
	.compatible = { "ns16550a", "ns16550", NULL },
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

/*
 * DesignWare APB UART (Synopsys DW_apb_uart databook): the 16550's
 * registers, reached as the device tree's reg-shift and reg-io-width say
 * (2 and 4 on the JH7110).  Its one quirk, a busy LCR while receiving,
 * concerns writes this driver never makes.
 */
const struct uart_driver uart_dw_apb = {
	.name = "dw-apb-uart",
	.compatible = { "snps,dw-apb-uart", NULL },
	.init = ns_init,
	.put_char = ns_putc,
	.get_char = ns_getc,
};

/*
 * SiFive UART (FU540-C000 manual, chapter 13): 32-bit registers; txdata
 * bit 31 says the transmit FIFO is full, reading rxdata gives the byte
 * with bit 31 set when the receive FIFO was empty.
 */
#define SF_TXDATA 0x00
#define SF_RXDATA 0x04
#define SF_TXCTRL 0x08
#define SF_RXCTRL 0x0c
#define SF_FIFO_FLAG (1u << 31)   /* txdata: full; rxdata: empty */
#define SF_EN 1u                  /* txctrl.txen, rxctrl.rxen */

static volatile uint32_t *sf_reg(struct uart *u, unsigned off)
{
	return (volatile uint32_t *)(u->base + off);
}

static void sf_init(struct uart *u)
{
	*sf_reg(u, SF_TXCTRL) |= SF_EN;
	*sf_reg(u, SF_RXCTRL) |= SF_EN;
}

static void sf_putc(struct uart *u, char c)
{
	while (*sf_reg(u, SF_TXDATA) & SF_FIFO_FLAG)
		;
	*sf_reg(u, SF_TXDATA) = (uint8_t)c;
}

static int sf_getc(struct uart *u)
{
	uint32_t v = *sf_reg(u, SF_RXDATA);

	return v & SF_FIFO_FLAG ? -1 : (int)(v & 0xff);
}

const struct uart_driver uart_sifive = {
	.name = "sifive",
	.compatible = { "sifive,uart0", "sifive,fu540-c000-uart", NULL },
	.init = sf_init,
	.put_char = sf_putc,
	.get_char = sf_getc,
};

const struct uart_driver uart_pl011 = {
	.name = "pl011",
	.compatible = { "arm,pl011", NULL },
	.init = pl_init,
	.put_char = pl_putc,
	.get_char = pl_getc,
};

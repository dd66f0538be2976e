/* The serial console under picolibc's stdio (see kernel/drivers/console.h). */
#include <stdio.h>
#include <string.h>
#include <arch/cpu.h>
#include <drivers/console.h>
#include <lib/spinlock.h>
#include <lib/err.h>
#include <mm/boot_mmu.h>
#include <lib/fdt.h>
#include <mm/kmap.h>

static const struct uart_driver *const drivers[] = {
	&uart_ns16550a, &uart_dw_apb, &uart_sifive, &uart_pl011,
};

static struct uart console;
static const char *line_prefix;
static int at_line_start = 1;
static char name[48];

static void set_name(void)
{
	snprintf(name, sizeof(name), "%s@0x%lx", console.drv->name,
	         (unsigned long)console.phys);
}

/* The board's fallback UART; a board without one stays silent until the
 * device tree names a console. */
void console_early_init(void)
{
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (!strcmp(drivers[i]->name, EARLY_UART_KIND))
			console.drv = drivers[i];
	if (!console.drv)
		return;
	console.phys = EARLY_UART_BASE;
	console.base = BOOT_EARLY_UART_PAGE_VA + (EARLY_UART_BASE & PAGE_MASK);
	console.reg_shift = EARLY_UART_REG_SHIFT;
	console.reg_io_width = EARLY_UART_REG_IO_WIDTH;
	set_name();
}

const struct uart_driver *uart_driver_of(const struct fdt *fdt, int node)
{
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		for (const char *const *c = drivers[i]->compatible; *c; c++)
			if (fdt_is_compatible(fdt, node, *c))
				return drivers[i];
	return NULL;
}

int console_fdt_init(const struct fdt *fdt)
{
	int node = fdt_stdout_node(fdt);
	const struct uart_driver *drv = uart_driver_of(fdt, node);
	struct fdt_range reg;
	uint32_t v;

	if (node < 0)
		return node;
	if (!drv)
		return E_NOTSUP;
	int rc = fdt_reg_phys(fdt, node, 0, &reg);
	if (rc)
		return rc;

	struct uart u = { .phys = reg.base, .reg_io_width = 1, .drv = drv };
	/* The early UART is mapped already; anything else gets a mapping. */
	if (console.drv && reg.base == console.phys)
		u.base = console.base;
	else if (!(u.base = (uintptr_t)iomap(reg.base, reg.size ? reg.size : PAGE_SIZE)))
		return E_NOMEM;
	if (fdt_getprop_u32(fdt, node, "reg-shift", &v) == E_OK && v < 4)
		u.reg_shift = v;
	if (fdt_getprop_u32(fdt, node, "reg-io-width", &v) == E_OK && v == 4)
		u.reg_io_width = 4;
	drv->init(&u);
	console = u;
	set_name();
	return E_OK;
}

const char *console_name(void)
{
	return name;
}

void console_set_prefix(const char *prefix)
{
	line_prefix = prefix;
}

static void raw_putc(char c)
{
	if (!console.drv)
		return;
	if (c == '\n')
		console.drv->put_char(&console, '\r');
	console.drv->put_char(&console, c);
}

static struct {
	char *buf;
	size_t size, len;
} capture;

void console_capture_start(char *buf, size_t size)
{
	capture.buf = buf;
	capture.size = size;
	capture.len = 0;
	if (size)
		buf[0] = '\0';
}

size_t console_capture_stop(void)
{
	fflush(stdout);
	capture.buf = NULL;
	return capture.len;
}

/*
 * Output goes to the UART a whole line at a time: each CPU gathers its
 * characters until a newline (or a full buffer, or a flush: before
 * reading input, fflush()), then writes the line under out_lock, so the
 * lines of CPUs printing at once (reports from processes on several
 * CPUs) do not mix.  The line prefix is added under the lock too.
 */
#define LINE_MAX 160

static struct {
	char buf[LINE_MAX];
	unsigned len;
} lines[CPU_MAX];

static struct spinlock out_lock = SPINLOCK_INIT;   /* the UART and at_line_start */

static void flush_line(void)
{
	unsigned cpu = cpu_num();
	unsigned n = lines[cpu].len;

	if (!n)
		return;
	unsigned long irq = spin_lock_irqsave(&out_lock);

	for (unsigned i = 0; i < n; i++) {
		char c = lines[cpu].buf[i];

		if (at_line_start && line_prefix)
			for (const char *p = line_prefix; *p; p++)
				raw_putc(*p);
		raw_putc(c);
		at_line_start = c == '\n';
	}
	lines[cpu].len = 0;
	spin_unlock_irqrestore(&out_lock, irq);
}

void console_putc(char c)
{
	if (capture.buf) {
		if (capture.len + 1 < capture.size) {
			capture.buf[capture.len] = c;
			capture.buf[capture.len + 1] = '\0';
		}
		capture.len++;
		return;
	}
	unsigned cpu = cpu_num();

	lines[cpu].buf[lines[cpu].len++] = c;
	if (c == '\n' || lines[cpu].len == LINE_MAX)
		flush_line();
}

int console_getc_nowait(void)
{
	flush_line();   /* a prompt before the input */
	if (!console.drv)
		return -1;
	return console.drv->get_char(&console);
}

/* The self-test runner asks whether the console prefixes lines itself. */
int ktest_console_prefix(const char *prefix);
int ktest_console_prefix(const char *prefix)
{
	console_set_prefix(prefix);
	return 1;
}

/* picolibc stdio hooks: one stream for stdin, stdout and stderr. */
static int stdio_put(char c, FILE *f)
{
	(void)f;
	console_putc(c);
	return (unsigned char)c;
}

static int stdio_get(FILE *f)
{
	int c;

	(void)f;
	while ((c = console_getc_nowait()) < 0)
		;
	return c;
}

static int stdio_flush(FILE *f)
{
	(void)f;
	flush_line();
	return 0;
}

static FILE console_file = FDEV_SETUP_STREAM(stdio_put, stdio_get, stdio_flush, _FDEV_SETUP_RW);
FILE *const stdin = &console_file;
FILE *const stdout = &console_file;
FILE *const stderr = &console_file;

/*
 * In-kernel checks of the device tree parser against the blob this kernel
 * booted with (boot_fdt), and against corrupted copies of it.  The host
 * suite (tests/lib/fdt_host.c) covers the parser in depth; this one makes
 * sure it agrees with what the real firmware (QEMU) hands over.
 */
#include <stdio.h>
#include <boot/boot.h>
#include <drivers/console.h>
#include <lib/err.h>
#include <lib/fdt.h>
#include <lib/ktest.h>
#include <string.h>

/* Header field offsets (Devicetree Specification v0.4, 5.2). */
enum {
	H_MAGIC = 0, H_TOTALSIZE = 4, H_OFF_STRUCT = 8, H_OFF_STRINGS = 12,
	H_VERSION = 20, H_SIZE_STRINGS = 32, H_SIZE_STRUCT = 36,
};

/* Room for a copy of the live blob; 8-byte aligned like a real one. */
static uint64_t copy_buf[64 * 1024 / sizeof(uint64_t)];

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t max32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

/*
 * Copy the live blob into copy_buf and return the copy's size.  Firmware
 * often leaves free space at the end (QEMU's arm virt blob claims 1 MiB),
 * so only the bytes up to the end of the last block are copied, and the
 * copy's totalsize says so.  Skips the case when even that does not fit.
 */
static uint32_t copy_live_blob(void)
{
	const uint8_t *b = boot_fdt.blob;
	uint32_t end, rsv_end;

	ASSERT_NOT_NULL(b);
	rsv_end = (uint32_t)(boot_fdt.rsvmap - b) + 16 * (boot_fdt.rsvmap_count + 1);
	end = max32(rsv_end, get32(b + H_OFF_STRINGS) + get32(b + H_SIZE_STRINGS));
	/* The header's struct size: it can exceed the part that was used. */
	end = max32(end, get32(b + H_OFF_STRUCT) +
	            (get32(b + H_VERSION) >= 17 ? get32(b + H_SIZE_STRUCT)
	                                        : boot_fdt.structs_size));
	end = (end + 7) & ~7u;
	if (end > boot_fdt.totalsize)
		end = boot_fdt.totalsize;
	if (end > sizeof(copy_buf))
		ktest_skip("live device tree larger than the 64 KiB copy buffer");
	memcpy(copy_buf, b, end);
	put32((uint8_t *)copy_buf + H_TOTALSIZE, end);
	return end;
}

static void test_root_has_children(void)
{
	int root = fdt_root(&boot_fdt);

	ASSERT_GE(root, 0);
	EXPECT_STREQ(fdt_node_name(&boot_fdt, root), "");
	EXPECT_GE(fdt_first_child(&boot_fdt, root), 0);
	EXPECT_EQ(fdt_parent(&boot_fdt, root), E_NOENT);
	EXPECT_GE(fdt_path_offset(&boot_fdt, "/chosen"), 0);
}

static void test_memory_has_ram(void)
{
	struct fdt_range r[8];
	int n = fdt_memory(&boot_fdt, r, 8);

	ASSERT_GE(n, 1);
	for (int i = 0; i < n && i < 8; i++) {
		EXPECT_NE(r[i].size, 0);
		if (i > 0)
			EXPECT_TRUE(r[i - 1].base <= r[i].base);
	}
	/* Reserved ranges may be none, but never an error. */
	EXPECT_GE(fdt_reserved(&boot_fdt, r, 8), 0);
}

static void test_bootargs_match_cmdline(void)
{
	ASSERT_NOT_NULL(boot_cmdline);
	EXPECT_STREQ(fdt_bootargs(&boot_fdt), boot_cmdline);
}

/*
 * The console is the UART stdout-path names, at its CPU physical address
 * (through the buses' ranges), when a driver serves its compatible
 * string; otherwise (the Raspberry Pi 3's mini UART) the board's early
 * UART stays.
 */
static void test_console_follows_stdout_path(void)
{
	const struct uart_driver *drv;
	int node = fdt_stdout_node(&boot_fdt);
	struct fdt_range reg;
	char want[64];

	ASSERT_GE(node, 0);
	ASSERT_OK(fdt_reg_phys(&boot_fdt, node, 0, &reg));
	EXPECT_NE(reg.size, 0);
	drv = uart_driver_of(&boot_fdt, node);
	if (drv)
		snprintf(want, sizeof(want), "%s@0x%llx", drv->name, (unsigned long long)reg.base);
	else
		snprintf(want, sizeof(want), "%s@0x%llx", EARLY_UART_KIND,
		         (unsigned long long)EARLY_UART_BASE);
	EXPECT_STREQ(console_name(), want);
}

static void test_pristine_copy_validates(void)
{
	uint32_t size = copy_live_blob();
	struct fdt f;

	ASSERT_OK(fdt_init(&f, copy_buf, size));
	EXPECT_EQ(f.totalsize, size);
	EXPECT_EQ(f.structs_size, boot_fdt.structs_size);
	EXPECT_EQ(f.rsvmap_count, boot_fdt.rsvmap_count);
	EXPECT_STREQ(fdt_bootargs(&f), fdt_bootargs(&boot_fdt));
	/* Same tree, so the same offsets. */
	EXPECT_EQ(fdt_stdout_node(&f), fdt_stdout_node(&boot_fdt));
}

static void test_corrupt_magic_rejected(void)
{
	uint32_t size = copy_live_blob();
	struct fdt f;

	put32((uint8_t *)copy_buf + H_MAGIC, 0xd00dfeef);
	EXPECT_EQ(fdt_init(&f, copy_buf, size), E_CORRUPT);
	EXPECT_EQ(fdt_root(&f), E_NOENT);
}

static void test_corrupt_totalsize_rejected(void)
{
	uint32_t size = copy_live_blob();
	struct fdt f;

	/* More than the buffer it is in. */
	put32((uint8_t *)copy_buf + H_TOTALSIZE, size + 8);
	EXPECT_EQ(fdt_init(&f, copy_buf, size), E_CORRUPT);
	put32((uint8_t *)copy_buf + H_TOTALSIZE, 0xfffffff8);
	EXPECT_EQ(fdt_init(&f, copy_buf, size), E_CORRUPT);
}

static void test_corrupt_struct_offset_rejected(void)
{
	uint32_t size = copy_live_blob();
	uint8_t *b = (uint8_t *)copy_buf;
	struct fdt f;

	put32(b + H_OFF_STRUCT, size + 8);
	EXPECT_EQ(fdt_init(&f, b, size), E_CORRUPT);
	put32(b + H_OFF_STRUCT, 0);  /* inside the header */
	EXPECT_EQ(fdt_init(&f, b, size), E_CORRUPT);
}

static void test_corrupt_token_rejected(void)
{
	uint32_t size = copy_live_blob();
	uint8_t *b = (uint8_t *)copy_buf;
	struct fdt f;
	int root;

	/* The root's BEGIN_NODE token becomes an unknown token. */
	ASSERT_OK(fdt_init(&f, b, size));
	root = fdt_root(&f);
	ASSERT_GE(root, 0);
	put32(b + get32(b + H_OFF_STRUCT) + (uint32_t)root, 0x0000000a);
	EXPECT_EQ(fdt_init(&f, b, size), E_CORRUPT);
}

KTEST_SUITE(fdt,
	KTEST_CASE(test_root_has_children),
	KTEST_CASE(test_memory_has_ram),
	KTEST_CASE(test_bootargs_match_cmdline),
	KTEST_CASE(test_console_follows_stdout_path),
	KTEST_CASE(test_pristine_copy_validates),
	KTEST_CASE(test_corrupt_magic_rejected),
	KTEST_CASE(test_corrupt_totalsize_rejected),
	KTEST_CASE(test_corrupt_struct_offset_rejected),
	KTEST_CASE(test_corrupt_token_rejected));

/*
 * Host unit tests for lib/fdt.c.
 *
 * Inputs are real blobs that dtc compiled from tests/lib/fdt/NAME.dts into
 * $KTEST_DATA/fdt/NAME.dtb, plus corrupted copies of them, plus a few tiny
 * blobs assembled here token by token for structural errors that dtc would
 * never emit.  Every blob handed to fdt_init() sits in a malloc'd buffer of
 * exactly its size, so under AddressSanitizer any read past the end fails
 * the run.  All malloc'd memory stays reachable from statics: an ASSERT
 * longjmps out of a case, and LeakSanitizer must not report that.
 */
#include <lib/err.h>
#include <lib/fdt.h>
#include <lib/ktest.h>
#include <mm/memmap.h>
#include "testlib.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- blobs ------------------------------------------------------------ */

struct fixture {
	const char *name;
	uint8_t *data;
	size_t size;
};

static struct fixture fixtures[] = {
	{ "riscv", NULL, 0 },
	{ "aarch64", NULL, 0 },
	{ "cells1", NULL, 0 },
	{ "deep32", NULL, 0 },
	{ "deep33", NULL, 0 },
	{ "buses", NULL, 0 },
	/* The real boards' trees from Debian's arm64 Linux package, and QEMU's
	 * model of the SiFive Unleashed (Debian 12 has no riscv64 kernel);
	 * the Makefile puts them beside the others. */
	{ "bcm2837-rpi-3-b", NULL, 0 },
	{ "bcm2711-rpi-4-b", NULL, 0 },
	{ "qemu-sifive_u", NULL, 0 },
};

/* The named fixture blob, read once from $KTEST_DATA/fdt/NAME.dtb. */
static const uint8_t *fixture(const char *name, size_t *size)
{
	struct fixture *fx = NULL;
	const char *dir = getenv("KTEST_DATA");
	char path[512];
	FILE *fp;
	long n;

	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
		if (strcmp(fixtures[i].name, name) == 0)
			fx = &fixtures[i];
	ASSERT_NOT_NULL(fx);
	if (!fx->data) {
		if (!dir) {
			ktest_fail(__FILE__, __LINE__, "KTEST_DATA is not set");
			ktest_abort();
		}
		snprintf(path, sizeof(path), "%s/fdt/%s.dtb", dir, name);
		fp = fopen(path, "rb");
		if (!fp) {
			ktest_fail(__FILE__, __LINE__, "cannot open %s", path);
			ktest_abort();
		}
		fseek(fp, 0, SEEK_END);
		n = ftell(fp);
		rewind(fp);
		fx->data = n > 0 ? malloc((size_t)n) : NULL;
		if (!fx->data || fread(fx->data, 1, (size_t)n, fp) != (size_t)n) {
			fclose(fp);
			free(fx->data);
			fx->data = NULL;
			ktest_fail(__FILE__, __LINE__, "cannot read %s", path);
			ktest_abort();
		}
		fclose(fp);
		fx->size = (size_t)n;
	}
	*size = fx->size;
	return fx->data;
}

/*
 * A writable copy of @n bytes at @src in an exactly sized heap buffer
 * (malloc aligns it for fdt_init).  It replaces the previous copy, so the
 * caller must be done with that one.
 */
static uint8_t *scratch;

static uint8_t *scratch_copy(const void *src, size_t n)
{
	free(scratch);
	scratch = malloc(n ? n : 1);
	ASSERT_NOT_NULL(scratch);
	memcpy(scratch, src, n);
	return scratch;
}

static uint8_t *fixture_copy(const char *name, size_t *size)
{
	const uint8_t *b = fixture(name, size);

	return scratch_copy(b, *size);
}

static void init_fixture(struct fdt *f, const char *name)
{
	size_t size;
	const uint8_t *b = fixture(name, &size);

	ASSERT_OK(fdt_init(f, b, size));
}

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

/* Header field offsets (Devicetree Specification v0.4, 5.2). */
enum {
	H_MAGIC = 0, H_TOTALSIZE = 4, H_OFF_STRUCT = 8, H_OFF_STRINGS = 12,
	H_OFF_RSVMAP = 16, H_VERSION = 20, H_LAST_COMP = 24,
	H_SIZE_STRINGS = 32, H_SIZE_STRUCT = 36,
};

/* fdt_init() on a copy of @name with header field @field set to @v. */
static int init_with_field(const char *name, int field, uint32_t v)
{
	struct fdt f;
	size_t size;
	uint8_t *b = fixture_copy(name, &size);

	put32(b + field, v);
	return fdt_init(&f, b, size);
}

/* ---- a tiny blob assembler for structural errors ------------------------ */

struct bld {
	uint8_t st[512];   /* structure block */
	size_t sn;
	char str[128];     /* strings block */
	size_t strn;
};

static void b32(struct bld *b, uint32_t v)
{
	ASSERT_LE(b->sn + 4, sizeof(b->st));
	put32(b->st + b->sn, v);
	b->sn += 4;
}

static void bbytes(struct bld *b, const void *p, size_t n)
{
	ASSERT_LE(b->sn + n + 3, sizeof(b->st));
	memcpy(b->st + b->sn, p, n);
	b->sn += n;
	while (b->sn % 4)
		b->st[b->sn++] = 0;
}

static void bbegin(struct bld *b, const char *name)
{
	b32(b, 1);
	bbytes(b, name, strlen(name) + 1);
}

static void bprop(struct bld *b, const char *name, const void *val, uint32_t len)
{
	size_t n = strlen(name) + 1;

	ASSERT_LE(b->strn + n, sizeof(b->str));
	b32(b, 3);
	b32(b, len);
	b32(b, (uint32_t)b->strn);
	memcpy(b->str + b->strn, name, n);
	b->strn += n;
	bbytes(b, val, len);
}

enum { B_END_NODE = 2, B_NOP = 4, B_END = 9 };

/*
 * Lay out header, empty reservation list, structure and strings blocks in
 * a scratch buffer of exactly the blob's size; returns the init result.
 */
static int bld_init(struct fdt *f, const struct bld *b)
{
	size_t total = 40 + 16 + b->sn + b->strn;
	uint8_t *blob = malloc(total);
	int rc;

	ASSERT_NOT_NULL(blob);
	memset(blob, 0, total);
	put32(blob + H_MAGIC, 0xd00dfeed);
	put32(blob + H_TOTALSIZE, (uint32_t)total);
	put32(blob + H_OFF_RSVMAP, 40);
	put32(blob + H_OFF_STRUCT, 56);
	put32(blob + H_OFF_STRINGS, (uint32_t)(56 + b->sn));
	put32(blob + H_VERSION, 17);
	put32(blob + H_LAST_COMP, 16);
	put32(blob + H_SIZE_STRINGS, (uint32_t)b->strn);
	put32(blob + H_SIZE_STRUCT, (uint32_t)b->sn);
	memcpy(blob + 56, b->st, b->sn);
	memcpy(blob + 56 + b->sn, b->str, b->strn);
	scratch_copy(blob, total);
	free(blob);
	rc = fdt_init(f, scratch, total);
	return rc;
}

/* ---- helpers over the API ---------------------------------------------- */

static int path(const struct fdt *f, const char *p)
{
	return fdt_path_offset(f, p);
}

/* Nodes in the subtree at @node, checking parent/child links on the way. */
static int count_nodes(const struct fdt *f, int node, int depth)
{
	int n = 1, child;

	ASSERT_LE(depth, FDT_MAX_DEPTH);
	for (child = fdt_first_child(f, node); child >= 0; child = fdt_next_sibling(f, child)) {
		EXPECT_EQ(fdt_parent(f, child), node);
		n += count_nodes(f, child, depth + 1);
	}
	EXPECT_EQ(child, E_NOENT);
	return n;
}

static void expect_range(const struct fdt_range *r, uint64_t base, uint64_t size)
{
	EXPECT_EQ_U(r->base, base);
	EXPECT_EQ_U(r->size, size);
}

/* ---- well-formed blobs --------------------------------------------------- */

static void test_init_accepts_fixtures(void)
{
	static const char *const names[] = { "riscv", "aarch64", "cells1", "deep32" };
	static const uint32_t rsv[] = { 1, 0, 2, 0 };
	struct fdt f;
	size_t size;

	for (size_t i = 0; i < 4; i++) {
		const uint8_t *b = fixture(names[i], &size);

		ASSERT_OK(fdt_init(&f, b, size));
		EXPECT_EQ_U(f.blob, b);
		EXPECT_EQ(f.totalsize, size);
		EXPECT_EQ(f.rsvmap_count, rsv[i]);
		EXPECT_EQ(f.structs_size, get32(b + H_SIZE_STRUCT));
		EXPECT_EQ(f.strings_size, get32(b + H_SIZE_STRINGS));
		/* A generous limit, as for a blob from firmware, works too. */
		EXPECT_OK(fdt_init(&f, b, 2u << 20));
	}
}

static void test_init_rejects_bad_arguments(void)
{
	struct fdt f;
	size_t size;
	const uint8_t *b = fixture("riscv", &size);
	uint8_t *odd;
	struct fdt_range r;

	EXPECT_EQ(fdt_init(NULL, b, size), E_INVAL);
	EXPECT_EQ(fdt_init(&f, NULL, size), E_INVAL);
	/* A misaligned pointer is refused before anything is read. */
	odd = malloc(size + 2);
	ASSERT_NOT_NULL(odd);
	memcpy(odd + 2, b, size);
	EXPECT_EQ(fdt_init(&f, odd + 2, size), E_INVAL);
	free(odd);
	/* Too small to hold even the header. */
	EXPECT_EQ(fdt_init(&f, b, 39), E_CORRUPT);
	EXPECT_EQ(fdt_init(&f, b, 0), E_CORRUPT);

	/* A failed init leaves an empty fdt on which nothing is found. */
	EXPECT_EQ(fdt_init(&f, b, size - 1), E_CORRUPT);
	EXPECT_NULL(f.blob);
	EXPECT_EQ(f.structs_size, 0);
	EXPECT_EQ(fdt_root(&f), E_NOENT);
	EXPECT_NULL(fdt_node_name(&f, 0));
	EXPECT_EQ(fdt_first_child(&f, 0), E_NOENT);
	EXPECT_EQ(fdt_path_offset(&f, "/"), E_NOENT);
	EXPECT_EQ(fdt_find_compatible(&f, -1, "ns16550a"), E_NOENT);
	EXPECT_EQ(fdt_reg(&f, 0, 0, &r), E_NOENT);
	EXPECT_EQ(fdt_memory(&f, &r, 1), 0);
	EXPECT_EQ(fdt_reserved(&f, &r, 1), 0);
	EXPECT_STREQ(fdt_bootargs(&f), "");
	EXPECT_EQ(fdt_stdout_node(&f), E_NOENT);
}

static void test_root_children_in_order(void)
{
	static const char *const want[] = {
		"chosen", "aliases", "memory@c0000000", "memory@80000000",
		"reserved-memory", "cpus", "soc",
	};
	struct fdt f;
	int root, node;
	size_t i = 0;

	init_fixture(&f, "riscv");
	root = fdt_root(&f);
	ASSERT_GE(root, 0);
	EXPECT_STREQ(fdt_node_name(&f, root), "");
	EXPECT_EQ(fdt_parent(&f, root), E_NOENT);
	EXPECT_EQ(fdt_next_sibling(&f, root), E_NOENT);
	for (node = fdt_first_child(&f, root); node >= 0; node = fdt_next_sibling(&f, node), i++) {
		ASSERT_LT(i, sizeof(want) / sizeof(want[0]));
		EXPECT_STREQ(fdt_node_name(&f, node), want[i]);
		EXPECT_EQ(fdt_parent(&f, node), root);
	}
	EXPECT_EQ(i, sizeof(want) / sizeof(want[0]));
}

static void test_walk_visits_every_node(void)
{
	struct fdt f;
	int leaf;

	init_fixture(&f, "riscv");
	EXPECT_EQ(count_nodes(&f, fdt_root(&f), 1), 22);
	init_fixture(&f, "aarch64");
	EXPECT_EQ(count_nodes(&f, fdt_root(&f), 1), 10);
	init_fixture(&f, "cells1");
	EXPECT_EQ(count_nodes(&f, fdt_root(&f), 1), 17);

	/* A leaf has no child; the last child has no next sibling. */
	init_fixture(&f, "riscv");
	leaf = path(&f, "/soc/clint@2000000");
	ASSERT_GE(leaf, 0);
	EXPECT_EQ(fdt_first_child(&f, leaf), E_NOENT);
	EXPECT_EQ(fdt_next_sibling(&f, leaf), E_NOENT);
	EXPECT_EQ(fdt_parent(&f, leaf), path(&f, "/soc"));
}

static void test_depth_limit(void)
{
	struct fdt f;
	size_t size;
	const uint8_t *b;
	int node, depth = 1;

	init_fixture(&f, "deep32");
	EXPECT_EQ(count_nodes(&f, fdt_root(&f), 1), FDT_MAX_DEPTH);
	/* Follow first children to the bottom, then parents back up. */
	for (node = fdt_root(&f); fdt_first_child(&f, node) >= 0; depth++)
		node = fdt_first_child(&f, node);
	EXPECT_EQ(depth, FDT_MAX_DEPTH);
	EXPECT_STREQ(fdt_getprop_str(&f, node, "leaf"), "bottom");
	for (; fdt_parent(&f, node) >= 0; depth--)
		node = fdt_parent(&f, node);
	EXPECT_EQ(node, fdt_root(&f));
	EXPECT_EQ(depth, 1);

	b = fixture("deep33", &size);
	EXPECT_EQ(fdt_init(&f, b, size), E_CORRUPT);
}

static void test_getprop_values(void)
{
	struct fdt f;
	const void *val;
	uint32_t len = 0, u = 12345;
	int root, bad;

	init_fixture(&f, "riscv");
	root = fdt_root(&f);
	ASSERT_OK(fdt_getprop(&f, root, "#address-cells", &val, &len));
	EXPECT_EQ(len, 4);
	EXPECT_EQ(get32(val), 2);
	EXPECT_OK(fdt_getprop(&f, root, "model", &val, NULL));
	EXPECT_OK(fdt_getprop(&f, root, "model", NULL, NULL));
	EXPECT_STREQ(fdt_getprop_str(&f, root, "model"), "riscv-virtio,qemu");
	EXPECT_EQ(fdt_getprop(&f, root, "modelx", &val, &len), E_NOENT);
	EXPECT_EQ(fdt_getprop(&f, root, "mode", &val, &len), E_NOENT);
	/* Properties of children are not properties of the parent. */
	EXPECT_EQ(fdt_getprop(&f, root, "bootargs", &val, &len), E_NOENT);
	/* An empty property exists with length 0. */
	EXPECT_OK(fdt_getprop(&f, path(&f, "/soc/plic@c000000"), "interrupt-controller",
	                      &val, &len));
	EXPECT_EQ(len, 0);
	EXPECT_NULL(fdt_getprop_str(&f, path(&f, "/soc/plic@c000000"), "interrupt-controller"));

	ASSERT_OK(fdt_getprop_u32(&f, root, "#size-cells", &u));
	EXPECT_EQ(u, 2);
	EXPECT_OK(fdt_getprop_u32(&f, path(&f, "/cpus"), "timebase-frequency", &u));
	EXPECT_EQ(u, 10000000);

	init_fixture(&f, "cells1");
	bad = path(&f, "/bad@4000");
	ASSERT_GE(bad, 0);
	EXPECT_STREQ(fdt_getprop_str(&f, bad, "empty-string"), "");
	EXPECT_NULL(fdt_getprop_str(&f, bad, "unterminated"));
	EXPECT_STREQ(fdt_getprop_str(&f, bad, "stringlist"), "one");
	EXPECT_NULL(fdt_getprop_str(&f, bad, "absent"));
	EXPECT_OK(fdt_getprop_u32(&f, bad, "u32", &u));
	EXPECT_EQ(u, 7);
	u = 99;
	EXPECT_EQ(fdt_getprop_u32(&f, bad, "u64", &u), E_CORRUPT);
	EXPECT_EQ(fdt_getprop_u32(&f, bad, "stringlist", &u), E_CORRUPT);
	EXPECT_EQ(fdt_getprop_u32(&f, bad, "absent", &u), E_NOENT);
	EXPECT_EQ(u, 99);
	/* Non-node offsets find nothing. */
	EXPECT_EQ(fdt_getprop(&f, E_NOENT, "u32", &val, &len), E_NOENT);
	EXPECT_EQ(fdt_getprop(&f, bad + 4, "u32", &val, &len), E_NOENT);
}

static void test_property_iteration(void)
{
	static const char *const want[] = { "bootargs", "stdout-path" };
	struct fdt f;
	const char *name;
	const void *val;
	uint32_t len;
	int chosen, prop;
	size_t i = 0;

	init_fixture(&f, "riscv");
	chosen = path(&f, "/chosen");
	ASSERT_GE(chosen, 0);
	for (prop = fdt_first_prop(&f, chosen); prop >= 0; prop = fdt_next_prop(&f, prop), i++) {
		ASSERT_LT(i, 2);
		ASSERT_OK(fdt_prop_get(&f, prop, &name, &val, &len));
		EXPECT_STREQ(name, want[i]);
		EXPECT_EQ(len, strlen(val) + 1);
	}
	EXPECT_EQ(i, 2);
	EXPECT_EQ(prop, E_NOENT);
	EXPECT_OK(fdt_prop_get(&f, fdt_first_prop(&f, chosen), NULL, NULL, NULL));
	/* A node is not a property, a property is not a node. */
	EXPECT_EQ(fdt_prop_get(&f, chosen, &name, &val, &len), E_NOENT);
	EXPECT_EQ(fdt_next_prop(&f, chosen), E_NOENT);
	EXPECT_NULL(fdt_node_name(&f, fdt_first_prop(&f, chosen)));
	/* Properties stop at the first child. */
	init_fixture(&f, "cells1");
	EXPECT_EQ(fdt_first_prop(&f, path(&f, "/defaults")), E_NOENT);
	prop = fdt_first_prop(&f, path(&f, "/defaults/child@100"));
	EXPECT_GE(prop, 0);
	EXPECT_EQ(fdt_next_prop(&f, prop), E_NOENT);
}

static void test_path_lookup(void)
{
	struct fdt f;
	int serial, cpu1;

	init_fixture(&f, "riscv");
	serial = path(&f, "/soc/serial@10000000");
	ASSERT_GE(serial, 0);
	EXPECT_STREQ(fdt_node_name(&f, serial), "serial@10000000");
	EXPECT_EQ(path(&f, "/"), fdt_root(&f));
	EXPECT_STREQ(fdt_node_name(&f, path(&f, "/chosen")), "chosen");
	/* Without a unit address the first node of that name matches. */
	EXPECT_EQ(path(&f, "/soc/serial"), serial);
	EXPECT_STREQ(fdt_node_name(&f, path(&f, "/memory")), "memory@c0000000");
	EXPECT_STREQ(fdt_node_name(&f, path(&f, "/memory@80000000")), "memory@80000000");
	cpu1 = path(&f, "/cpus/cpu@1");
	ASSERT_GE(cpu1, 0);
	EXPECT_EQ(path(&f, "/cpus/cpu@1/interrupt-controller"), fdt_first_child(&f, cpu1));
	EXPECT_NE(path(&f, "/cpus/cpu/interrupt-controller"), fdt_first_child(&f, cpu1));
	/* Empty components are tolerated. */
	EXPECT_EQ(path(&f, "/soc/"), path(&f, "/soc"));
	EXPECT_EQ(path(&f, "//soc//serial@10000000"), serial);
	/* Near misses. */
	EXPECT_EQ(path(&f, "/soc/ser"), E_NOENT);
	EXPECT_EQ(path(&f, "/soc/serial@1"), E_NOENT);
	EXPECT_EQ(path(&f, "/soc/serial@100000000"), E_NOENT);
	EXPECT_EQ(path(&f, "/soc/serial@10000000/x"), E_NOENT);
	EXPECT_EQ(path(&f, "/serial@10000000"), E_NOENT);
	EXPECT_EQ(path(&f, "/nonexistent"), E_NOENT);
	EXPECT_EQ(path(&f, ""), E_NOENT);
	EXPECT_EQ(fdt_path_offset(&f, NULL), E_NOENT);
	/* Aliases. */
	EXPECT_EQ(path(&f, "serial0"), serial);
	EXPECT_STREQ(fdt_node_name(&f, path(&f, "rtc0")), "rtc@101000");
	EXPECT_EQ(path(&f, "serial1"), E_NOENT);
	EXPECT_EQ(path(&f, "serial"), E_NOENT);
	/* The ":options" suffix belongs to stdout-path only. */
	EXPECT_EQ(path(&f, "serial0:115200n8"), E_NOENT);

	init_fixture(&f, "cells1");
	EXPECT_STREQ(fdt_node_name(&f, path(&f, "bus/uart@200")), "uart@200");
	EXPECT_STREQ(fdt_node_name(&f, path(&f, "bus/i2c/eeprom")), "eeprom@50");
	/* An alias value must be an absolute path. */
	EXPECT_EQ(path(&f, "relative"), E_NOENT);
	EXPECT_EQ(path(&f, "bus@f0000000"), E_NOENT);
}

static void test_compatible_and_find(void)
{
	struct fdt f;
	int node, test, n;

	init_fixture(&f, "riscv");
	test = path(&f, "/soc/test@100000");
	ASSERT_GE(test, 0);
	EXPECT_TRUE(fdt_is_compatible(&f, test, "sifive,test1"));
	EXPECT_TRUE(fdt_is_compatible(&f, test, "sifive,test0"));
	EXPECT_TRUE(fdt_is_compatible(&f, test, "syscon"));
	EXPECT_FALSE(fdt_is_compatible(&f, test, "sifive,test"));
	EXPECT_FALSE(fdt_is_compatible(&f, test, "syscon2"));
	EXPECT_FALSE(fdt_is_compatible(&f, test, ""));
	EXPECT_FALSE(fdt_is_compatible(&f, path(&f, "/chosen"), "syscon"));
	EXPECT_FALSE(fdt_is_compatible(&f, E_NOENT, "syscon"));

	/* The root itself is a candidate when starting from -1. */
	EXPECT_EQ(fdt_find_compatible(&f, -1, "riscv-virtio"), fdt_root(&f));
	node = fdt_find_compatible(&f, -1, "virtio,mmio");
	EXPECT_STREQ(fdt_node_name(&f, node), "virtio_mmio@10001000");
	node = fdt_find_compatible(&f, node, "virtio,mmio");
	EXPECT_STREQ(fdt_node_name(&f, node), "virtio_mmio@10002000");
	EXPECT_EQ(fdt_find_compatible(&f, node, "virtio,mmio"), E_NOENT);
	/* Depth-first: the interrupt controllers under both CPUs. */
	n = 0;
	for (node = fdt_find_compatible(&f, -1, "riscv,cpu-intc"); node >= 0;
	     node = fdt_find_compatible(&f, node, "riscv,cpu-intc"), n++)
		EXPECT_STREQ(fdt_node_name(&f, fdt_parent(&f, node)), n ? "cpu@1" : "cpu@0");
	EXPECT_EQ(n, 2);
	EXPECT_EQ(fdt_find_compatible(&f, -1, "riscv,plic0"), path(&f, "/soc/plic@c000000"));
	EXPECT_EQ(fdt_find_compatible(&f, -1, "nope"), E_NOENT);
	EXPECT_EQ(fdt_find_compatible(&f, test + 4, "syscon"), E_NOENT);

	init_fixture(&f, "aarch64");
	node = fdt_find_compatible(&f, -1, "arm,primecell");
	EXPECT_STREQ(fdt_node_name(&f, node), "pl011@9000000");
	node = fdt_find_compatible(&f, node, "arm,primecell");
	EXPECT_STREQ(fdt_node_name(&f, node), "pl031@9010000");
}

static void test_reg_with_2_2_cells(void)
{
	struct fdt f;
	struct fdt_range r;
	int mem;

	init_fixture(&f, "riscv");
	ASSERT_OK(fdt_reg(&f, path(&f, "/soc/serial@10000000"), 0, &r));
	expect_range(&r, 0x10000000, 0x100);
	EXPECT_EQ(fdt_reg(&f, path(&f, "/soc/serial@10000000"), 1, &r), E_NOENT);
	mem = path(&f, "/memory@c0000000");
	ASSERT_OK(fdt_reg(&f, mem, 0, &r));
	expect_range(&r, 0xc0000000, 0x10000000);
	ASSERT_OK(fdt_reg(&f, mem, 1, &r));
	expect_range(&r, 0x100000000, 0);
	ASSERT_OK(fdt_reg(&f, mem, 2, &r));
	expect_range(&r, 0xd0000000, 0x08000000);
	EXPECT_EQ(fdt_reg(&f, mem, 3, &r), E_NOENT);
	EXPECT_EQ(fdt_reg(&f, mem, -1, &r), E_NOENT);
	/* /cpus has #address-cells = 1, #size-cells = 0. */
	ASSERT_OK(fdt_reg(&f, path(&f, "/cpus/cpu@1"), 0, &r));
	expect_range(&r, 1, 0);
	EXPECT_EQ(fdt_reg(&f, path(&f, "/chosen"), 0, &r), E_NOENT);
	EXPECT_EQ(fdt_reg(&f, fdt_root(&f), 0, &r), E_NOENT);
	EXPECT_EQ(fdt_reg(&f, E_NOENT, 0, &r), E_NOENT);

	init_fixture(&f, "aarch64");
	ASSERT_OK(fdt_reg(&f, path(&f, "/memory"), 0, &r));
	expect_range(&r, 0x40000000, 0x100000000);
	ASSERT_OK(fdt_reg(&f, path(&f, "/intc"), 1, &r));
	expect_range(&r, 0x8010000, 0x10000);
}

static void test_reg_with_other_cell_sizes(void)
{
	struct fdt f;
	struct fdt_range r;

	init_fixture(&f, "cells1");
	ASSERT_OK(fdt_reg(&f, path(&f, "/bus/uart@200"), 0, &r));
	expect_range(&r, 0x200, 0x20);
	ASSERT_OK(fdt_reg(&f, path(&f, "/memory"), 1, &r));
	expect_range(&r, 0, 0x1000000);
	/* #size-cells = 0 under the i2c bus. */
	ASSERT_OK(fdt_reg(&f, path(&f, "/bus/i2c/eeprom"), 0, &r));
	expect_range(&r, 0x50, 0);
	/* A parent without #address-cells/#size-cells means 2 and 1. */
	ASSERT_OK(fdt_reg(&f, path(&f, "/defaults/child@100"), 0, &r));
	expect_range(&r, 0x100, 0x20);
	/* Three address cells (PCI) do not fit a 64-bit base. */
	EXPECT_EQ(fdt_reg(&f, path(&f, "/pci/dev@0"), 0, &r), E_CORRUPT);
	/* 12 bytes of reg with 1 + 1 cells. */
	EXPECT_EQ(fdt_reg(&f, path(&f, "/bad@4000"), 0, &r), E_CORRUPT);
}

static void test_memory_sorted_and_complete(void)
{
	struct fdt f;
	struct fdt_range r[8];

	init_fixture(&f, "riscv");
	/* Two nodes, out of order, one zero-sized entry skipped. */
	ASSERT_EQ(fdt_memory(&f, r, 8), 3);
	expect_range(&r[0], 0x80000000, 0x40000000);
	expect_range(&r[1], 0xc0000000, 0x10000000);
	expect_range(&r[2], 0xd0000000, 0x08000000);
	/* Room for fewer: the count stays complete, the lowest are kept. */
	memset(r, 0xa5, sizeof(r));
	EXPECT_EQ(fdt_memory(&f, r, 2), 3);
	expect_range(&r[0], 0x80000000, 0x40000000);
	expect_range(&r[1], 0xc0000000, 0x10000000);
	EXPECT_EQ_U(r[2].base, 0xa5a5a5a5a5a5a5a5);
	EXPECT_EQ(fdt_memory(&f, NULL, 0), 3);

	init_fixture(&f, "aarch64");
	ASSERT_EQ(fdt_memory(&f, r, 8), 1);
	expect_range(&r[0], 0x40000000, 0x100000000);

	init_fixture(&f, "cells1");
	ASSERT_EQ(fdt_memory(&f, r, 8), 2);
	expect_range(&r[0], 0, 0x1000000);
	expect_range(&r[1], 0x2000000, 0x1000000);

	init_fixture(&f, "deep32");
	EXPECT_EQ(fdt_memory(&f, r, 8), 0);
}

static void test_reserved_ranges(void)
{
	struct fdt f;
	struct fdt_range r[8];

	/* /memreserve/ plus two reg children; the size-only CMA pool skipped. */
	init_fixture(&f, "riscv");
	ASSERT_EQ(fdt_reserved(&f, r, 8), 3);
	expect_range(&r[0], 0x80000000, 0x40000);
	expect_range(&r[1], 0x80040000, 0x20000);
	expect_range(&r[2], 0x8f000000, 0x1000);

	init_fixture(&f, "aarch64");
	EXPECT_EQ(fdt_reserved(&f, r, 8), 0);

	/* 1 + 1 cells; two /memreserve/s; a zero-sized reg entry skipped. */
	init_fixture(&f, "cells1");
	ASSERT_EQ(fdt_reserved(&f, r, 8), 3);
	expect_range(&r[0], 0x1000, 0x1000);
	expect_range(&r[1], 0xf00000, 0x10000);
	expect_range(&r[2], 0x3000000, 0x100000);
	ASSERT_EQ(fdt_reserved(&f, r, 1), 3);
	expect_range(&r[0], 0x1000, 0x1000);
}

static void test_reserved_nomap_only_marked_children(void)
{
	struct fdt f;
	struct fdt_range r[8];

	init_fixture(&f, "riscv");
	ASSERT_EQ(fdt_reserved_nomap(&f, r, 8), 1);   /* not resv1, not /memreserve/ */
	expect_range(&r[0], 0x80000000, 0x40000);
	init_fixture(&f, "aarch64");
	EXPECT_EQ(fdt_reserved_nomap(&f, r, 8), 0);
}

static void test_bootargs(void)
{
	struct fdt f;

	init_fixture(&f, "riscv");
	EXPECT_STREQ(fdt_bootargs(&f), "console=ttyS0 ktest=all");
	init_fixture(&f, "aarch64");  /* /chosen without bootargs */
	EXPECT_STREQ(fdt_bootargs(&f), "");
	init_fixture(&f, "cells1");   /* bootargs = "" */
	EXPECT_STREQ(fdt_bootargs(&f), "");
	init_fixture(&f, "deep32");   /* no /chosen at all */
	EXPECT_STREQ(fdt_bootargs(&f), "");
}

static void test_stdout_path(void)
{
	struct fdt f;
	int node;

	/* "serial0:115200n8": an alias with options. */
	init_fixture(&f, "riscv");
	node = fdt_stdout_node(&f);
	EXPECT_EQ(node, path(&f, "/soc/serial@10000000"));
	EXPECT_TRUE(fdt_is_compatible(&f, node, "ns16550a"));
	/* A plain absolute path. */
	init_fixture(&f, "aarch64");
	node = fdt_stdout_node(&f);
	EXPECT_STREQ(fdt_node_name(&f, node), "pl011@9000000");
	EXPECT_TRUE(fdt_is_compatible(&f, node, "arm,pl011"));
	/* An alias without options. */
	init_fixture(&f, "cells1");
	EXPECT_STREQ(fdt_node_name(&f, fdt_stdout_node(&f)), "uart@100");
	init_fixture(&f, "deep32");
	EXPECT_EQ(fdt_stdout_node(&f), E_NOENT);
}

static void test_version_16_accepted(void)
{
	/* v16 has no size_dt_struct: whatever sits there is ignored. */
	struct fdt f;
	size_t size;
	uint8_t *b = fixture_copy("riscv", &size);
	uint32_t want = get32(b + H_SIZE_STRUCT);

	put32(b + H_VERSION, 16);
	put32(b + H_SIZE_STRUCT, 0xffffffff);
	ASSERT_OK(fdt_init(&f, b, size));
	EXPECT_EQ(f.structs_size, want);
	EXPECT_STREQ(fdt_bootargs(&f), "console=ttyS0 ktest=all");
}

static void test_nops_and_trailing_data_accepted(void)
{
	/* dtc never emits NOPs; the spec allows them between any tokens. */
	static const uint8_t cells[4] = { 0, 0, 0, 1 };
	struct bld b = { 0 };
	struct fdt f;
	const void *val;
	int root, child;

	b32(&b, B_NOP);
	bbegin(&b, "");
	b32(&b, B_NOP);
	bprop(&b, "#size-cells", cells, 4);
	b32(&b, B_NOP);
	bprop(&b, "compatible", "x\0y", 4);
	b32(&b, B_NOP);
	bbegin(&b, "a@1");
	b32(&b, B_NOP);
	bprop(&b, "compatible", "y", 2);
	b32(&b, B_END_NODE);
	b32(&b, B_NOP);
	bbegin(&b, "b");
	b32(&b, B_END_NODE);
	b32(&b, B_NOP);
	b32(&b, B_END_NODE);
	b32(&b, B_NOP);
	b32(&b, B_END);
	b32(&b, 0xdeadbeef);  /* after FDT_END: ignored, trimmed */
	ASSERT_OK(bld_init(&f, &b));
	EXPECT_EQ(f.structs_size, b.sn - 4);
	root = fdt_root(&f);
	EXPECT_EQ(root, 4);
	EXPECT_OK(fdt_getprop(&f, root, "compatible", &val, NULL));
	EXPECT_TRUE(fdt_is_compatible(&f, root, "y"));
	child = fdt_first_child(&f, root);
	EXPECT_STREQ(fdt_node_name(&f, child), "a@1");
	EXPECT_EQ(path(&f, "/a"), child);
	EXPECT_STREQ(fdt_node_name(&f, fdt_next_sibling(&f, child)), "b");
	EXPECT_EQ(fdt_find_compatible(&f, root, "y"), child);
	EXPECT_EQ(fdt_parent(&f, path(&f, "/b")), root);
}

/* ---- corruption: each must be E_CORRUPT ---------------------------------- */

static void test_corrupt_magic_rejected(void)
{
	EXPECT_EQ(init_with_field("riscv", H_MAGIC, 0xd00dfeee), E_CORRUPT);
	EXPECT_EQ(init_with_field("riscv", H_MAGIC, 0xedfe0dd0), E_CORRUPT);
	EXPECT_EQ(init_with_field("riscv", H_MAGIC, 0), E_CORRUPT);
}

static void test_corrupt_version_rejected(void)
{
	EXPECT_EQ(init_with_field("riscv", H_VERSION, 15), E_CORRUPT);
	EXPECT_EQ(init_with_field("riscv", H_VERSION, 0), E_CORRUPT);
	EXPECT_EQ(init_with_field("riscv", H_LAST_COMP, 18), E_CORRUPT);
	EXPECT_EQ(init_with_field("riscv", H_LAST_COMP, 0xffffffff), E_CORRUPT);
	/* Newer but backward compatible is fine. */
	EXPECT_OK(init_with_field("riscv", H_VERSION, 18));
}

static void test_corrupt_totalsize_rejected(void)
{
	struct fdt f;
	size_t size;
	const uint8_t *b = fixture("riscv", &size);

	/* totalsize beyond the buffer. */
	EXPECT_EQ(init_with_field("riscv", H_TOTALSIZE, (uint32_t)size + 1), E_CORRUPT);
	EXPECT_EQ(init_with_field("riscv", H_TOTALSIZE, 0xffffffff), E_CORRUPT);
	/* totalsize too small for the header, or for the strings block. */
	EXPECT_EQ(init_with_field("riscv", H_TOTALSIZE, 39), E_CORRUPT);
	EXPECT_EQ(init_with_field("riscv", H_TOTALSIZE, 0), E_CORRUPT);
	EXPECT_EQ(init_with_field("riscv", H_TOTALSIZE, (uint32_t)size - 1), E_CORRUPT);
	/* A truncated blob: the buffer ends before totalsize. */
	scratch_copy(b, size / 2);
	EXPECT_EQ(fdt_init(&f, scratch, size / 2), E_CORRUPT);
	EXPECT_EQ(fdt_init(&f, b, size - 1), E_CORRUPT);
}

static void test_corrupt_header_offsets_rejected(void)
{
	static const int fields[] = { H_OFF_STRUCT, H_OFF_STRINGS, H_OFF_RSVMAP,
	                              H_SIZE_STRUCT, H_SIZE_STRINGS };
	size_t size;
	uint32_t total, v;

	fixture("riscv", &size);
	total = (uint32_t)size;
	/* Out of bounds, at the very end, or wrapping around. */
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		EXPECT_EQ(init_with_field("riscv", fields[i], total + 8), E_CORRUPT);
		EXPECT_EQ(init_with_field("riscv", fields[i], 0xfffffff8), E_CORRUPT);
		if (fields[i] != H_SIZE_STRINGS)  /* strings may be empty... */
			EXPECT_EQ(init_with_field("riscv", fields[i], total), E_CORRUPT);
	}
	/* ...but not with names in use. */
	EXPECT_EQ(init_with_field("riscv", H_SIZE_STRINGS, 0), E_CORRUPT);
	/* Overlapping the header. */
	for (v = 0; v < 40; v += 8) {
		EXPECT_EQ(init_with_field("riscv", H_OFF_STRUCT, v), E_CORRUPT);
		EXPECT_EQ(init_with_field("riscv", H_OFF_STRINGS, v), E_CORRUPT);
		EXPECT_EQ(init_with_field("riscv", H_OFF_RSVMAP, v), E_CORRUPT);
	}
	/* Misaligned structure block (4) and reservation block (8). */
	fixture_copy("riscv", &size);
	v = get32(scratch + H_OFF_STRUCT);
	EXPECT_EQ(init_with_field("riscv", H_OFF_STRUCT, v + 2), E_CORRUPT);
	v = get32(scratch + H_OFF_RSVMAP);
	EXPECT_EQ(init_with_field("riscv", H_OFF_RSVMAP, v + 4), E_CORRUPT);
	/* A structure block too short to hold FDT_END. */
	fixture_copy("riscv", &size);
	v = get32(scratch + H_SIZE_STRUCT);
	EXPECT_EQ(init_with_field("riscv", H_SIZE_STRUCT, v - 4), E_CORRUPT);
	EXPECT_EQ(init_with_field("riscv", H_SIZE_STRUCT, 0), E_CORRUPT);
}

static void test_corrupt_overlapping_blocks_rejected(void)
{
	size_t size;
	uint32_t st;

	fixture_copy("riscv", &size);
	st = get32(scratch + H_OFF_STRUCT);
	/* The strings block on top of the structure block. */
	EXPECT_EQ(init_with_field("riscv", H_OFF_STRINGS, st), E_CORRUPT);
	EXPECT_EQ(init_with_field("riscv", H_OFF_STRINGS, st + 8), E_CORRUPT);
	/* The reservation block on top of the structure block. */
	EXPECT_EQ(init_with_field("riscv", H_OFF_RSVMAP, st & ~7u), E_CORRUPT);
}

static void test_corrupt_rsvmap_unterminated_rejected(void)
{
	struct fdt f;
	size_t size;
	uint8_t *b = fixture_copy("riscv", &size);
	uint32_t rsv = get32(b + H_OFF_RSVMAP);

	/* Overwrite the (0, 0) terminator after the one entry. */
	ASSERT_EQ(get32(b + rsv + 16 + 12), 0);
	put32(b + rsv + 16 + 12, 1);
	EXPECT_EQ(fdt_init(&f, b, size), E_CORRUPT);
	/* The list starting in the last 8 bytes cannot hold a terminator. */
	EXPECT_EQ(init_with_field("riscv", H_OFF_RSVMAP, ((uint32_t)size - 8) & ~7u),
	          E_CORRUPT);
}

/* Offset in the blob of the root's first property token. */
static uint32_t first_prop(const uint8_t *b)
{
	uint32_t off = get32(b + H_OFF_STRUCT) + 8;  /* BEGIN_NODE, "" + pad */

	ASSERT_EQ(get32(b + off - 8), 1);
	ASSERT_EQ(get32(b + off), 3);
	return off;
}

static void test_corrupt_token_rejected(void)
{
	static const uint32_t bad[] = { 0, 5, 8, 10, 0xffffffff, 0x03000000 };
	struct fdt f;
	size_t size;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t *b = fixture_copy("riscv", &size);

		put32(b + first_prop(b), bad[i]);
		EXPECT_EQ(fdt_init(&f, b, size), E_CORRUPT);
	}
}

static void test_corrupt_prop_length_rejected(void)
{
	static const uint32_t bad[] = { 0xffffffff, 0xfffffffc, 0x80000000, 0x10000 };
	struct fdt f;
	size_t size;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t *b = fixture_copy("riscv", &size);

		put32(b + first_prop(b) + 4, bad[i]);
		EXPECT_EQ(fdt_init(&f, b, size), E_CORRUPT);
	}
	/* Exactly to the end of the structure block: no room for FDT_END. */
	{
		uint8_t *b = fixture_copy("riscv", &size);
		uint32_t p = first_prop(b);
		uint32_t end = get32(b + H_OFF_STRUCT) + get32(b + H_SIZE_STRUCT);

		put32(b + p + 4, end - (p + 12));
		EXPECT_EQ(fdt_init(&f, b, size), E_CORRUPT);
	}
}

static void test_corrupt_nameoff_rejected(void)
{
	struct fdt f;
	size_t size;
	uint8_t *b;
	uint32_t strsize;

	b = fixture_copy("riscv", &size);
	strsize = get32(b + H_SIZE_STRINGS);
	put32(b + first_prop(b) + 8, strsize);
	EXPECT_EQ(fdt_init(&f, b, size), E_CORRUPT);
	b = fixture_copy("riscv", &size);
	put32(b + first_prop(b) + 8, 0xffffffff);
	EXPECT_EQ(fdt_init(&f, b, size), E_CORRUPT);
	/* Shrinking the block leaves the last name unterminated. */
	EXPECT_EQ(init_with_field("riscv", H_SIZE_STRINGS, strsize - 1), E_CORRUPT);
}

static void test_corrupt_unbalanced_nodes_rejected(void)
{
	struct bld b = { 0 };
	struct fdt f;
	size_t size;
	uint8_t *blob;
	uint32_t end;

	/* The root's END_NODE turned into a NOP. */
	blob = fixture_copy("riscv", &size);
	end = get32(blob + H_OFF_STRUCT) + get32(blob + H_SIZE_STRUCT);
	ASSERT_EQ(get32(blob + end - 8), B_END_NODE);
	put32(blob + end - 8, B_NOP);
	EXPECT_EQ(fdt_init(&f, blob, size), E_CORRUPT);

	/* One END_NODE too many. */
	bbegin(&b, "");
	bbegin(&b, "a");
	b32(&b, B_END_NODE);
	b32(&b, B_END_NODE);
	b32(&b, B_END_NODE);
	b32(&b, B_END);
	EXPECT_EQ(bld_init(&f, &b), E_CORRUPT);

	/* One END_NODE too few. */
	memset(&b, 0, sizeof(b));
	bbegin(&b, "");
	bbegin(&b, "a");
	b32(&b, B_END_NODE);
	b32(&b, B_END);
	EXPECT_EQ(bld_init(&f, &b), E_CORRUPT);

	/* The builder itself makes valid blobs. */
	memset(&b, 0, sizeof(b));
	bbegin(&b, "");
	bbegin(&b, "a");
	b32(&b, B_END_NODE);
	b32(&b, B_END_NODE);
	b32(&b, B_END);
	EXPECT_OK(bld_init(&f, &b));
}

static void test_corrupt_missing_end_rejected(void)
{
	struct bld b = { 0 };
	struct fdt f;
	size_t size;
	uint8_t *blob;
	uint32_t end;

	/* FDT_END turned into a NOP: the walk runs off the block. */
	blob = fixture_copy("riscv", &size);
	end = get32(blob + H_OFF_STRUCT) + get32(blob + H_SIZE_STRUCT);
	ASSERT_EQ(get32(blob + end - 4), B_END);
	put32(blob + end - 4, B_NOP);
	EXPECT_EQ(fdt_init(&f, blob, size), E_CORRUPT);

	bbegin(&b, "");
	b32(&b, B_END_NODE);
	EXPECT_EQ(bld_init(&f, &b), E_CORRUPT);
}

static void test_corrupt_unterminated_name_rejected(void)
{
	struct bld b = { 0 };
	struct fdt f;

	/* The structure block ends inside a node name. */
	bbegin(&b, "");
	b32(&b, 1);
	memcpy(b.st + b.sn, "abcd", 4);
	b.sn += 4;
	EXPECT_EQ(bld_init(&f, &b), E_CORRUPT);
}

static void test_corrupt_structure_rules_rejected(void)
{
	static const uint8_t one[4] = { 0, 0, 0, 1 };
	struct bld b;
	struct fdt f;

	/* No root at all. */
	memset(&b, 0, sizeof(b));
	b32(&b, B_END);
	EXPECT_EQ(bld_init(&f, &b), E_CORRUPT);
	/* A property outside any node. */
	memset(&b, 0, sizeof(b));
	bprop(&b, "x", one, 4);
	bbegin(&b, "");
	b32(&b, B_END_NODE);
	b32(&b, B_END);
	EXPECT_EQ(bld_init(&f, &b), E_CORRUPT);
	/* A property after a child node. */
	memset(&b, 0, sizeof(b));
	bbegin(&b, "");
	bbegin(&b, "a");
	b32(&b, B_END_NODE);
	bprop(&b, "x", one, 4);
	b32(&b, B_END_NODE);
	b32(&b, B_END);
	EXPECT_EQ(bld_init(&f, &b), E_CORRUPT);
	/* Two roots. */
	memset(&b, 0, sizeof(b));
	bbegin(&b, "");
	b32(&b, B_END_NODE);
	bbegin(&b, "");
	b32(&b, B_END_NODE);
	b32(&b, B_END);
	EXPECT_EQ(bld_init(&f, &b), E_CORRUPT);
	/* An empty structure block. */
	memset(&b, 0, sizeof(b));
	EXPECT_EQ(bld_init(&f, &b), E_CORRUPT);
}

/* ---- robustness ---------------------------------------------------------- */

static volatile unsigned sink;  /* keeps the reads below from being elided */

static void touch(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		sink += c[i];
}

/* Every node accessor on @node, then its subtree. */
static void exercise_node(const struct fdt *f, int node, int depth)
{
	static const char *const names[] = { "compatible", "reg", "status", "#address-cells" };
	struct fdt_range r;
	const char *name;
	const void *val;
	uint32_t len, u;
	int prop, child, n;

	name = fdt_node_name(f, node);
	if (name)
		touch(name, strlen(name) + 1);
	fdt_parent(f, node);
	for (prop = fdt_first_prop(f, node), n = 0; prop >= 0 && n < 1000;
	     prop = fdt_next_prop(f, prop), n++) {
		if (fdt_prop_get(f, prop, &name, &val, &len) == E_OK) {
			touch(name, strlen(name) + 1);
			touch(val, len);
		}
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *s = fdt_getprop_str(f, node, names[i]);

		if (s)
			touch(s, strlen(s));
		fdt_getprop_u32(f, node, names[i], &u);
	}
	fdt_is_compatible(f, node, "ns16550a");
	for (int i = 0; i < 3; i++)
		fdt_reg(f, node, i, &r);
	if (depth > FDT_MAX_DEPTH + 1)
		return;
	for (child = fdt_first_child(f, node), n = 0; child >= 0 && n < 1000;
	     child = fdt_next_sibling(f, child), n++)
		exercise_node(f, child, depth + 1);
}

/*
 * Everything the API offers, on a blob that may or may not be valid.
 * Returns whether fdt_init() accepted it.
 */
static int exercise(const uint8_t *b, size_t size)
{
	static const char *const paths[] = {
		"/", "/chosen", "/soc/serial", "serial0", "bus/uart@200", "/cpus/cpu@0",
		"/reserved-memory", "uart0",
	};
	struct fdt f;
	struct fdt_range r[4];
	int node, n, i;
	const char *s;

	if (fdt_init(&f, b, size) != E_OK)
		return 0;
	exercise_node(&f, fdt_root(&f), 1);
	for (node = fdt_find_compatible(&f, -1, "ns16550a"), n = 0; node >= 0 && n < 1000;
	     node = fdt_find_compatible(&f, node, "ns16550a"), n++)
		;
	for (i = 0; i < (int)(sizeof(paths) / sizeof(paths[0])); i++)
		fdt_path_offset(&f, paths[i]);
	/* Sorted whatever the blob holds (EXPECT_LE compares signed). */
	n = fdt_memory(&f, r, 4);
	for (i = 1; i < n && i < 4; i++)
		EXPECT_TRUE(r[i - 1].base <= r[i].base);
	n = fdt_reserved(&f, r, 4);
	for (i = 1; i < n && i < 4; i++)
		EXPECT_TRUE(r[i - 1].base <= r[i].base);
	s = fdt_bootargs(&f);
	touch(s, strlen(s));
	fdt_stdout_node(&f);
	return 1;
}

static void test_accessors_safe_on_any_offset(void)
{
	static const char *const names[] = { "riscv", "cells1" };
	struct fdt f;
	struct fdt_range r;
	const char *s;
	const void *val;
	uint32_t len;

	for (size_t k = 0; k < 2; k++) {
		init_fixture(&f, names[k]);
		for (int off = -9; off < (int)f.structs_size + 9; off++) {
			s = fdt_node_name(&f, off);
			if (s)
				touch(s, strlen(s));
			fdt_first_child(&f, off);
			fdt_next_sibling(&f, off);
			fdt_parent(&f, off);
			fdt_getprop(&f, off, "reg", &val, &len);
			fdt_first_prop(&f, off);
			fdt_next_prop(&f, off);
			fdt_prop_get(&f, off, &s, &val, &len);
			fdt_is_compatible(&f, off, "ns16550a");
			fdt_find_compatible(&f, off, "ns16550a");
			fdt_reg(&f, off, 0, &r);
		}
	}
}

static void test_fuzz_byte_flips(void)
{
	static const char *const names[] = { "riscv", "aarch64", "cells1" };
	size_t size, tried = 0, accepted = 0;

	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		const uint8_t *orig = fixture(names[k], &size);

		for (size_t i = 0; i < size; i++, tried++) {
			uint8_t *b = scratch_copy(orig, size);

			b[i] ^= 0xff;
			accepted += exercise(b, size);
		}
	}
	/* Most bytes are values and names, so many flips stay valid. */
	ktest_log("%zu of %zu blobs accepted", accepted, tried);
	EXPECT_GT(accepted, tried / 4);
	EXPECT_LT(accepted, tried);
}

/* xorshift64: a fixed sequence, so failures reproduce. */
static uint64_t rng_state = 0x9e3779b97f4a7c15;

static uint32_t rng(void)
{
	return (uint32_t)(tl_rand(&rng_state) >> 16);
}

static void test_fuzz_random_mutations(void)
{
	/* Words that are tokens, small sizes or offsets: likelier to pass init. */
	static const uint32_t words[] = { 0, 1, 2, 3, 4, 9, 8, 0x10, 0x28, 0x38,
	                                  0x100, 0xffffffff, 0x7ffffffc, 0x80000000 };
	static const char *const names[] = { "riscv", "aarch64", "cells1" };
	size_t size;
	int accepted = 0, iters = 6000;

	for (int iter = 0; iter < iters; iter++) {
		const uint8_t *orig = fixture(names[iter % 3], &size);
		uint8_t *b = scratch_copy(orig, size);
		int edits = 1 + (int)(rng() % 8);

		for (int e = 0; e < edits; e++) {
			size_t at = rng() % size;

			if (rng() % 2) {
				b[at] = (uint8_t)rng();
			} else {
				at &= ~(size_t)3;
				if (at + 4 <= size)
					put32(b + at, words[rng() % (sizeof(words) / sizeof(words[0]))]);
			}
		}
		accepted += exercise(b, size);
	}
	ktest_log("%d of %d blobs accepted", accepted, iters);
	EXPECT_GT(accepted, 0);
	/* Sanity: the pristine blobs pass the same exercise. */
	for (size_t k = 0; k < 3; k++) {
		const uint8_t *orig = fixture(names[k], &size);

		EXPECT_TRUE(exercise(scratch_copy(orig, size), size));
	}
}

/* ---- buses, interrupts, real boards ------------------------------------ */

static void expect_phys(const struct fdt *f, const char *p, int index, uint64_t base,
                        uint64_t size)
{
	struct fdt_range r = { 0, 0 };

	ASSERT_OK(fdt_reg_phys(f, path(f, p), index, &r));
	EXPECT_EQ_U(r.base, base);
	EXPECT_EQ_U(r.size, size);
}

static void test_reg_phys_through_bus_ranges(void)
{
	struct fdt f;
	struct fdt_range r;

	init_fixture(&f, "buses");
	/* First and second ranges entry; a child of the root is as it is. */
	expect_phys(&f, "/soc/uart@7e201000", 0, 0xfe201000, 0x200);
	expect_phys(&f, "/soc/intc@40000000", 0, 0xff800000, 0x100);
	expect_phys(&f, "/intc@8000000", 0, 0x8000000, 0x10000);
	/* Empty ranges is the identity; the bus above still translates. */
	expect_phys(&f, "/soc/inner/dev@7e300000", 0, 0xfe300000, 0x10);
	/* The untranslated reg is still what fdt_reg() gives. */
	ASSERT_OK(fdt_reg(&f, path(&f, "/soc/uart@7e201000"), 0, &r));
	EXPECT_EQ_U(r.base, 0x7e201000);
	/* No entry holds it; a bus without ranges; a malformed ranges. */
	EXPECT_EQ(fdt_reg_phys(&f, path(&f, "/soc/outside@10000000"), 0, &r), E_RANGE);
	EXPECT_EQ(fdt_reg_phys(&f, path(&f, "/i2c/eeprom@50"), 0, &r), E_NOTSUP);
	EXPECT_EQ(fdt_reg_phys(&f, path(&f, "/cpus/cpu@0"), 0, &r), E_NOTSUP);
	EXPECT_EQ(fdt_reg_phys(&f, path(&f, "/badbus/dev@0"), 0, &r), E_CORRUPT);
	/* fdt_reg()'s own errors pass through. */
	EXPECT_EQ(fdt_reg_phys(&f, path(&f, "/soc/uart@7e201000"), 1, &r), E_NOENT);
	EXPECT_EQ(fdt_reg_phys(&f, E_NOENT, 0, &r), E_NOENT);
}

static void test_interrupts_and_their_parents(void)
{
	struct fdt f;
	uint32_t c[4] = { 0 };
	int ctrl = -1;
	int gic, local, uart, dev;

	init_fixture(&f, "buses");
	gic = path(&f, "/intc@8000000");
	local = path(&f, "/soc/intc@40000000");
	uart = path(&f, "/soc/uart@7e201000");
	dev = path(&f, "/soc/inner/dev@7e300000");
	/* Inherited from the root; three cells. */
	EXPECT_EQ(fdt_interrupt_parent(&f, uart), gic);
	ASSERT_EQ(fdt_interrupt(&f, uart, 0, c, 4, &ctrl), 3);
	EXPECT_EQ(ctrl, gic);
	EXPECT_EQ_U(c[0], 0);
	EXPECT_EQ_U(c[1], 0x79);
	EXPECT_EQ_U(c[2], 4);
	/* Its own parent, two cells, the third entry. */
	EXPECT_EQ(fdt_interrupt_parent(&f, dev), local);
	ASSERT_EQ(fdt_interrupt(&f, dev, 2, c, 4, &ctrl), 2);
	EXPECT_EQ(ctrl, local);
	EXPECT_EQ_U(c[0], 3);
	EXPECT_EQ(fdt_interrupt(&f, dev, 3, c, 4, &ctrl), E_NOENT);
	EXPECT_EQ(fdt_interrupt(&f, dev, -1, c, 4, &ctrl), E_NOENT);
	/* More cells than the caller has room for; no "interrupts". */
	EXPECT_EQ(fdt_interrupt(&f, uart, 0, c, 2, &ctrl), E_CORRUPT);
	EXPECT_EQ(fdt_interrupt(&f, path(&f, "/soc/outside@10000000"), 0, c, 4, &ctrl), E_NOENT);
	/* phandles: 0 and all-ones are never valid; unknown ones are absent. */
	EXPECT_EQ(fdt_node_by_phandle(&f, 0), E_NOENT);
	EXPECT_EQ(fdt_node_by_phandle(&f, 0xffffffffu), E_NOENT);
	EXPECT_EQ(fdt_node_by_phandle(&f, 0x1234), E_NOENT);
	EXPECT_EQ(fdt_interrupt_parent(&f, E_NOENT), E_NOENT);
}

static void test_u64_prop_one_or_two_cells(void)
{
	struct fdt f;
	uint64_t v = 7;

	init_fixture(&f, "buses");
	ASSERT_OK(fdt_u64_prop(&f, path(&f, "/cpus/cpu@0"), "cpu-release-addr", &v));
	EXPECT_EQ_U(v, 0xd8);
	ASSERT_OK(fdt_u64_prop(&f, path(&f, "/cpus/cpu@1"), "cpu-release-addr", &v));
	EXPECT_EQ_U(v, 0xe0);
	v = 7;
	EXPECT_EQ(fdt_u64_prop(&f, path(&f, "/cpus/cpu@1"), "bad-u64", &v), E_CORRUPT);
	EXPECT_EQ(fdt_u64_prop(&f, path(&f, "/cpus/cpu@1"), "nothing", &v), E_NOENT);
	EXPECT_EQ_U(v, 7);
}

/* The node @alias names: its compatible string and physical address. */
static void expect_uart(const struct fdt *f, int node, const char *compat, uint64_t pa)
{
	struct fdt_range r;

	ASSERT_GE(node, 0);
	EXPECT_TRUE(fdt_is_compatible(f, node, compat));
	ASSERT_OK(fdt_reg_phys(f, node, 0, &r));
	EXPECT_EQ_U(r.base, pa);
}

/*
 * The /cpus of a Raspberry Pi: four Cortex-A53/A72 numbered 0-3, each
 * started through a spin table at 0xd8 + 8 * n (the firmware's armstub).
 */
static void expect_rpi_cpus(const struct fdt *f)
{
	int n = 0;

	for (int c = fdt_first_child(f, path(f, "/cpus")); c >= 0; c = fdt_next_sibling(f, c)) {
		const char *type = fdt_getprop_str(f, c, "device_type");
		struct fdt_range r;
		uint64_t rel;

		if (!type || strcmp(type, "cpu"))
			continue;
		ASSERT_OK(fdt_reg(f, c, 0, &r));
		EXPECT_EQ_U(r.base, (uint64_t)n);
		EXPECT_STREQ(fdt_getprop_str(f, c, "enable-method"), "spin-table");
		ASSERT_OK(fdt_u64_prop(f, c, "cpu-release-addr", &rel));
		EXPECT_EQ_U(rel, 0xd8 + 8 * (uint64_t)n);
		n++;
	}
	EXPECT_EQ(n, 4);
}

/* The architected timer's virtual-timer interrupt (its third entry). */
static int timer_irq(const struct fdt *f, const char *compat, uint32_t *c, int *ctrl)
{
	return fdt_interrupt(f, fdt_find_compatible(f, -1, compat), 2, c, 4, ctrl);
}

static void test_real_board_raspberry_pi_3(void)
{
	struct fdt f;
	struct fdt_range ram[4];
	struct memmap mm;
	uint32_t c[4];
	int ctrl;

	init_fixture(&f, "bcm2837-rpi-3-b");
	/* RAM at physical 0 (1 GiB until the firmware trims it); the memory
	 * map leaves out page 0, the spin table's. */
	ASSERT_EQ(fdt_memory(&f, ram, 4), 1);
	EXPECT_EQ_U(ram[0].base, 0);
	EXPECT_EQ_U(ram[0].size, 0x40000000);
	struct mem_range r = { ram[0].base, ram[0].size };
	ASSERT_OK(memmap_init(&mm, &r, 1, NULL, 0));
	EXPECT_EQ_U(mm.ram[0].base, 0x1000);
	EXPECT_EQ_U(mm.ram[0].base + mm.ram[0].size, 0x40000000);
	/* stdout-path names the mini UART (no driver: the console stays on
	 * the PL011, serial0); both through /soc's ranges. */
	expect_uart(&f, fdt_stdout_node(&f), "brcm,bcm2835-aux-uart", 0x3f215040);
	expect_uart(&f, path(&f, "serial0"), "arm,pl011", 0x3f201000);
	expect_rpi_cpus(&f);
	/* The ARMv7 timer binding, on the BCM2836 per-core controller: the
	 * virtual timer is its source 3. */
	ASSERT_EQ(timer_irq(&f, "arm,armv7-timer", c, &ctrl), 2);
	EXPECT_EQ_U(c[0], 3);
	expect_uart(&f, ctrl, "brcm,bcm2836-l1-intc", 0x40000000);
}

static void test_real_board_raspberry_pi_4(void)
{
	struct fdt f;
	struct fdt_range ram[4], r;
	uint32_t c[4];
	int ctrl;

	init_fixture(&f, "bcm2711-rpi-4-b");
	/* The firmware fills in the memory: the blob's node is empty. */
	EXPECT_EQ(fdt_memory(&f, ram, 4), 0);
	expect_uart(&f, fdt_stdout_node(&f), "brcm,bcm2835-aux-uart", 0xfe215040);
	expect_uart(&f, path(&f, "serial0"), "arm,pl011", 0xfe201000);
	expect_rpi_cpus(&f);
	/* The virtual timer is PPI 11 of the GIC-400 (INTID 27), whose
	 * distributor and CPU interface sit at 0xff841000 and 0xff842000. */
	ASSERT_EQ(timer_irq(&f, "arm,armv8-timer", c, &ctrl), 3);
	EXPECT_EQ_U(c[0], 1);
	EXPECT_EQ_U(c[1], 11);
	expect_uart(&f, ctrl, "arm,gic-400", 0xff841000);
	ASSERT_OK(fdt_reg_phys(&f, ctrl, 1, &r));
	EXPECT_EQ_U(r.base, 0xff842000);
}

static void test_qemu_sifive_unleashed(void)
{
	struct fdt f;
	struct fdt_range ram[4];
	int n = 0, with_mmu = 0;

	init_fixture(&f, "qemu-sifive_u");
	ASSERT_EQ(fdt_memory(&f, ram, 4), 1);
	EXPECT_EQ_U(ram[0].base, 0x80000000);
	expect_uart(&f, fdt_stdout_node(&f), "sifive,uart0", 0x10010000);
	/* Five harts; hart 0, the E51, has no MMU. */
	for (int c = fdt_first_child(&f, path(&f, "/cpus")); c >= 0; c = fdt_next_sibling(&f, c)) {
		const char *type = fdt_getprop_str(&f, c, "device_type");
		const char *mmu = fdt_getprop_str(&f, c, "mmu-type");
		struct fdt_range r;

		if (!type || strcmp(type, "cpu"))
			continue;
		ASSERT_OK(fdt_reg(&f, c, 0, &r));
		EXPECT_EQ_U(r.base, (uint64_t)n);
		EXPECT_EQ(mmu != NULL, r.base != 0);
		with_mmu += mmu != NULL;
		n++;
	}
	EXPECT_EQ(n, 5);
	EXPECT_EQ(with_mmu, 4);
}


KTEST_SUITE(fdt_host,
	KTEST_CASE(test_init_accepts_fixtures),
	KTEST_CASE(test_init_rejects_bad_arguments),
	KTEST_CASE(test_root_children_in_order),
	KTEST_CASE(test_walk_visits_every_node),
	KTEST_CASE(test_depth_limit),
	KTEST_CASE(test_getprop_values),
	KTEST_CASE(test_property_iteration),
	KTEST_CASE(test_path_lookup),
	KTEST_CASE(test_compatible_and_find),
	KTEST_CASE(test_reg_with_2_2_cells),
	KTEST_CASE(test_reg_with_other_cell_sizes),
	KTEST_CASE(test_memory_sorted_and_complete),
	KTEST_CASE(test_reserved_ranges),
	KTEST_CASE(test_reserved_nomap_only_marked_children),
	KTEST_CASE(test_bootargs),
	KTEST_CASE(test_stdout_path),
	KTEST_CASE(test_reg_phys_through_bus_ranges),
	KTEST_CASE(test_interrupts_and_their_parents),
	KTEST_CASE(test_u64_prop_one_or_two_cells),
	KTEST_CASE(test_real_board_raspberry_pi_3),
	KTEST_CASE(test_real_board_raspberry_pi_4),
	KTEST_CASE(test_qemu_sifive_unleashed),
	KTEST_CASE(test_version_16_accepted),
	KTEST_CASE(test_nops_and_trailing_data_accepted),
	KTEST_CASE(test_corrupt_magic_rejected),
	KTEST_CASE(test_corrupt_version_rejected),
	KTEST_CASE(test_corrupt_totalsize_rejected),
	KTEST_CASE(test_corrupt_header_offsets_rejected),
	KTEST_CASE(test_corrupt_overlapping_blocks_rejected),
	KTEST_CASE(test_corrupt_rsvmap_unterminated_rejected),
	KTEST_CASE(test_corrupt_token_rejected),
	KTEST_CASE(test_corrupt_prop_length_rejected),
	KTEST_CASE(test_corrupt_nameoff_rejected),
	KTEST_CASE(test_corrupt_unbalanced_nodes_rejected),
	KTEST_CASE(test_corrupt_missing_end_rejected),
	KTEST_CASE(test_corrupt_unterminated_name_rejected),
	KTEST_CASE(test_corrupt_structure_rules_rejected),
	KTEST_CASE(test_accessors_safe_on_any_offset),
	KTEST_CASE(test_fuzz_byte_flips),
	KTEST_CASE(test_fuzz_random_mutations));

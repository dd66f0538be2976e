/*
 * Read-only access to a flattened device tree (DTB), as defined by the
 * Devicetree Specification v0.4, chapter 5 ("Flattened Devicetree (DTB)
 * Format").  All multi-byte fields of the blob are big-endian.
 *
 * fdt_init() validates the whole blob once (header, block bounds, every
 * token of the structure block, every name and property in bounds, string
 * offsets inside the strings block, nesting balanced, FDT_END present), so
 * the accessors after it never read outside the blob, whatever it holds.
 *
 * A node is named by its offset in the structure block (an int >= 0);
 * functions that find nodes return that offset or a negative E_* code.
 * Accessors given an offset that is not a node (a negative error code, or
 * any other int) answer "not found" (E_NOENT, NULL, 0) and stay in bounds,
 * so lookups can be chained without checking each step:
 *	fdt_getprop_str(f, fdt_path_offset(f, "/chosen"), "bootargs")
 */
#ifndef LIB_FDT_H
#define LIB_FDT_H

#include <stddef.h>
#include <stdint.h>

/* Deepest nesting fdt_init() accepts, counting the root as level 1. */
#define FDT_MAX_DEPTH 32

struct fdt {
	const uint8_t *blob;
	uint32_t totalsize;
	const uint8_t *structs;   /* structure block */
	uint32_t structs_size;
	const char *strings;      /* strings block */
	uint32_t strings_size;
	const uint8_t *rsvmap;    /* memory reservation block */
	uint32_t rsvmap_count;    /* entries before the terminating (0, 0) */
};

/* A physical range [base, base + size). */
struct fdt_range {
	uint64_t base;
	uint64_t size;
};

/*
 * Validate the blob at @blob and fill @fdt.  @max_size bounds what may be
 * read even before the header is trusted (pass the size of the buffer, or
 * a generous limit such as 2 MiB for a blob handed over by firmware).
 * Returns E_OK, E_INVAL for a NULL @fdt or @blob or a @blob not 4-byte
 * aligned, or E_CORRUPT (bad magic, version < 16 or last_comp_version > 17,
 * totalsize over @max_size, a block out of bounds, misaligned, overlapping
 * the header or another block, a reservation list without its (0, 0)
 * terminator, a bad token, an unterminated name, a property past its
 * block or with a name offset outside the strings block, a property after
 * a child node, unbalanced nodes, more than one root, nesting deeper than
 * FDT_MAX_DEPTH, no FDT_END, ...).  On failure *@fdt is zeroed, and the
 * accessors find nothing in it.  Anything after FDT_END is ignored
 * (structs_size is trimmed to end there).
 */
int fdt_init(struct fdt *fdt, const void *blob, size_t max_size);

/* Offset of the root node (always valid after fdt_init), or E_NOENT. */
int fdt_root(const struct fdt *fdt);

/*
 * Name of a node with its unit address ("serial@10000000"; "" for root),
 * or NULL when @node is not a node.
 */
const char *fdt_node_name(const struct fdt *fdt, int node);

/* First child / next sibling of a node, or E_NOENT. */
int fdt_first_child(const struct fdt *fdt, int node);
int fdt_next_sibling(const struct fdt *fdt, int node);

/* Parent of a node, or E_NOENT for the root. */
int fdt_parent(const struct fdt *fdt, int node);

/*
 * Find a node by absolute path ("/chosen", "/soc/serial@10000000").  A
 * path component without "@unit" matches a node whose name is exactly that
 * or that name followed by "@...".  An alias name ("serial0", the
 * /aliases property) is accepted in place of a path that does not start
 * with '/', optionally followed by more components ("soc0/serial").  The
 * alias value must itself be an absolute path.  Returns the node or
 * E_NOENT.  No ":options" handling here; see fdt_stdout_node().
 */
int fdt_path_offset(const struct fdt *fdt, const char *path);

/*
 * Look up property @name of @node.  On success stores a pointer to its
 * value (inside the blob) and its length and returns E_OK; E_NOENT when
 * absent.  @len may be NULL.
 */
int fdt_getprop(const struct fdt *fdt, int node, const char *name,
                const void **val, uint32_t *len);

/*
 * A string property: returns the value if the property exists, is non
 * empty and NUL-terminated within its length, else NULL.
 */
const char *fdt_getprop_str(const struct fdt *fdt, int node, const char *name);

/*
 * A 32-bit property (exactly 4 bytes); E_NOENT or E_CORRUPT otherwise
 * (*@out is then left alone, so it may hold a default).
 */
int fdt_getprop_u32(const struct fdt *fdt, int node, const char *name, uint32_t *out);

/*
 * Iterate over a node's properties: the offset of @node's first property,
 * or of the property after @prop, or E_NOENT when there are no more.
 */
int fdt_first_prop(const struct fdt *fdt, int node);
int fdt_next_prop(const struct fdt *fdt, int prop);

/*
 * Name, value and length of the property at offset @prop (from the two
 * functions above); E_OK, or E_NOENT if @prop is not a property.  Any of
 * @name, @val, @len may be NULL.
 */
int fdt_prop_get(const struct fdt *fdt, int prop, const char **name,
                 const void **val, uint32_t *len);

/* Nonzero when @node's "compatible" string list contains @compat. */
int fdt_is_compatible(const struct fdt *fdt, int node, const char *compat);

/*
 * Next node after @from in depth-first order (pass -1 to start at the
 * root, which is itself checked) whose "compatible" contains @compat;
 * E_NOENT when there is none or @from is not a node.
 */
int fdt_find_compatible(const struct fdt *fdt, int from, const char *compat);

/*
 * Entry @index of @node's "reg", decoded with the #address-cells and
 * #size-cells of its parent (defaults 2 and 1 per the spec when absent;
 * cells values over 2, or both 0, are E_CORRUPT).  Returns E_OK, E_NOENT
 * when the property is absent or has fewer entries (or @node is the root,
 * which has no parent), E_CORRUPT when its length is not a multiple of the
 * entry size.  #size-cells = 0 gives size 0.
 */
int fdt_reg(const struct fdt *fdt, int node, int index, struct fdt_range *out);

/*
 * fdt_reg() translated to a CPU physical address: through the "ranges" of
 * every bus between @node and the root (a device on the Raspberry Pi's
 * /soc has a VideoCore bus address in its reg).  E_NOTSUP when a bus on
 * the way has no "ranges" (its children are not memory-mapped), E_RANGE
 * when no ranges entry holds the address, E_CORRUPT for a malformed
 * "ranges"; otherwise as fdt_reg().
 */
int fdt_reg_phys(const struct fdt *fdt, int node, int index, struct fdt_range *out);

/* The node whose "phandle" (or "linux,phandle") is @phandle, or E_NOENT. */
int fdt_node_by_phandle(const struct fdt *fdt, uint32_t phandle);

/*
 * The interrupt controller of @node's interrupts: the node named by the
 * nearest "interrupt-parent" on the way from @node up to the root, or
 * E_NOENT.
 */
int fdt_interrupt_parent(const struct fdt *fdt, int node);

/*
 * Interrupt specifier @index of @node's "interrupts", in its controller's
 * #interrupt-cells: stores up to @max cells in @cells and the controller
 * in *@ctrl, returns how many cells.  E_NOENT (no controller, no property
 * or too few entries), E_CORRUPT (no #interrupt-cells, more than @max, a
 * length that is not a multiple of the specifier).
 */
int fdt_interrupt(const struct fdt *fdt, int node, int index, uint32_t *cells, uint32_t max,
                  int *ctrl);

/* A property of one or two cells (4 or 8 bytes) as a number; E_NOENT, E_CORRUPT. */
int fdt_u64_prop(const struct fdt *fdt, int node, const char *name, uint64_t *out);

/*
 * RAM described by every node with device_type = "memory" (all its reg
 * entries, zero-sized entries skipped; "status" is not consulted).  Stores
 * up to @max ranges in @out, sorted by base (when more were found, the
 * @max with the lowest bases); returns how many were found in all (which
 * may exceed @max), or E_CORRUPT when a memory node's reg is malformed.
 * Overlapping or adjacent ranges are not merged.
 */
int fdt_memory(const struct fdt *fdt, struct fdt_range *out, int max);

/*
 * Reserved ranges: the memory reservation block entries plus the reg
 * entries of every child of /reserved-memory (dynamically placed children
 * that have only "size" are skipped; their #address-cells/#size-cells
 * come from /reserved-memory).  Same conventions as fdt_memory().
 */
int fdt_reserved(const struct fdt *fdt, struct fdt_range *out, int max);

/*
 * The /reserved-memory children marked "no-map": memory the OS must not
 * map at all (firmware regions guarded by PMP or TrustZone, where even a
 * speculative access may fault).  Same conventions as fdt_memory().
 */
int fdt_reserved_nomap(const struct fdt *fdt, struct fdt_range *out, int max);

/* /chosen "bootargs", or "" when absent or not a terminated string. */
const char *fdt_bootargs(const struct fdt *fdt);

/*
 * The node /chosen "stdout-path" names (a path or an alias; any ":options"
 * suffix is ignored), or E_NOENT.
 */
int fdt_stdout_node(const struct fdt *fdt);

#endif

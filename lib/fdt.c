/*
 * Flattened device tree (DTB) reader, Devicetree Specification v0.4 ch. 5.
 *
 * Blob layout: a 40-byte header, then three blocks that the header locates
 * by offset: the memory reservation block (big-endian u64 pairs ending in
 * (0, 0)), the structure block (big-endian u32 tokens; names and values
 * follow their token and are padded to 4 bytes) and the strings block
 * (NUL-terminated property names, referenced by offset).
 *
 * Safety: fdt_init() checks the header and walks the whole structure block
 * once, so a blob it accepts is well formed.  On top of that every token is
 * decoded by tok_at(), which bounds-checks all it reads, and the accessors
 * read the structure block only through it.  So even a node offset this
 * API never returned, or a struct fdt whose init failed (it is zeroed), can
 * only yield "not found", never a read outside the blob.  Walks always move
 * forward by at least one token, so they end.
 */
#include <lib/err.h>
#include <lib/fdt.h>
#include <string.h>

#define FDT_MAGIC  0xd00dfeedu
#define FDT_HDR    40u  /* header size of version 17 */

/* Header fields: byte offsets of big-endian u32s (spec 5.2). */
enum {
	H_MAGIC = 0, H_TOTALSIZE = 4, H_OFF_STRUCT = 8, H_OFF_STRINGS = 12,
	H_OFF_RSVMAP = 16, H_VERSION = 20, H_LAST_COMP = 24,
	H_SIZE_STRINGS = 32, H_SIZE_STRUCT = 36,
};

enum {
	TOK_BEGIN_NODE = 1,
	TOK_END_NODE = 2,
	TOK_PROP = 3,
	TOK_NOP = 4,
	TOK_END = 9,
};

/* Byte-wise reads: the blob may sit at any address and is big-endian. */
static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* One decoded token of the structure block. */
struct tok {
	uint32_t type;
	int next;            /* offset of the token after it */
	const char *name;    /* BEGIN_NODE: node name; PROP: property name */
	const uint8_t *val;  /* PROP: value */
	uint32_t len;        /* PROP: value length */
};

/*
 * Decode the token at structure offset @off into @t.  Returns E_OK, or
 * E_CORRUPT if @off is not a 4-aligned offset inside the block, the token
 * is unknown, or anything it carries (name, length, value, padding, name
 * offset into the strings block) does not fit.  64-bit arithmetic keeps
 * huge lengths from wrapping.
 */
static int tok_at(const struct fdt *fdt, int off, struct tok *t)
{
	const uint8_t *s = fdt->structs;
	uint64_t size = fdt->structs_size;
	uint64_t p;

	if (off < 0 || (off & 3) || (uint64_t)off + 4 > size)
		return E_CORRUPT;
	t->type = be32(s + off);
	p = (uint64_t)off + 4;
	switch (t->type) {
	case TOK_BEGIN_NODE: {
		const uint8_t *nul = memchr(s + p, 0, size - p);

		if (!nul)
			return E_CORRUPT;
		t->name = (const char *)(s + p);
		p = (uint64_t)(nul - s) + 1;
		break;
	}
	case TOK_PROP: {
		uint32_t nameoff;

		if (size - p < 8)
			return E_CORRUPT;
		t->len = be32(s + p);
		nameoff = be32(s + p + 4);
		p += 8;
		if (t->len > size - p)
			return E_CORRUPT;
		if (nameoff >= fdt->strings_size ||
		    !memchr(fdt->strings + nameoff, 0, fdt->strings_size - nameoff))
			return E_CORRUPT;
		t->name = fdt->strings + nameoff;
		t->val = s + p;
		p += t->len;
		break;
	}
	case TOK_END_NODE:
	case TOK_NOP:
	case TOK_END:
		break;
	default:
		return E_CORRUPT;
	}
	p = (p + 3) & ~(uint64_t)3;
	if (p > size)
		return E_CORRUPT;
	t->next = (int)p;  /* fdt_init() caps the blob below INT32_MAX */
	return E_OK;
}

/* E_OK when @node is the offset of a BEGIN_NODE token (decoded in @t). */
static int node_at(const struct fdt *fdt, int node, struct tok *t)
{
	if (tok_at(fdt, node, t) || t->type != TOK_BEGIN_NODE)
		return E_NOENT;
	return E_OK;
}

/*
 * Walk the structure block: one root node, properties of a node before its
 * children, nesting within FDT_MAX_DEPTH, ending at FDT_END at depth 0.
 * On success trims fdt->structs_size to end just after FDT_END.
 */
static int check_structure(struct fdt *fdt)
{
	struct tok t;
	int off = 0, depth = 0, seen_root = 0, props_done = 0;

	for (;;) {
		if (tok_at(fdt, off, &t))
			return E_CORRUPT;
		switch (t.type) {
		case TOK_BEGIN_NODE:
			if ((depth == 0 && seen_root) || depth == FDT_MAX_DEPTH)
				return E_CORRUPT;
			depth++;
			seen_root = 1;
			props_done = 0;
			break;
		case TOK_END_NODE:
			if (depth == 0)
				return E_CORRUPT;
			depth--;
			props_done = 1;  /* back in a parent, after a child */
			break;
		case TOK_PROP:
			if (depth == 0 || props_done)
				return E_CORRUPT;
			break;
		case TOK_END:
			if (depth != 0 || !seen_root)
				return E_CORRUPT;
			fdt->structs_size = (uint32_t)t.next;
			return E_OK;
		}
		off = t.next;
	}
}

/* Nonempty ranges [a, a + alen) and [b, b + blen) share a byte. */
static int overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

int fdt_init(struct fdt *fdt, const void *blob, size_t max_size)
{
	const uint8_t *b = blob;
	struct fdt f;
	uint32_t total, version, off_struct, off_strings, off_rsv, size_struct;
	uint64_t rsv_end;
	int rc;

	if (!fdt)
		return E_INVAL;
	memset(fdt, 0, sizeof(*fdt));
	if (!b || ((uintptr_t)b & 3))
		return E_INVAL;
	/* Nothing, not even the header, is read past @max_size. */
	if (max_size < FDT_HDR || be32(b + H_MAGIC) != FDT_MAGIC)
		return E_CORRUPT;
	/* Version 16 lacks size_dt_struct; 18+ would be incompatible. */
	version = be32(b + H_VERSION);
	if (version < 16 || be32(b + H_LAST_COMP) > 17)
		return E_CORRUPT;
	total = be32(b + H_TOTALSIZE);
	if (total < FDT_HDR || total > max_size || total > INT32_MAX)
		return E_CORRUPT;

	off_rsv = be32(b + H_OFF_RSVMAP);
	off_struct = be32(b + H_OFF_STRUCT);
	off_strings = be32(b + H_OFF_STRINGS);
	memset(&f, 0, sizeof(f));
	f.blob = b;
	f.totalsize = total;
	f.strings_size = be32(b + H_SIZE_STRINGS);
	if (off_struct < FDT_HDR || (off_struct & 3) || off_struct > total ||
	    off_strings < FDT_HDR || off_strings > total ||
	    f.strings_size > total - off_strings ||
	    off_rsv < FDT_HDR || (off_rsv & 7) || off_rsv > total)
		return E_CORRUPT;
	/* v16: the block runs until FDT_END, which check_structure() finds. */
	size_struct = version >= 17 ? be32(b + H_SIZE_STRUCT) : total - off_struct;
	if (size_struct > total - off_struct)
		return E_CORRUPT;
	f.structs = b + off_struct;
	f.structs_size = size_struct;
	f.strings = (const char *)b + off_strings;
	f.rsvmap = b + off_rsv;

	/* The reservation list must reach its (0, 0) terminator in bounds. */
	for (rsv_end = off_rsv;; rsv_end += 16) {
		if (rsv_end + 16 > total)
			return E_CORRUPT;
		if (be64(b + rsv_end) == 0 && be64(b + rsv_end + 8) == 0)
			break;
		f.rsvmap_count++;
	}
	rsv_end += 16;

	rc = check_structure(&f);
	if (rc)
		return rc;
	/* Blocks must not share bytes (the header is excluded above). */
	if (overlap(off_rsv, rsv_end - off_rsv, off_struct, f.structs_size) ||
	    overlap(off_rsv, rsv_end - off_rsv, off_strings, f.strings_size) ||
	    overlap(off_struct, f.structs_size, off_strings, f.strings_size))
		return E_CORRUPT;
	*fdt = f;
	return E_OK;
}

int fdt_root(const struct fdt *fdt)
{
	struct tok t;
	int off = 0;

	/* The spec allows NOPs anywhere, even before the root. */
	while (tok_at(fdt, off, &t) == E_OK && t.type == TOK_NOP)
		off = t.next;
	return node_at(fdt, off, &t) ? E_NOENT : off;
}

const char *fdt_node_name(const struct fdt *fdt, int node)
{
	struct tok t;

	return node_at(fdt, node, &t) ? NULL : t.name;
}

/* First token at or after @off that is not a property or NOP, into @t. */
static int skip_props(const struct fdt *fdt, int off, struct tok *t)
{
	while (tok_at(fdt, off, t) == E_OK) {
		if (t->type != TOK_PROP && t->type != TOK_NOP)
			return off;
		off = t->next;
	}
	return E_CORRUPT;
}

int fdt_first_child(const struct fdt *fdt, int node)
{
	struct tok t;
	int off;

	if (node_at(fdt, node, &t))
		return E_NOENT;
	off = skip_props(fdt, t.next, &t);
	return off >= 0 && t.type == TOK_BEGIN_NODE ? off : E_NOENT;
}

/* Offset just past the END_NODE that closes @node, or E_CORRUPT. */
static int node_end(const struct fdt *fdt, int node)
{
	struct tok t;
	int off = node, depth = 0;

	while (tok_at(fdt, off, &t) == E_OK && t.type != TOK_END) {
		if (t.type == TOK_BEGIN_NODE && ++depth > FDT_MAX_DEPTH)
			break;
		if (t.type == TOK_END_NODE && --depth == 0)
			return t.next;
		off = t.next;
	}
	return E_CORRUPT;
}

int fdt_next_sibling(const struct fdt *fdt, int node)
{
	struct tok t;
	int off;

	if (node_at(fdt, node, &t))
		return E_NOENT;
	off = skip_props(fdt, node_end(fdt, node), &t);
	return off >= 0 && t.type == TOK_BEGIN_NODE ? off : E_NOENT;
}

int fdt_parent(const struct fdt *fdt, int node)
{
	int stack[FDT_MAX_DEPTH];  /* open ancestors of the current token */
	int depth = 0, off = fdt_root(fdt);
	struct tok t;

	if (node_at(fdt, node, &t))
		return E_NOENT;
	while (tok_at(fdt, off, &t) == E_OK && t.type != TOK_END) {
		if (t.type == TOK_BEGIN_NODE) {
			if (off == node)
				return depth ? stack[depth - 1] : E_NOENT;
			if (depth == FDT_MAX_DEPTH)
				return E_CORRUPT;
			stack[depth++] = off;
		} else if (t.type == TOK_END_NODE && depth-- == 0) {
			break;
		}
		off = t.next;
	}
	return E_NOENT;
}

/* Find property @name (@n bytes, not NUL-terminated) of @node into @t. */
static int find_prop(const struct fdt *fdt, int node, const char *name,
                     size_t n, struct tok *t)
{
	int off;

	if (node_at(fdt, node, t))
		return E_NOENT;
	for (off = t->next; tok_at(fdt, off, t) == E_OK; off = t->next) {
		if (t->type == TOK_PROP) {
			if (strncmp(t->name, name, n) == 0 && t->name[n] == '\0')
				return E_OK;
		} else if (t->type != TOK_NOP) {
			break;
		}
	}
	return E_NOENT;
}

int fdt_getprop(const struct fdt *fdt, int node, const char *name,
                const void **val, uint32_t *len)
{
	struct tok t;

	if (!name || find_prop(fdt, node, name, strlen(name), &t))
		return E_NOENT;
	if (val)
		*val = t.val;
	if (len)
		*len = t.len;
	return E_OK;
}

const char *fdt_getprop_str(const struct fdt *fdt, int node, const char *name)
{
	const void *val;
	uint32_t len;

	if (fdt_getprop(fdt, node, name, &val, &len) || len == 0 ||
	    !memchr(val, 0, len))
		return NULL;
	return val;
}

int fdt_getprop_u32(const struct fdt *fdt, int node, const char *name, uint32_t *out)
{
	const void *val;
	uint32_t len;

	if (fdt_getprop(fdt, node, name, &val, &len))
		return E_NOENT;
	if (len != 4)
		return E_CORRUPT;
	*out = be32(val);
	return E_OK;
}

/* The first PROP at or after @off, skipping NOPs, or E_NOENT. */
static int prop_from(const struct fdt *fdt, int off)
{
	struct tok t;

	for (; tok_at(fdt, off, &t) == E_OK; off = t.next) {
		if (t.type == TOK_PROP)
			return off;
		if (t.type != TOK_NOP)
			break;
	}
	return E_NOENT;
}

int fdt_first_prop(const struct fdt *fdt, int node)
{
	struct tok t;

	return node_at(fdt, node, &t) ? E_NOENT : prop_from(fdt, t.next);
}

int fdt_next_prop(const struct fdt *fdt, int prop)
{
	struct tok t;

	if (tok_at(fdt, prop, &t) || t.type != TOK_PROP)
		return E_NOENT;
	return prop_from(fdt, t.next);
}

int fdt_prop_get(const struct fdt *fdt, int prop, const char **name,
                 const void **val, uint32_t *len)
{
	struct tok t;

	if (tok_at(fdt, prop, &t) || t.type != TOK_PROP)
		return E_NOENT;
	if (name)
		*name = t.name;
	if (val)
		*val = t.val;
	if (len)
		*len = t.len;
	return E_OK;
}

int fdt_is_compatible(const struct fdt *fdt, int node, const char *compat)
{
	const char *p, *end, *nul;
	const void *val;
	uint32_t len;

	if (fdt_getprop(fdt, node, "compatible", &val, &len))
		return 0;
	/* A string list; an unterminated last entry is ignored. */
	for (p = val, end = p + len; p < end; p = nul + 1) {
		nul = memchr(p, 0, (size_t)(end - p));
		if (!nul)
			break;
		if (strcmp(p, compat) == 0)
			return 1;
	}
	return 0;
}

/* Next BEGIN_NODE after the node at @node, in depth-first order. */
static int next_node(const struct fdt *fdt, int node)
{
	struct tok t;
	int off;

	if (node_at(fdt, node, &t))
		return E_NOENT;
	/* Depth-first order is simply the order of BEGIN_NODE tokens. */
	for (off = t.next; tok_at(fdt, off, &t) == E_OK && t.type != TOK_END;
	     off = t.next) {
		if (t.type == TOK_BEGIN_NODE)
			return off;
	}
	return E_NOENT;
}

int fdt_find_compatible(const struct fdt *fdt, int from, const char *compat)
{
	int node = from < 0 ? fdt_root(fdt) : next_node(fdt, from);

	for (; node >= 0; node = next_node(fdt, node))
		if (fdt_is_compatible(fdt, node, compat))
			return node;
	return E_NOENT;
}

/* The #address-cells / #size-cells that @parent sets for its children. */
static int reg_cells(const struct fdt *fdt, int parent, uint32_t *ac, uint32_t *sc)
{
	int rc;

	*ac = 2;
	*sc = 1;
	rc = fdt_getprop_u32(fdt, parent, "#address-cells", ac);
	if (rc && rc != E_NOENT)
		return rc;
	rc = fdt_getprop_u32(fdt, parent, "#size-cells", sc);
	if (rc && rc != E_NOENT)
		return rc;
	/* Our ranges are 64-bit; 0 + 0 cells would be entries of no size. */
	if (*ac > 2 || *sc > 2 || *ac + *sc == 0)
		return E_CORRUPT;
	return E_OK;
}

static uint64_t read_cells(const uint8_t *p, uint32_t n)
{
	uint64_t v = 0;

	for (; n; n--, p += 4)
		v = v << 32 | be32(p);
	return v;
}

/* Entry @index of @node's reg, with cells from @parent. */
static int reg_entry(const struct fdt *fdt, int node, int parent, int index,
                     struct fdt_range *out)
{
	const void *prop;
	const uint8_t *val;
	uint32_t len, ac, sc, esize;
	int rc;

	if (fdt_getprop(fdt, node, "reg", &prop, &len))
		return E_NOENT;
	rc = reg_cells(fdt, parent, &ac, &sc);
	if (rc)
		return rc;
	esize = (ac + sc) * 4;
	if (len % esize)
		return E_CORRUPT;
	if (index < 0 || (uint32_t)index >= len / esize)
		return E_NOENT;
	val = (const uint8_t *)prop + (uint32_t)index * esize;
	out->base = read_cells(val, ac);
	out->size = read_cells(val + ac * 4, sc);
	return E_OK;
}

int fdt_reg(const struct fdt *fdt, int node, int index, struct fdt_range *out)
{
	int parent = fdt_parent(fdt, node);

	if (parent < 0)
		return parent;
	return reg_entry(fdt, node, parent, index, out);
}

/*
 * Translate @addr, a child address of bus @bus, into @bus's parent's
 * address space through @bus's "ranges" (spec 2.3.8): entries of (child
 * address, parent address, length) in the child's, the parent's and the
 * child's size cells.  An empty "ranges" is the identity; a missing one
 * means the bus's children are not memory-mapped (E_NOTSUP).
 */
static int translate_once(const struct fdt *fdt, int bus, uint64_t *addr)
{
	const void *prop;
	uint32_t len, cac, csc, pac, psc;
	int grand = fdt_parent(fdt, bus), rc;

	if (fdt_getprop(fdt, bus, "ranges", &prop, &len))
		return E_NOTSUP;
	if (len == 0)
		return E_OK;
	rc = reg_cells(fdt, bus, &cac, &csc);
	if (!rc)
		rc = reg_cells(fdt, grand, &pac, &psc);
	if (rc)
		return rc;
	if (csc == 0)
		return E_CORRUPT;
	uint32_t esize = (cac + pac + csc) * 4;
	if (len % esize)
		return E_CORRUPT;
	for (const uint8_t *e = prop; e < (const uint8_t *)prop + len; e += esize) {
		uint64_t child = read_cells(e, cac), parent = read_cells(e + cac * 4, pac);
		uint64_t size = read_cells(e + (cac + pac) * 4, csc);

		if (*addr >= child && *addr - child < size) {
			*addr = parent + (*addr - child);
			return E_OK;
		}
	}
	return E_RANGE;
}

int fdt_reg_phys(const struct fdt *fdt, int node, int index, struct fdt_range *out)
{
	int rc = fdt_reg(fdt, node, index, out);

	if (rc)
		return rc;
	/* Up to the root: every bus on the way translates (the root does not). */
	for (int bus = fdt_parent(fdt, node); bus >= 0 && fdt_parent(fdt, bus) >= 0;
	     bus = fdt_parent(fdt, bus)) {
		rc = translate_once(fdt, bus, &out->base);
		if (rc)
			return rc;
	}
	return E_OK;
}

int fdt_node_by_phandle(const struct fdt *fdt, uint32_t phandle)
{
	uint32_t v;

	if (phandle == 0 || phandle == 0xffffffffu)
		return E_NOENT;
	for (int node = fdt_root(fdt); node >= 0; node = next_node(fdt, node))
		if ((fdt_getprop_u32(fdt, node, "phandle", &v) == E_OK ||
		     fdt_getprop_u32(fdt, node, "linux,phandle", &v) == E_OK) && v == phandle)
			return node;
	return E_NOENT;
}

int fdt_interrupt_parent(const struct fdt *fdt, int node)
{
	uint32_t ph;

	for (; node >= 0; node = fdt_parent(fdt, node))
		if (fdt_getprop_u32(fdt, node, "interrupt-parent", &ph) == E_OK)
			return fdt_node_by_phandle(fdt, ph);
	return E_NOENT;
}

int fdt_interrupt(const struct fdt *fdt, int node, int index, uint32_t *cells, uint32_t max,
                  int *ctrl)
{
	const void *prop;
	uint32_t len, n;
	int parent = fdt_interrupt_parent(fdt, node);

	if (parent < 0)
		return parent;
	if (fdt_getprop_u32(fdt, parent, "#interrupt-cells", &n) || n == 0 || n > max)
		return E_CORRUPT;
	if (fdt_getprop(fdt, node, "interrupts", &prop, &len))
		return E_NOENT;
	if (len % (n * 4))
		return E_CORRUPT;
	if (index < 0 || (uint32_t)index >= len / (n * 4))
		return E_NOENT;
	for (uint32_t i = 0; i < n; i++)
		cells[i] = be32((const uint8_t *)prop + ((uint32_t)index * n + i) * 4);
	*ctrl = parent;
	return (int)n;
}

int fdt_u64_prop(const struct fdt *fdt, int node, const char *name, uint64_t *out)
{
	const void *val;
	uint32_t len;

	if (fdt_getprop(fdt, node, name, &val, &len))
		return E_NOENT;
	if (len != 4 && len != 8)
		return E_CORRUPT;
	*out = read_cells(val, len / 4);
	return E_OK;
}

/* Accumulates ranges: keeps the @max lowest bases sorted, counts all. */
struct collect {
	struct fdt_range *out;
	int max;
	int n;
};

static void collect_add(struct collect *c, uint64_t base, uint64_t size)
{
	int i = c->n < c->max ? c->n : c->max;

	if (size == 0)
		return;
	/* Insertion sort; when full, the highest entry falls off the end. */
	for (; i > 0 && c->out[i - 1].base > base; i--)
		if (i < c->max)
			c->out[i] = c->out[i - 1];
	if (i < c->max) {
		c->out[i].base = base;
		c->out[i].size = size;
	}
	c->n++;
}

/* Add every reg entry of @node (none if it has no reg). */
static int collect_reg(const struct fdt *fdt, struct collect *c, int node, int parent)
{
	struct fdt_range r;
	int i, rc;

	for (i = 0; (rc = reg_entry(fdt, node, parent, i, &r)) == E_OK; i++)
		collect_add(c, r.base, r.size);
	return rc == E_NOENT ? E_OK : rc;
}

int fdt_memory(const struct fdt *fdt, struct fdt_range *out, int max)
{
	struct collect c = { out, max > 0 ? max : 0, 0 };
	const char *type;
	int node, parent, rc;

	for (node = fdt_root(fdt); node >= 0; node = next_node(fdt, node)) {
		type = fdt_getprop_str(fdt, node, "device_type");
		if (!type || strcmp(type, "memory") != 0)
			continue;
		parent = fdt_parent(fdt, node);
		if (parent < 0)
			continue;  /* the root itself cannot have a reg */
		rc = collect_reg(fdt, &c, node, parent);
		if (rc)
			return rc;
	}
	return c.n;
}

int fdt_reserved(const struct fdt *fdt, struct fdt_range *out, int max)
{
	struct collect c = { out, max > 0 ? max : 0, 0 };
	int rm, child, rc;
	uint32_t i;

	/* fdt_init() checked that the count entries lie in the blob. */
	for (i = 0; i < fdt->rsvmap_count; i++)
		collect_add(&c, be64(fdt->rsvmap + 16 * i), be64(fdt->rsvmap + 16 * i + 8));
	rm = fdt_path_offset(fdt, "/reserved-memory");
	for (child = fdt_first_child(fdt, rm); child >= 0;
	     child = fdt_next_sibling(fdt, child)) {
		/* Children with only "size" are placed by the OS: nothing fixed. */
		rc = collect_reg(fdt, &c, child, rm);
		if (rc)
			return rc;
	}
	return c.n;
}

int fdt_reserved_nomap(const struct fdt *fdt, struct fdt_range *out, int max)
{
	struct collect c = { out, max > 0 ? max : 0, 0 };
	int rm = fdt_path_offset(fdt, "/reserved-memory"), child, rc;

	for (child = fdt_first_child(fdt, rm); child >= 0;
	     child = fdt_next_sibling(fdt, child)) {
		if (fdt_getprop(fdt, child, "no-map", NULL, NULL))
			continue;
		rc = collect_reg(fdt, &c, child, rm);
		if (rc)
			return rc;
	}
	return c.n;
}

/*
 * Does node name @name match path component @comp (@n bytes)?  Exactly, or
 * as "comp@unit" when the component itself has no unit address.
 */
static int name_matches(const char *name, const char *comp, size_t n)
{
	if (strncmp(name, comp, n) != 0)
		return 0;
	/* strncmp() matched n bytes, so name[n] exists (maybe the NUL). */
	return name[n] == '\0' || (name[n] == '@' && !memchr(comp, '@', n));
}

static int resolve_path(const struct fdt *fdt, const char *path, size_t len,
                        int alias_ok);

/* The node alias @name (@n bytes) stands for, or E_NOENT. */
static int resolve_alias(const struct fdt *fdt, const char *name, size_t n)
{
	int aliases = resolve_path(fdt, "/aliases", 8, 0);
	struct tok t;

	if (n == 0 || find_prop(fdt, aliases, name, n, &t) ||
	    t.len == 0 || !memchr(t.val, 0, t.len))
		return E_NOENT;
	/* The value must be a full path: no alias chains, no loops. */
	return resolve_path(fdt, (const char *)t.val, strlen((const char *)t.val), 0);
}

/* Look up the @len bytes at @path; see fdt_path_offset(). */
static int resolve_path(const struct fdt *fdt, const char *path, size_t len,
                        int alias_ok)
{
	const char *end = path + len, *p = path, *q;
	int node;

	if (len > 0 && path[0] == '/') {
		node = fdt_root(fdt);
	} else {
		if (!alias_ok)
			return E_NOENT;
		q = memchr(path, '/', len);
		p = q ? q : end;
		node = resolve_alias(fdt, path, (size_t)(p - path));
	}
	while (node >= 0 && p < end) {
		if (*p == '/') {
			p++;
			continue;
		}
		q = memchr(p, '/', (size_t)(end - p));
		if (!q)
			q = end;
		for (node = fdt_first_child(fdt, node); node >= 0;
		     node = fdt_next_sibling(fdt, node))
			if (name_matches(fdt_node_name(fdt, node), p, (size_t)(q - p)))
				break;
		p = q;
	}
	return node >= 0 ? node : E_NOENT;
}

int fdt_path_offset(const struct fdt *fdt, const char *path)
{
	if (!path)
		return E_NOENT;
	return resolve_path(fdt, path, strlen(path), 1);
}

const char *fdt_bootargs(const struct fdt *fdt)
{
	const char *s = fdt_getprop_str(fdt, fdt_path_offset(fdt, "/chosen"), "bootargs");

	return s ? s : "";
}

int fdt_stdout_node(const struct fdt *fdt)
{
	const char *s = fdt_getprop_str(fdt, fdt_path_offset(fdt, "/chosen"), "stdout-path");

	if (!s)
		return E_NOENT;
	/* "serial0:115200n8": node names cannot contain ':'. */
	return resolve_path(fdt, s, strcspn(s, ":"), 1);
}

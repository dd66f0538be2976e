/*
 * Physical memory objects: a fixed range of physical addresses (device
 * registers, or RAM the frame allocator does not manage) that vareas map
 * as it is.  They allocate no frames and take no frame references, so
 * unmapping only removes leaves.
 *
 * A fault maps the largest leaf that fits: a 1 GiB or 2 MiB block when
 * the block around the address lies inside the varea, the physical
 * address is aligned alike and nothing in it is mapped yet; else the page.
 * Populating a varea (VAREA_POPULATE) is such faults from its start, so
 * a large aligned device window takes few entries.
 */
#include <stdio.h>
#include <string.h>
#include <lib/err.h>
#include <mm/heap.h>
#include <mm/page.h>
#include "aspace_internal.h"

struct phys_obj {
	struct mem_obj obj;
	paddr_t pa;
	uint64_t size;
	int device;
};

static const struct mem_obj_ops phys_ops;

static struct phys_obj *to_phys(const struct mem_obj *obj)
{
	return (struct phys_obj *)obj;
}

struct mem_obj *phys_obj_create(paddr_t pa, uint64_t size, int device)
{
	struct phys_obj *po;

	if (!size || ((pa | size) & PAGE_MASK) || pa + (size - 1) < pa)
		return NULL;
	po = kmalloc(sizeof(*po), KM_ZERO);
	if (!po)
		return NULL;
	po->obj.ops = &phys_ops;
	po->obj.refcount = 1;
	po->pa = pa;
	po->size = size;
	po->device = !!device;
	return &po->obj;
}

static void phys_destroy(struct mem_obj *obj)
{
	kfree(to_phys(obj));
}

/* The physical address behind @addr of @va. */
static paddr_t pa_of(const struct varea *va, uintptr_t addr)
{
	return to_phys(va->obj)->pa + va->offset + (addr - va->start);
}

static enum fault_result phys_fault(struct varea *va, const struct fault *f)
{
	uintptr_t addr = f->addr & ~(uintptr_t)PAGE_MASK;

	for (int level = PT_MAX_BLOCK_LEVEL; level >= 0; level--) {
		uint64_t size = PT_LEVEL_SIZE(level);
		uintptr_t start = addr & ~(uintptr_t)(size - 1);
		int rc;

		if (start < va->start || varea_end(va) - start < size ||
		    (pa_of(va, start) & (size - 1)))
			continue;
		rc = varea_map(va, start, pa_of(va, start), size);
		if (rc == E_OK)
			return FAULT_FIXED;
		if (rc == E_EXIST && level > 0)
			continue;   /* part of the block is mapped: a smaller leaf */
		if (rc == E_EXIST)
			return FAULT_FIXED;
		return rc == E_NOMEM ? FAULT_OOM : FAULT_DENIED;
	}
	return FAULT_DENIED;   /* not reached: a page always qualifies */
}

/*
 * Same object and contiguous offsets; or two objects whose physical
 * ranges touch, when @va reaches the end of its object and nothing else
 * holds that object, which can then simply grow over @next's range.
 */
static int phys_can_merge(const struct varea *va, const struct varea *next)
{
	struct phys_obj *a = to_phys(va->obj), *b = to_phys(next->obj);

	if (next->obj->ops != &phys_ops || a->device != b->device ||
	    pa_of(va, varea_end(va)) != pa_of(next, next->start))
		return 0;
	if (a == b)
		return 1;
	return va->offset + va->size == a->size &&
	       __atomic_load_n(&va->obj->refcount, __ATOMIC_RELAXED) == 1;
}

static void phys_merge(struct varea *va, struct varea *next)
{
	struct phys_obj *a = to_phys(va->obj);

	if (va->obj != next->obj)
		a->size += next->size;
}

static int phys_expand(struct varea *va, uint64_t size)
{
	struct phys_obj *po = to_phys(va->obj);

	return va->offset + va->size + size <= po->size ? E_OK : E_RANGE;
}

/* Only RAM can be copied like memory; registers may react to any access. */
static void *ram_page(struct phys_obj *po, uint64_t offset)
{
	if ((offset & PAGE_MASK) || offset >= po->size || po->device ||
	    !pa_to_page(po->pa + offset))
		return NULL;
	return pa_to_va(po->pa + offset);
}

static int phys_page_read(struct mem_obj *obj, uint64_t offset, void *buf)
{
	struct phys_obj *po = to_phys(obj);
	void *p = ram_page(po, offset);

	if (!p)
		return offset < po->size && !(offset & PAGE_MASK) ? E_NOTSUP : E_RANGE;
	memcpy(buf, p, PAGE_SIZE);
	return E_OK;
}

static int phys_page_write(struct mem_obj *obj, uint64_t offset, const void *buf)
{
	struct phys_obj *po = to_phys(obj);
	void *p = ram_page(po, offset);

	if (!p)
		return offset < po->size && !(offset & PAGE_MASK) ? E_NOTSUP : E_RANGE;
	memcpy(p, buf, PAGE_SIZE);
	return E_OK;
}

static int phys_check_leaf(const struct varea *va, uintptr_t addr, paddr_t pa, uint64_t size)
{
	(void)size;
	if (pa == pa_of(va, addr))
		return 0;
	printf("aspace_check %s: %#lx: phys leaf -> %#llx, expected %#llx\n", va->as->name,
	       (unsigned long)addr, (unsigned long long)pa, (unsigned long long)pa_of(va, addr));
	return 1;
}

/*
 * A source of private mappings (the ELF loader's .data over the image's
 * frames): RAM frames with page structs only, never device memory.
 */
static int phys_can_source(struct mem_obj *obj)
{
	struct phys_obj *po = to_phys(obj);

	return !po->device && pa_to_page(po->pa) && pa_to_page(po->pa + po->size - PAGE_SIZE)
	               ? E_OK : E_NOTSUP;
}

static int phys_page_at(struct mem_obj *obj, uint64_t offset, struct page **pg)
{
	struct phys_obj *po = to_phys(obj);

	*pg = offset < po->size ? pa_to_page(po->pa + offset) : NULL;
	return *pg ? E_OK : E_RANGE;
}

static const struct mem_obj_ops phys_ops = {
	.name = "phys",
	.fault = phys_fault,
	.can_merge = phys_can_merge,
	.merge = phys_merge,
	.expand = phys_expand,
	.page_read = phys_page_read,
	.page_write = phys_page_write,
	.check_leaf = phys_check_leaf,
	.destroy = phys_destroy,
	.fork_prepare = mem_obj_fork_shared,
	.fork_child = mem_obj_fork_same,
	.can_source = phys_can_source,
	.page_at = phys_page_at,
};

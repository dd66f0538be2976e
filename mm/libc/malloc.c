/*
 * The C library's allocator entry points, on the kernel heap, so the
 * kernel has one allocator: picolibc's own malloc (which would want sbrk)
 * is never linked.  Kernel-only: host builds keep the host's malloc.
 *
 * malloc(0) returns a unique pointer, as kmalloc(0) does; realloc(p, 0)
 * frees p and returns NULL, as C17 allows and most C libraries do.
 */
#include <errno.h>
#include <stdlib.h>
#include <malloc.h>
#include <mm/heap.h>
#include <mm/types.h>

static void *nomem(void *p)
{
	if (!p)
		errno = ENOMEM;
	return p;
}

void *malloc(size_t size)
{
	return nomem(kmalloc(size, 0));
}

void free(void *p)
{
	kfree(p);
}

void *calloc(size_t n, size_t size)
{
	return nomem(kcalloc(n, size, 0));
}

void *realloc(void *p, size_t size)
{
	if (p && !size) {
		kfree(p);
		return NULL;
	}
	return nomem(krealloc(p, size, 0));
}

void *memalign(size_t align, size_t size)
{
	return nomem(kmalloc_aligned(size, align, 0));
}

void *aligned_alloc(size_t align, size_t size)
{
	return nomem(kmalloc_aligned(size, align, 0));
}

int posix_memalign(void **out, size_t align, size_t size)
{
	void *p;

	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	p = kmalloc_aligned(size, align, 0);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *valloc(size_t size)
{
	return nomem(kmalloc_aligned(size, PAGE_SIZE, 0));
}

void *pvalloc(size_t size)
{
	size_t pages = (size + PAGE_SIZE - 1) & ~(size_t)PAGE_MASK;

	if (pages < size)
		return nomem(NULL);
	return nomem(kmalloc_aligned(pages, PAGE_SIZE, 0));
}

size_t malloc_usable_size(void *p)
{
	return p ? ksize(p) : 0;
}

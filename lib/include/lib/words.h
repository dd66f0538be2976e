/*
 * Clearing and copying small structures a word at a time.
 *
 * The picolibc the kernel links (Debian's build, made for size) clears
 * and copies byte by byte: memset() costs 4 instructions a byte and
 * memcpy() 3, so zeroing a 256-byte heap object took some 1,000
 * instructions and copying an 832-byte trap frame 2,500.  These loops
 * store 8 bytes at a time, for the hot paths that zero or copy whole
 * structures; everything else keeps using <string.h>.
 *
 * Both take 8-byte-aligned addresses and a size that is a multiple of 8
 * (the heap's objects and the arches' trap frames are).  The empty asm in
 * each loop keeps GCC from recognising the loop and calling memset() or
 * memcpy() after all.
 */
#ifndef LIB_WORDS_H
#define LIB_WORDS_H

#include <stddef.h>
#include <stdint.h>

typedef uint64_t words_word __attribute__((may_alias));

/* Zero @bytes (a multiple of 8) at @p (8-aligned). */
static inline void words_clear(void *p, size_t bytes)
{
	words_word *w = p, *end = (words_word *)((char *)p + bytes);

	for (; w < end; w++) {
		__asm__("" : "+r"(w));
		*w = 0;
	}
}

/* Copy @bytes (a multiple of 8) from @src to @dst (both 8-aligned, apart). */
static inline void words_copy(void *dst, const void *src, size_t bytes)
{
	words_word *d = dst;
	const words_word *s = src, *end = (const words_word *)((const char *)src + bytes);

	for (; s < end; s++, d++) {
		__asm__("" : "+r"(s));
		*d = *s;
	}
}

#endif

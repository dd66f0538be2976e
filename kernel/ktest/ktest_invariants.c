/*
 * Invariants checked around every self-test case: whatever a case does,
 * afterwards every frame it took is back, every memory object it made is
 * gone, the allocators are consistent, the kernel aspace checks clean and
 * the kernel page table audits clean.  A case that breaks one fails,
 * with the reason as a diagnostic.
 */
#include <mm/kmap.h>
#include <lib/ktest.h>
#include <mm/heap.h>
#include <mm/page.h>
#include <mm/pt.h>
#include <mm/aspace.h>
#include <mm/vmo.h>
#include <proc/proc.h>

void ktest_case_begin(const char *case_name);
int ktest_check_invariants(const char *case_name);

static uint64_t free_before;
static unsigned procs_before;
static uint64_t tables_before;
static uint64_t objects_before;

void ktest_case_begin(const char *case_name)
{
	(void)case_name;
	free_before = heap_free_frames_settled();
	procs_before = proc_count();
	tables_before = kernel_pt.table_pages;
	objects_before = vmo_count();
}

int ktest_check_invariants(const char *case_name)
{
	uint64_t free_after = heap_free_frames_settled();
	int broken = 0;

	(void)case_name;
	if (free_after != free_before) {
		ktest_log("invariant: %lld frames %s (free %llu before, %llu after)",
		          (long long)(free_before - free_after),
		          free_after < free_before ? "not returned" : "appeared",
		          (unsigned long long)free_before, (unsigned long long)free_after);
		broken++;
	}
	if (kernel_pt.table_pages != tables_before) {
		ktest_log("invariant: kernel table pages %llu before, %llu after",
		          (unsigned long long)tables_before,
		          (unsigned long long)kernel_pt.table_pages);
		broken++;
	}
	if (proc_count() != procs_before) {
		ktest_log("invariant: %u processes before, %u after (not reaped)",
		          procs_before, proc_count());
		broken++;
	}
	if (vmo_count() != objects_before) {
		ktest_log("invariant: %llu memory objects before, %llu after",
		          (unsigned long long)objects_before, (unsigned long long)vmo_count());
		broken++;
	}
	if (aspace_check(&kernel_aspace)) {
		ktest_log("invariant: kernel aspace check failed");
		broken++;
	}
	if (pmm_check()) {
		ktest_log("invariant: frame allocator inconsistent");
		broken++;
	}
	if (heap_check()) {
		ktest_log("invariant: heap inconsistent");
		broken++;
	}
	if (pt_audit(&kernel_pt)) {
		ktest_log("invariant: kernel page table audit failed");
		broken++;
	}
	return broken;
}

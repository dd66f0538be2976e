/* The shell's line editor and command dispatch, with scripted input. */
#include <stdio.h>
#include <string.h>
#include <drivers/console.h>
#include <lib/err.h>
#include <lib/ktest.h>
#include <mm/page.h>
#include <mm/vmo.h>
#include <shell/shell.h>

struct script {
	const char *p;
};

static int script_getc(void *ctx)
{
	struct script *s = ctx;

	return *s->p ? (unsigned char)*s->p++ : -1;
}

static int read_scripted(const char *input, char *line, size_t size, char *echo, size_t esize)
{
	struct script s = { input };
	int n;

	console_capture_start(echo, esize);
	n = shell_readline(script_getc, &s, line, size);
	console_capture_stop();
	return n;
}

static void test_readline_plain(void)
{
	char line[32], echo[64];

	EXPECT_EQ(read_scripted("help\r", line, sizeof(line), echo, sizeof(echo)), 4);
	EXPECT_STREQ(line, "help");
	EXPECT_STREQ(echo, "help\n");
}

static void test_readline_backspace_and_delete(void)
{
	char line[32], echo[64];

	/* "hx<BS>el<DEL>lp": both erase keys remove one character. */
	EXPECT_EQ(read_scripted("hx\bel\x7flp\n", line, sizeof(line), echo, sizeof(echo)), 4);
	EXPECT_STREQ(line, "help");
	EXPECT_STREQ(echo, "hx\b \bel\b \blp\n");
}

static void test_readline_backspace_at_start_ignored(void)
{
	char line[32], echo[64];

	EXPECT_EQ(read_scripted("\b\bok\r", line, sizeof(line), echo, sizeof(echo)), 2);
	EXPECT_STREQ(line, "ok");
	EXPECT_STREQ(echo, "ok\n");
}

static void test_readline_full_line_fits(void)
{
	char line[4], echo[64];

	EXPECT_EQ(read_scripted("abc\r", line, sizeof(line), echo, sizeof(echo)), 3);
	EXPECT_STREQ(line, "abc");
}

/* A line longer than the buffer is refused whole, never cut to a
 * command nobody typed. */
static void test_readline_too_long_refused(void)
{
	char line[4], echo[128];

	EXPECT_EQ(read_scripted("abcdef\r", line, sizeof(line), echo, sizeof(echo)), E_RANGE);
	EXPECT_STREQ(line, "");
	EXPECT_STREQ(echo, "abcdef\nline too long (at most 3 characters); ignored\n");
}

/* Erasing back under the limit makes the line acceptable again. */
static void test_readline_too_long_then_erased(void)
{
	char line[4], echo[128];

	EXPECT_EQ(read_scripted("abcde\b\b\bx\r", line, sizeof(line), echo, sizeof(echo)), 3);
	EXPECT_STREQ(line, "abx");
}

/* Arrow keys (ESC [ A, and ESC O A in application mode), a CSI with
 * parameters (ctrl-left: ESC [ 1 ; 5 D) and delete (ESC [ 3 ~) leave
 * nothing on the line. */
static void test_readline_swallows_escape_sequences(void)
{
	char line[32], echo[64];

	EXPECT_EQ(read_scripted("\x1b[Ahe\x1bOBl\x1b[1;5Dp\x1b[3~\r", line, sizeof(line),
	                        echo, sizeof(echo)), 4);
	EXPECT_STREQ(line, "help");
	EXPECT_STREQ(echo, "help\n");
}

/* A lone ESC is dropped and the next byte read as usual; a byte that
 * cannot continue a sequence (here the end of the line) ends it. */
static void test_readline_escape_ends_cleanly(void)
{
	char line[32], echo[64];

	EXPECT_EQ(read_scripted("\x1bok\x1b[12\r", line, sizeof(line), echo, sizeof(echo)), 2);
	EXPECT_STREQ(line, "ok");
	EXPECT_EQ(read_scripted("a\x1bO\r", line, sizeof(line), echo, sizeof(echo)), 1);
	EXPECT_STREQ(line, "a");
	EXPECT_EQ(read_scripted("\x1b\x1b[Bb\r", line, sizeof(line), echo, sizeof(echo)), 1);
	EXPECT_STREQ(line, "b");
}

static void test_readline_eof(void)
{
	char line[8], echo[16];

	EXPECT_EQ(read_scripted("abc", line, sizeof(line), echo, sizeof(echo)), -1);
}

static void test_unknown_command(void)
{
	char line[] = "frobnicate now";
	char out[128];

	console_capture_start(out, sizeof(out));
	int rc = shell_exec(line);
	console_capture_stop();
	EXPECT_EQ(rc, E_NOENT);
	EXPECT_STREQ(out, "frobnicate: unknown command (try `help`)\n");
}

static void test_help_lists_commands(void)
{
	char line[] = "  help  ";
	static char out[1024];

	console_capture_start(out, sizeof(out));
	int rc = shell_exec(line);
	console_capture_stop();
	EXPECT_OK(rc);
	EXPECT_NOT_NULL(strstr(out, "meminfo"));
	EXPECT_NOT_NULL(strstr(out, "ktest"));
	EXPECT_NOT_NULL(strstr(out, "poweroff"));
	EXPECT_NOT_NULL(strstr(out, "reboot"));
}

extern const struct shell_cmd __start_shell_cmds[], __stop_shell_cmds[];

static int exec_captured(const char *cmd, char *out, size_t size)
{
	char line[64];

	snprintf(line, sizeof(line), "%s", cmd);
	console_capture_start(out, size);
	int rc = shell_exec(line);
	console_capture_stop();
	return rc;
}

static void test_meminfo_refuses_arguments(void)
{
	char out[256];

	EXPECT_EQ(exec_captured("meminfo  all", out, sizeof(out)), E_INVAL);
	EXPECT_STREQ(out, "usage: meminfo (takes no arguments)\n");   /* and nothing ran */
}

/* Every command registered as taking none refuses an argument with its
 * usage line and does not run: poweroff and reboot included. */
static void test_commands_without_arguments_refuse_them(void)
{
	int checked = 0;

	for (const struct shell_cmd *c = __start_shell_cmds; c < __stop_shell_cmds; c++) {
		char cmd[48], out[128], want[96];

		if (c->takes_args)
			continue;
		snprintf(cmd, sizeof(cmd), "%s now", c->name);
		snprintf(want, sizeof(want), "usage: %s (takes no arguments)\n", c->name);
		EXPECT_EQ(exec_captured(cmd, out, sizeof(out)), E_INVAL);
		EXPECT_STREQ(out, want);
		checked++;
	}
	EXPECT_GE(checked, 7);   /* help, meminfo, ptdump, vareas, vmos, poweroff, reboot */
}

/* `vmos` lists a live object with its name, size, committed pages and clone parent. */
static void test_vmos_lists_live_objects(void)
{
	struct vmo *v = NULL, *c = NULL;
	struct vmo_info vi, ci;
	char out[2048], want[96];

	ASSERT_OK(vmo_create(3 * PAGE_SIZE, 0, "shell-test", &v));
	ASSERT_OK(vmo_commit(v, 0, 2 * PAGE_SIZE));
	ASSERT_OK(vmo_clone(v, 0, PAGE_SIZE, "shell-clone", &c));
	vmo_info(v, &vi);
	vmo_info(c, &ci);
	EXPECT_OK(exec_captured("vmos", out, sizeof(out)));
	snprintf(want, sizeof(want), "  %4u %-23s %10llu KiB %8llu pages", vi.id, "shell-test",
	         3ull * PAGE_SIZE >> 10, (unsigned long long)vi.committed);
	EXPECT_NOT_NULL(strstr(out, want));
	snprintf(want, sizeof(want), "clone %u", vi.id);
	EXPECT_NOT_NULL(strstr(out, want));
	EXPECT_NOT_NULL(strstr(out, "shell-clone"));
	vmo_put(c);
	vmo_put(v);
	EXPECT_OK(exec_captured("vmos", out, sizeof(out)));
	EXPECT_NULL(strstr(out, "shell-test"));
}

static void test_ktest_takes_arguments(void)
{
	char out[256];

	EXPECT_EQ(exec_captured("ktest no_such_suite", out, sizeof(out)), E_INVAL);
	EXPECT_STREQ(out, "ktest: no suite named 'no_such_suite' (see `ktest list`)\n");
}

static void test_empty_line_is_ok(void)
{
	char line[] = "   ";

	EXPECT_OK(shell_exec(line));
}

KTEST_SUITE(shell,
	KTEST_CASE(test_readline_plain),
	KTEST_CASE(test_readline_backspace_and_delete),
	KTEST_CASE(test_readline_backspace_at_start_ignored),
	KTEST_CASE(test_readline_full_line_fits),
	KTEST_CASE(test_readline_too_long_refused),
	KTEST_CASE(test_readline_too_long_then_erased),
	KTEST_CASE(test_readline_swallows_escape_sequences),
	KTEST_CASE(test_readline_escape_ends_cleanly),
	KTEST_CASE(test_readline_eof),
	KTEST_CASE(test_unknown_command),
	KTEST_CASE(test_help_lists_commands),
	KTEST_CASE(test_meminfo_refuses_arguments),
	KTEST_CASE(test_commands_without_arguments_refuse_them),
	KTEST_CASE(test_ktest_takes_arguments),
	KTEST_CASE(test_empty_line_is_ok),
	KTEST_CASE(test_vmos_lists_live_objects));

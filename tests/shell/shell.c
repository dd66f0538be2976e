/* The shell's line editor and command dispatch, with scripted input. */
#include <string.h>
#include <drivers/console.h>
#include <lib/err.h>
#include <lib/ktest.h>
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

static void test_readline_bounded(void)
{
	char line[4], echo[64];

	EXPECT_EQ(read_scripted("abcdef\r", line, sizeof(line), echo, sizeof(echo)), 3);
	EXPECT_STREQ(line, "abc");
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

static void test_empty_line_is_ok(void)
{
	char line[] = "   ";

	EXPECT_OK(shell_exec(line));
}

KTEST_SUITE(shell,
	KTEST_CASE(test_readline_plain),
	KTEST_CASE(test_readline_backspace_and_delete),
	KTEST_CASE(test_readline_backspace_at_start_ignored),
	KTEST_CASE(test_readline_bounded),
	KTEST_CASE(test_readline_eof),
	KTEST_CASE(test_unknown_command),
	KTEST_CASE(test_help_lists_commands),
	KTEST_CASE(test_empty_line_is_ok));

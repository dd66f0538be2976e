/*
 * The serial shell.  Commands register themselves from their own files:
 *
 *	static int cmd_hello(int argc, char **argv) { ... return 0; }
 *	SHELL_CMD(hello, "say hello", cmd_hello);
 *
 * A command registered with SHELL_CMD takes no arguments: the shell
 * refuses any with its usage line and does not run it.  One registered
 * with SHELL_CMD_ARGS gets them all and checks them itself.
 */
#ifndef SHELL_SHELL_H
#define SHELL_SHELL_H

#include <stddef.h>

struct shell_cmd {
	const char *name;
	const char *help;
	int (*fn)(int argc, char **argv);
	int takes_args;          /* 0: the shell refuses arguments */
};

#define SHELL_CMD_(cname, chelp, cfn, cargs)                                \
	static const struct shell_cmd shell_cmd_##cname                         \
		__attribute__((used, section("shell_cmds"), aligned(8))) =          \
		{ #cname, chelp, cfn, cargs }
#define SHELL_CMD(cname, chelp, cfn) SHELL_CMD_(cname, chelp, cfn, 0)
#define SHELL_CMD_ARGS(cname, chelp, cfn) SHELL_CMD_(cname, chelp, cfn, 1)

/* Read commands from the console and run them, forever. */
void shell_run(void) __attribute__((noreturn));

/*
 * Read one line with echo and editing (backspace/delete) from @next_char into
 * @buf (at most @size - 1 characters).  Escape sequences (arrow and
 * function keys: ESC [ ... final byte, ESC O x) are swallowed, other
 * control characters ignored.  Returns its length; E_RANGE when the line
 * was longer than @size - 1 (reported, and @buf left empty: a cut line is
 * not what was typed); or -1 when @next_char ran dry (returned < 0)
 * before the end of the line.
 */
int shell_readline(int (*next_char)(void *ctx), void *ctx, char *buf, size_t size);

/*
 * Split @line into words and run the command they name.  Returns the
 * command's status, E_NOENT for an unknown command (reported), or E_OK
 * for an empty line.  @line is modified.
 */
int shell_exec(char *line);

#endif

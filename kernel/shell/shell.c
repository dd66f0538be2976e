/* The serial shell (see kernel/shell/shell.h). */
#include <stdio.h>
#include <string.h>
#include <drivers/console.h>
#include <lib/err.h>
#include <lib/ktest.h>
#include <drivers/power.h>
#include <shell/shell.h>

extern const struct shell_cmd __start_shell_cmds[], __stop_shell_cmds[];

#define LINE_MAX_ 128
#define ARGS_MAX 16

int shell_readline(int (*next_char)(void *ctx), void *ctx, char *buf, size_t size)
{
	size_t len = 0;   /* characters on the line, kept in @buf or not */
	enum { PLAIN, ESC, CSI, SS3 } seq = PLAIN;

	for (;;) {
		int c = next_char(ctx);

		if (c < 0)
			return -1;
		/* Escape sequences (ECMA-48 5.3, 5.4), as arrow and function
		 * keys send them: ESC [ <parameter and intermediate bytes
		 * 0x20-0x3f> <final byte 0x40-0x7e>, or ESC O <one character>.
		 * A byte that cannot belong to the sequence ends it and is read
		 * as usual; so is the one after a lone ESC. */
		if (seq == ESC) {
			seq = c == '[' ? CSI : c == 'O' ? SS3 : PLAIN;
			if (seq != PLAIN)
				continue;
		} else if (seq == CSI) {
			if (c >= 0x20 && c <= 0x3f)
				continue;
			seq = PLAIN;
			if (c >= 0x40 && c <= 0x7e)
				continue;
		} else if (seq == SS3) {
			seq = PLAIN;
			if (c >= 0x20 && c <= 0x7e)
				continue;
		}
		if (c == 0x1b) {
			seq = ESC;
			continue;
		}
		if (c == '\r' || c == '\n') {
			printf("\n");
			if (len >= size) {
				printf("line too long (at most %zu characters); ignored\n", size - 1);
				buf[0] = '\0';
				return E_RANGE;
			}
			buf[len] = '\0';
			return (int)len;
		}
		if (c == '\b' || c == 0x7f) {
			if (len) {
				len--;
				printf("\b \b");
			}
		} else if (c >= ' ' && c < 0x7f) {
			/* Past the end: echoed and counted, so the line on the
			 * screen is the one refused at its end. */
			if (len + 1 < size)
				buf[len] = (char)c;
			len++;
			putchar(c);
		}
		fflush(stdout);
	}
}

int shell_exec(char *line)
{
	char *argv[ARGS_MAX + 1];
	int argc = 0;

	for (char *p = strtok(line, " \t"); p; p = strtok(NULL, " \t")) {
		if (argc == ARGS_MAX) {
			printf("too many arguments (at most %d)\n", ARGS_MAX);
			return E_INVAL;
		}
		argv[argc++] = p;
	}
	argv[argc] = NULL;
	if (!argc)
		return E_OK;
	for (const struct shell_cmd *c = __start_shell_cmds; c < __stop_shell_cmds; c++) {
		if (strcmp(c->name, argv[0]))
			continue;
		if (argc > 1 && !c->takes_args) {
			printf("usage: %s (takes no arguments)\n", c->name);
			return E_INVAL;
		}
		return c->fn(argc, argv);
	}
	printf("%s: unknown command (try `help`)\n", argv[0]);
	return E_NOENT;
}

static int console_getc_blocking(void *ctx)
{
	(void)ctx;
	return getchar();
}

void shell_run(void)
{
	char line[LINE_MAX_];

	printf("Type `help` for the list of commands.\n");
	for (;;) {
		printf("> ");
		fflush(stdout);
		if (shell_readline(console_getc_blocking, NULL, line, sizeof(line)) >= 0)
			shell_exec(line);
	}
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	for (const struct shell_cmd *c = __start_shell_cmds; c < __stop_shell_cmds; c++)
		printf("  %-10s %s\n", c->name, c->help);
	return E_OK;
}
SHELL_CMD(help, "list the commands", cmd_help);

static int cmd_ktest(int argc, char **argv)
{
	char spec[LINE_MAX_] = "";

	if (argc == 2 && !strcmp(argv[1], "list")) {
		ktest_list();
		return E_OK;
	}
	for (int i = 1; i < argc; i++) {
		if (i > 1)
			strncat(spec, ",", sizeof(spec) - strlen(spec) - 1);
		strncat(spec, argv[i], sizeof(spec) - strlen(spec) - 1);
	}
	return ktest_run(argc > 1 ? spec : "all") ? E_INVAL : E_OK;
}
SHELL_CMD_ARGS(ktest, "ktest [list | suite...]: run self-tests (all by default)", cmd_ktest);

static int cmd_poweroff(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	power_off(POWER_SUCCESS);
}
SHELL_CMD(poweroff, "power the machine off", cmd_poweroff);

static int cmd_reboot(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	power_reboot();
}
SHELL_CMD(reboot, "reset the machine", cmd_reboot);

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
	size_t len = 0;

	for (;;) {
		int c = next_char(ctx);

		if (c < 0)
			return -1;
		if (c == '\r' || c == '\n') {
			printf("\n");
			buf[len] = '\0';
			return (int)len;
		}
		if (c == '\b' || c == 0x7f) {
			if (len) {
				len--;
				printf("\b \b");
			}
		} else if (c >= ' ' && c < 0x7f && len + 1 < size) {
			buf[len++] = (char)c;
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
	for (const struct shell_cmd *c = __start_shell_cmds; c < __stop_shell_cmds; c++)
		if (!strcmp(c->name, argv[0]))
			return c->fn(argc, argv);
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
SHELL_CMD(ktest, "ktest [list | suite...]: run self-tests (all by default)", cmd_ktest);

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

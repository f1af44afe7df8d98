/*
 * deliver_driver - runs one delivery for tests/integration/deliver.sh
 *
 * SYNOPSIS
 *	deliver_driver sendmail COMMAND MSGFILE TIMEOUT
 *	deliver_driver smtp HOSTPORT HELO FROM TO MSGFILE TIMEOUT
 *
 * DESCRIPTION
 *	Reads the message from MSGFILE, delivers it, and prints one line:
 *	"status=ok|tempfail|permfail secs=N children=none|left err=...".
 *	secs is the whole seconds the call took (the script checks that a
 *	timeout is kept); children says whether any child process of ours
 *	is left, reaped or not (a zombie is a child too). SIGPIPE keeps its
 *	default action, as in a caller that never thought of it: a write to
 *	a command that stopped reading must not kill us.
 *
 * EXIT STATUS
 *	0 after a delivery whatever its status, 2 on bad usage or input.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/wait.h>

#include "report/deliver.h"
#include "util/clock.h"
#include "util/strbuf.h"

static const char *status_name(enum deliver_status st)
{
	switch (st) {
	case DELIVER_OK:
		return "ok";
	case DELIVER_TEMPFAIL:
		return "tempfail";
	case DELIVER_PERMFAIL:
		return "permfail";
	}
	return "unknown";
}

static int read_file(const char *path, struct strbuf *sb)
{
	FILE *f = fopen(path, "rb");
	char buf[65536];
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "deliver_driver: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(sb, buf, n);
	fclose(f);
	return 0;
}

/* Whether a child of ours is still there, exited or not. */
static bool children_left(void)
{
	return waitpid(-1, NULL, WNOHANG) >= 0 || errno != ECHILD;
}

int main(int argc, char **argv)
{
	struct strbuf msg = STRBUF_INIT;
	struct am_err err = {""};
	enum deliver_status st;
	double t0;

	signal(SIGPIPE, SIG_DFL);
	deliver_init();
	if (argc == 5 && strcmp(argv[1], "sendmail") == 0) {
		if (read_file(argv[3], &msg) != 0)
			return 2;
		t0 = clock_now();
		st = deliver_sendmail(argv[2], strbuf_str(&msg), msg.len,
				      (unsigned)strtoul(argv[4], NULL, 10), &err);
	} else if (argc == 8 && strcmp(argv[1], "smtp") == 0) {
		if (read_file(argv[6], &msg) != 0)
			return 2;
		t0 = clock_now();
		st = deliver_smtp(argv[2], argv[3], argv[4], argv[5], strbuf_str(&msg), msg.len,
				  (unsigned)strtoul(argv[7], NULL, 10), &err);
	} else {
		fprintf(stderr,
			"usage: deliver_driver sendmail COMMAND MSGFILE TIMEOUT\n"
			"       deliver_driver smtp HOSTPORT HELO FROM TO MSGFILE TIMEOUT\n");
		return 2;
	}
	printf("status=%s secs=%d children=%s err=%s\n", status_name(st), (int)(clock_now() - t0),
	       children_left() ? "left" : "none", err.msg);
	strbuf_free(&msg);
	return 0;
}

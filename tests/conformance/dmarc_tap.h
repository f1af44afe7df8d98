/*
 * dmarc_tap - small TAP and TSV helpers shared by the dmarc/psl conformance
 * runners (header-only; each runner is one program)
 *
 *	tap_line(ok, todo, fmt, ...)  prints "ok N - ..." / "not ok N - ...",
 *	                              with " # TODO todo" when todo is not NULL
 *	tsv_split(line, f, max)       splits a line in place at tabs
 *	conformance_path(rel)         $CONFORMANCE_DIR/rel, or NULL (and the
 *	                              TAP skip plan printed) when absent
 */
#ifndef DMARC_TAP_H
#define DMARC_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int tap_n, tap_failed;
static char tap_buf[4096]; /* TAP lines are buffered until the plan is known */
static char *tap_out;
static size_t tap_len, tap_cap;

__attribute__((unused)) static void tap_emit(const char *s)
{
	size_t n = strlen(s);

	if (tap_len + n + 1 > tap_cap) {
		tap_cap = (tap_len + n + 1) * 2;
		tap_out = realloc(tap_out, tap_cap);
		if (tap_out == NULL)
			abort();
	}
	memcpy(tap_out + tap_len, s, n + 1);
	tap_len += n;
}

/* todo: NULL, or the reason of a TODO; a reason starting with "SKIP " makes
 * it a SKIP directive instead. */
__attribute__((format(printf, 3, 4), unused)) static void tap_line(int ok, const char *todo,
								   const char *fmt, ...)
{
	va_list ap;
	char *p;

	tap_n++;
	snprintf(tap_buf, sizeof(tap_buf), "%sok %d - ", ok ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vsnprintf(tap_buf + strlen(tap_buf), sizeof(tap_buf) - strlen(tap_buf), fmt, ap);
	va_end(ap);
	for (p = tap_buf; *p; p++)
		if (*p == '\n' || *p == '#')
			*p = *p == '#' ? '%' : ' ';
	if (todo != NULL)
		snprintf(tap_buf + strlen(tap_buf), sizeof(tap_buf) - strlen(tap_buf), " # %s%s",
			 strncmp(todo, "SKIP ", 5) ? "TODO " : "", todo);
	tap_emit(tap_buf);
	tap_emit("\n");
	if (!ok && (todo == NULL || !strncmp(todo, "SKIP ", 5)))
		tap_failed++;
}

__attribute__((format(printf, 1, 2), unused)) static void tap_diag(const char *fmt, ...)
{
	va_list ap;

	tap_emit("# ");
	va_start(ap, fmt);
	vsnprintf(tap_buf, sizeof(tap_buf), fmt, ap);
	va_end(ap);
	tap_emit(tap_buf);
	tap_emit("\n");
}

__attribute__((unused)) static int tap_done(void)
{
	printf("1..%d\n%s", tap_n, tap_out ? tap_out : "");
	free(tap_out);
	return tap_failed ? 1 : 0;
}

__attribute__((unused)) static size_t tsv_split(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *p = line;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < max) {
		f[n++] = p;
		p = strchr(p, '\t');
		if (p == NULL)
			break;
		*p++ = '\0';
	}
	return n;
}

__attribute__((unused)) static char *conformance_path(const char *rel)
{
	const char *dir = getenv("CONFORMANCE_DIR");
	char *path;

	if (dir == NULL || *dir == '\0')
		dir = "../shared/conformance";
	path = malloc(strlen(dir) + strlen(rel) + 2);
	if (path == NULL)
		abort();
	sprintf(path, "%s/%s", dir, rel);
	if (access(path, R_OK) != 0) {
		printf("1..0 # SKIP skipped: conformance data not found (%s)\n", path);
		free(path);
		return NULL;
	}
	return path;
}

#endif

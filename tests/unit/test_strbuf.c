/*
 * test_strbuf - the growable string: appends of every kind keep the
 * bytes and the NUL, growth keeps what was there, and a length that would
 * overflow size_t is fatal like a failed allocation (checked in a child
 * process, which must die with xalloc's message rather than return,
 * crash elsewhere or loop)
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/strbuf.h"

static void assert_sb(const struct strbuf *sb, const char *want, size_t want_len)
{
	assert_int_equal(sb->len, want_len);
	assert_true(sb->cap > sb->len);
	assert_memory_equal(sb->s, want, want_len);
	assert_int_equal(sb->s[sb->len], '\0');
}

/* One append per row, on the same buffer; the whole content after each. */
static void test_appends(void **state)
{
	static const struct {
		char kind; /* 'b' bytes, 's' string, 'c' char, 'f' "%s-%d" */
		const char *arg;
		size_t n; /* 'b': bytes of arg; 'f': the number */
		const char *want;
		size_t want_len;
	} rows[] = {
	    {'s', "", 0, "", 0},
	    {'s', "abc", 0, "abc", 3},
	    {'c', "d", 0, "abcd", 4},
	    {'b', "e\0f", 3, "abcde\0f", 7},
	    {'b', "ignored", 0, "abcde\0f", 7},
	    {'f', "x", 42, "abcde\0fx-42", 11},
	    {'f', "", 0, "abcde\0fx-42-0", 13},
	};
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	assert_string_equal(strbuf_str(&sb), "");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		switch (rows[i].kind) {
		case 'b':
			strbuf_add(&sb, rows[i].arg, rows[i].n);
			break;
		case 's':
			strbuf_adds(&sb, rows[i].arg);
			break;
		case 'c':
			strbuf_addc(&sb, rows[i].arg[0]);
			break;
		default:
			strbuf_addf(&sb, "%s-%d", rows[i].arg, (int)rows[i].n);
			break;
		}
		assert_sb(&sb, rows[i].want, rows[i].want_len);
	}
	strbuf_reset(&sb);
	assert_sb(&sb, "", 0);
	assert_string_equal(strbuf_str(&sb), "");
	strbuf_free(&sb);
	assert_null(sb.s);
	strbuf_free(&sb); /* twice is harmless */
}

/* Growth from empty past many doublings keeps every byte. */
static void test_growth(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	char *want = malloc(200001);
	size_t i;

	assert_non_null(want);
	for (i = 0; i < 200000; i++) {
		want[i] = (char)('a' + i % 26);
		strbuf_addc(&sb, want[i]);
	}
	want[i] = '\0';
	assert_sb(&sb, want, 200000);
	strbuf_reset(&sb);
	strbuf_addf(&sb, "%s", want); /* one formatted append of all of it */
	assert_sb(&sb, want, 200000);
	free(want);
	strbuf_free(&sb);
}

static void test_detach(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	char *s = strbuf_detach(&sb);

	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	strbuf_adds(&sb, "kept");
	s = strbuf_detach(&sb);
	assert_string_equal(s, "kept");
	assert_null(sb.s);
	assert_int_equal(sb.len, 0);
	assert_int_equal(sb.cap, 0);
	free(s);
}

/* Runs fn in a child whose stderr is collected; the child must be killed
 * by SIGABRT (xalloc's fatal path) after printing xalloc's message. A
 * child that returns, crashes with another signal (a wrapped size let
 * through to memcpy) or loops (alarm) fails the test. */
static void expect_fatal(void (*fn)(void))
{
	char out[512];
	size_t len = 0;
	ssize_t n;
	int pfd[2], status;
	pid_t pid;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static const int sigs[] = {SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGALRM};
		struct rlimit nocore = {0, 0};
		size_t i;

		for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], SIG_DFL); /* not cmocka's handlers */
		(void)setrlimit(RLIMIT_CORE, &nocore);
		close(pfd[0]);
		dup2(pfd[1], STDERR_FILENO);
		alarm(10);
		fn();
		_exit(0);
	}
	close(pfd[1]);
	while (len < sizeof(out) - 1 && (n = read(pfd[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status))
		fail_msg("the child returned (exit %d) instead of dying; stderr: \"%s\"",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1, out);
	assert_int_equal(WTERMSIG(status), SIGABRT);
	if (strstr(out, "authmilter: out of memory (") == NULL)
		fail_msg("no out-of-memory message; stderr: \"%s\"", out);
}

/* len + n + 1 wraps around to a small number. */
static void add_wrapping_sum(void)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_adds(&sb, "0123456789");
	strbuf_add(&sb, "x", SIZE_MAX - 5);
}

/* len + n + 1 fits, but doubling the capacity up to it wraps to 0. */
static void add_wrapping_doubling(void)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addc(&sb, 'x');
	strbuf_add(&sb, "x", SIZE_MAX / 2 + 2);
}

static void test_overflow_sum(void **state)
{
	expect_fatal(add_wrapping_sum);
}

static void test_overflow_doubling(void **state)
{
	expect_fatal(add_wrapping_doubling);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_appends),
	    cmocka_unit_test(test_growth),
	    cmocka_unit_test(test_detach),
	    cmocka_unit_test(test_overflow_sum),
	    cmocka_unit_test(test_overflow_doubling),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

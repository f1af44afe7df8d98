/*
 * fuzz - what the libFuzzer targets in tests/fuzz share
 *
 * DESCRIPTION
 *	Every fuzz_*.c defines LLVMFuzzerTestOneInput(). Built with clang and
 *	-fsanitize=fuzzer,address,undefined (tests/fuzz/run.sh) it is a
 *	libFuzzer binary; built with the normal compiler and replay_main.c it
 *	replays saved inputs (tests/fuzz/replay.sh, part of make check).
 *
 *	FUZZ_CHECK() states an invariant: when it does not hold, the input and
 *	what was wrong are printed and the process aborts, which libFuzzer and
 *	the replay driver both report as a crash.
 *
 *	struct fuzz_in reads structured values from the input: a byte, or a
 *	string of a length chosen by the input. Past the end it gives zeros
 *	and empty strings, so every input is a valid case.
 */
#ifndef AM_FUZZ_H
#define AM_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                                \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "%s:%d: invariant failed: %s: ", __FILE__, __LINE__, \
				#cond);                                                      \
			fprintf(stderr, __VA_ARGS__);                                        \
			fputc('\n', stderr);                                                 \
			abort();                                                             \
		}                                                                            \
	} while (0)

struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

static inline unsigned fuzz_byte(struct fuzz_in *in)
{
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->p++;
}

/* A new NUL-terminated string of up to max bytes (length from the input;
 * bytes after a NUL in it are simply not seen by C-string consumers). */
static inline char *fuzz_string(struct fuzz_in *in, size_t max)
{
	size_t n = fuzz_byte(in);
	char *s;

	if (max > 255)
		n = n * 8 + (fuzz_byte(in) & 7);
	if (n > max)
		n = max;
	if (n > in->left)
		n = in->left;
	s = malloc(n + 1);
	if (s == NULL)
		abort();
	memcpy(s, in->p, n);
	s[n] = '\0';
	in->p += n;
	in->left -= n;
	return s;
}

/* data[0..size) as a new NUL-terminated string. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif

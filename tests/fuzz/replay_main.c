/*
 * replay_main - runs saved inputs through a fuzz target without libFuzzer
 *
 * SYNOPSIS
 *	replay_TARGET FILE...
 *
 * DESCRIPTION
 *	Linked with one fuzz_*.c by the normal build (no sanitizers needed),
 *	so inputs that once crashed a target keep being run by make check
 *	(tests/fuzz/replay.sh). Each file is read whole and passed to
 *	LLVMFuzzerTestOneInput() once. A failed invariant aborts (the test
 *	sees the signal); an unreadable file is exit status 2. Prints
 *	"replayed N" at the end.
 */
#include "config.h"

#include <errno.h>

#include "fuzz.h"

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			if (buf == NULL)
				abort();
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	/* An exact-size copy, so reads past the input are caught by ASan
	 * or valgrind when the replay runs under them. */
	{
		unsigned char *in = malloc(len ? len : 1);

		if (in == NULL)
			abort();
		memcpy(in, buf, len);
		free(buf);
		(void)LLVMFuzzerTestOneInput(in, len);
		free(in);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (replay_file(argv[i]) != 0)
			return 2;
	printf("replayed %d\n", argc - 1);
	return 0;
}

/*
 * dkim_bodylen_driver - the canonical body lengths of a body on stdin
 *
 * SYNOPSIS
 *	dkim_bodylen_driver [SEED] < body
 *
 * DESCRIPTION
 *	Reads the body (CRLF line ends, any bytes) from stdin in chunks of
 *	pseudo-random sizes from 1 to 16 bytes, chosen from SEED (default 1),
 *	feeds each to dkimv_bodylen_feed() and prints
 *	  <simple length> SP <relaxed length> LF
 *	Used by dkim_bodylen.sh against dkimpy's canonicalization.
 *	Exit 0, or 2 on a usage or read error.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "engine/dkim_internal.h"

#define CHUNK_MAX 16

int main(int argc, char **argv)
{
	unsigned char buf[CHUNK_MAX];
	struct dkimv_bodylen st = {0};
	unsigned long seed = 1;
	size_t want, n;

	if (argc > 2) {
		fprintf(stderr, "usage: dkim_bodylen_driver [SEED] < body\n");
		return 2;
	}
	if (argc == 2)
		seed = strtoul(argv[1], NULL, 10);
	for (;;) {
		seed = seed * 1103515245UL + 12345UL; /* any cheap PRNG will do */
		want = 1 + (size_t)((seed >> 16) % CHUNK_MAX);
		n = fread(buf, 1, want, stdin);
		dkimv_bodylen_feed(&st, buf, n);
		if (n < want)
			break;
	}
	if (ferror(stdin)) {
		fprintf(stderr, "dkim_bodylen_driver: read error\n");
		return 2;
	}
	printf("%llu %llu\n", dkimv_bodylen_simple(&st), dkimv_bodylen_relaxed(&st));
	return 0;
}

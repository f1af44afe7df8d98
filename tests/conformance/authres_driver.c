/*
 * authres_driver - feed Authentication-Results field bodies to authres
 *
 * SYNOPSIS
 *	printf 'value1\0value2\0' | authres_driver
 *
 * DESCRIPTION
 *	Reads NUL-terminated field bodies from stdin and prints, for each,
 *	one line: "<valid> <id>", where valid is 1 or 0 (authres_valid()) and
 *	id is the hex of authres_read_authserv_id() or "-" for NULL. Used by
 *	authres_vectors.py, which holds the expectations.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "engine/authres.h"

int main(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getdelim(&line, &cap, '\0', stdin)) > 0) {
		char *id;
		const char *p;

		if (line[n - 1] != '\0')
			break; /* a last record without its NUL is ignored */
		id = authres_read_authserv_id(line);
		printf("%d ", authres_valid(line) ? 1 : 0);
		if (!id)
			putchar('-');
		for (p = id; p && *p; p++)
			printf("%02x", (unsigned char)*p);
		putchar('\n');
		free(id);
	}
	free(line);
	return ferror(stdin) || fflush(stdout) != 0 ? 1 : 0;
}

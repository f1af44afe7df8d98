/*
 * fuzz_authres_id - Authentication-Results reading (src/engine/authres_parse.c)
 *
 * DESCRIPTION
 *	The input, up to its first NUL, is an incoming A-R field body; what
 *	follows the NUL is a configured authserv-id. Runs
 *	authres_read_authserv_id(), authres_valid() and authres_id_equal() and
 *	checks: a valid field body has an authserv-id (unless it is ""); an id
 *	read is non-empty
 *	and equals itself, itself in upper case and itself with a trailing
 *	dot; authres_id_equal() is symmetric and NULL equals nothing.
 */
#include "config.h"

#include <ctype.h>

#include "engine/authres.h"
#include "fuzz.h"

static void check_id(const char *id)
{
	size_t len = strlen(id), i;
	char *up = malloc(len + 2);

	FUZZ_CHECK(len > 0, "empty authserv-id");
	FUZZ_CHECK(authres_id_equal(id, id), "\"%s\" != itself", id);
	for (i = 0; i < len; i++)
		up[i] = (char)toupper((unsigned char)id[i]);
	up[len] = '\0';
	FUZZ_CHECK(authres_id_equal(id, up), "\"%s\" != \"%s\"", id, up);
	if (id[len - 1] != '.') {
		up[len] = '.';
		up[len + 1] = '\0';
		FUZZ_CHECK(authres_id_equal(id, up), "\"%s\" != \"%s\"", id, up);
	}
	FUZZ_CHECK(!authres_id_equal(id, NULL) && !authres_id_equal(NULL, id), "NULL equals \"%s\"",
		   id);
	free(up);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *value = fuzz_cstr(data, size);
	size_t vlen = strlen(value);
	const char *other = vlen < size ? value + vlen + 1 : "";
	char *id = authres_read_authserv_id(value);
	bool valid = authres_valid(value);
	bool ab, ba;

	/* The one valid authserv-id the reader refuses is the empty
	 * quoted-string "" (no configured id can be empty). */
	if (valid && id == NULL)
		FUZZ_CHECK(strstr(value, "\"\"") != NULL,
			   "valid field body without an authserv-id");
	if (id != NULL)
		check_id(id);
	ab = authres_id_equal(id, other);
	ba = authres_id_equal(other, id);
	FUZZ_CHECK(ab == ba, "authres_id_equal not symmetric for \"%s\" and \"%s\"",
		   id ? id : "(null)", other);
	(void)authres_id_equal(value, other);
	free(id);
	free(value);
	return 0;
}

/*
 * fuzz_config - the configuration reader (src/config/config.c over libconfig)
 *
 * DESCRIPTION
 *	The input (up to its first NUL) is a configuration file's text. It is
 *	given to config_parse(); an error is fine, a crash, a leak or a
 *	config that breaks its own limits is not: a loaded config must have
 *	an authserv-id, a DNS timeout in 0.05..30 s and the reference count 1.
 */
#include "config.h"

#include "config/config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	struct am_err err;
	struct config *cfg;

	err.msg[0] = '\0';
	cfg = config_parse(text, "fuzz.conf", &err);
	if (cfg != NULL) {
		FUZZ_CHECK(cfg->authserv_id != NULL, "no authserv_id");
		FUZZ_CHECK(cfg->dns_timeout >= 0.05 && cfg->dns_timeout <= 30.0, "timeout %g",
			   cfg->dns_timeout);
		FUZZ_CHECK(cfg->refs == 1, "refs %d", cfg->refs);
		config_unref(config_ref(cfg));
		config_unref(cfg);
	} else {
		FUZZ_CHECK(err.msg[0] != '\0', "failed without a message");
	}
	free(text);
	return 0;
}

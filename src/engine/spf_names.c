/*
 * spf_names - the names of SPF results (see spf.h)
 *
 * In a file of its own, so that users of the names (the DMARC reasons, the
 * Authentication-Results writer) do not pull in the evaluator and the
 * resolver when they are linked alone (unit tests with a canned resolver).
 */
#include "config.h"

#include "engine/spf.h"

const char *spf_result_name(enum spf_result res)
{
	static const char *const names[] = {"none",	"neutral",   "pass",	 "fail",
					    "softfail", "temperror", "permerror"};

	return (unsigned)res < sizeof(names) / sizeof(names[0]) ? names[res] : "unknown";
}

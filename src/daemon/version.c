/*
 * version - authmilter's version and those of its libraries (see version.h)
 */
#include "config.h"

#include <stdint.h>

#include <libconfig.h>
#include <libpsl.h>
#include <opendkim/dkim.h>
#include <unbound.h>

#include "daemon/version.h"
#include "milter/mproto.h"

void version_print(FILE *fp)
{
	uint32_t dk = dkim_libversion();

	fprintf(fp, "authmilter %s\n", PACKAGE_VERSION);
	fprintf(fp, "milter protocol %d\n", MPROTO_VERSION);
	fprintf(fp, "libopendkim %u.%u.%u\n", (dk >> 24) & 0xff, (dk >> 16) & 0xff,
		(dk >> 8) & 0xff);
	fprintf(fp, "libunbound %s\n", ub_version());
	fprintf(fp, "libpsl %s\n", psl_get_version());
	fprintf(fp, "libconfig %d.%d.%d\n", LIBCONFIG_VER_MAJOR, LIBCONFIG_VER_MINOR,
		LIBCONFIG_VER_REVISION);
}

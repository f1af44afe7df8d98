/*
 * err - an error message a library function fills for its caller
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "util/err.h"

void am_err_set(struct am_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

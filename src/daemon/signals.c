/*
 * signals - SIGHUP reloads, SIGTERM and SIGINT stop gracefully
 * (see signals.h for why this file defines sigwait())
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>

#include "daemon/signals.h"

static void (*reload_hook)(void);

void signals_set_reload(void (*hook)(void))
{
	reload_hook = hook;
}

int sigwait(const sigset_t *set, int *sig)
{
	for (;;) {
		int s = sigwaitinfo(set, NULL);

		if (s < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (s == SIGHUP && reload_hook != NULL) {
			reload_hook();
			continue;
		}
		*sig = s == SIGINT ? SIGTERM : s;
		return 0;
	}
}

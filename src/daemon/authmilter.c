/*
 * authmilter - the milter daemon: SPF, DKIM and DMARC for inbound mail
 *
 * SYNOPSIS
 *	authmilter [-c FILE] [-f] [-n] [-V]
 *
 * DESCRIPTION
 *	Loads the configuration (default AM_DEFAULT_CONFIG), opens the milter
 *	socket, drops to the configured user and serves the MTA, one thread
 *	per milter connection (src/daemon/mserver, src/milter/mproto); this
 *	thread only waits for signals. -f stays in the foreground
 *	and logs to stderr too; -n checks the configuration and exits; -V
 *	prints the versions of authmilter and its libraries.
 *	SIGHUP reloads the configuration (an invalid file is logged and the
 *	running one kept); SIGTERM and SIGINT stop accepting connections, wait
 *	up to shutdown_timeout seconds for messages in progress, and exit 0.
 *
 * DIAGNOSTICS
 *	Exit 0 after a clean stop or a valid -n check, 1 when the daemon cannot
 *	start, 2 for usage errors and invalid configuration.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/log.h"
#include "daemon/milter.h"
#include "daemon/mserver.h"
#include "daemon/privs.h"
#include "daemon/recorder.h"
#include "daemon/version.h"
#include "util/clock.h"
#include "util/xalloc.h"

static const char *config_file = AM_DEFAULT_CONFIG;
static struct config *running; /* the configuration the daemon started with */

static void usage(void)
{
	fprintf(stderr, "usage: authmilter [-c FILE] [-f] [-n] [-V]\n");
}

/* An engine for cfg, with the public suffix list read afresh (the engine
 * reads no files): at start, and at every reload, so an updated list is
 * picked up by SIGHUP. */
static struct engine *daemon_engine(struct config *cfg, struct am_err *err)
{
	struct dmarc_ctx *psl = dmarc_ctx_new(AM_PSL_FILE, err);

	return psl != NULL ? engine_new(cfg, psl, err) : NULL;
}

/* SIGHUP: a new configuration for the messages that start from now. */
static void reload(void)
{
	struct am_err err = {""};
	struct config *cfg = config_load(config_file, &err);
	struct engine *eng;

	if (cfg == NULL) {
		log_msg(LOG_ERR, "reload=failed file=%s error=\"%s\" keeping=current", config_file,
			err.msg);
		return;
	}
	eng = daemon_engine(cfg, &err);
	if (eng == NULL) {
		log_msg(LOG_ERR, "reload=failed file=%s error=\"%s\" keeping=current", config_file,
			err.msg);
		config_unref(cfg);
		return;
	}
	if (strcmp(cfg->socket, running->socket) != 0 || strcmp(cfg->user, running->user) != 0 ||
	    strcmp(cfg->group, running->group) != 0)
		log_msg(LOG_WARNING,
			"reload: socket, user and group changes take effect at restart");
	if (cfg->reporting_enabled != running->reporting_enabled ||
	    strcmp(cfg->report_store, running->report_store) != 0 ||
	    cfg->report_queue != running->report_queue ||
	    strcmp(cfg->report_status_file, running->report_status_file) != 0)
		log_msg(LOG_WARNING, "reload: reporting.enabled, store, queue_size and status_file "
				     "changes take effect at restart");
	log_reconfigure(cfg->syslog_facility, cfg->debug);
	mserver_set_limits(cfg->max_connections);
	milter_set_engine(eng);
	engine_free(eng);
	log_msg(LOG_INFO, "reload=ok file=%s mode=%s", config_file,
		cfg->mode == MODE_MONITOR ? "monitor" : "enforce");
	config_unref(cfg);
}

/* Opens the socket and drops privileges; the listening descriptor or -1. */
static int start(const struct config *cfg, bool foreground, struct am_err *err)
{
	int fd;

	if (privs_prepare_socket(cfg, err) != 0 || (fd = mserver_listen(cfg->socket, err)) < 0)
		return -1;
	if (privs_socket_owner(cfg, err) != 0 || privs_drop(cfg, err) != 0) {
		close(fd);
		return -1;
	}
	if (!foreground && daemon(0, 0) != 0) {
		am_err_set(err, "cannot go to the background: %m");
		close(fd);
		return -1;
	}
	return fd;
}

/* Waits for signals: SIGHUP reloads, SIGTERM and SIGINT return. */
static void wait_signals(const sigset_t *set)
{
	for (;;) {
		int sig = sigwaitinfo(set, NULL);

		if (sig == SIGHUP)
			reload();
		else if (sig == SIGTERM || sig == SIGINT)
			return;
	}
}

static int serve(struct config *cfg, bool foreground)
{
	struct am_err err = {""};
	struct engine *eng;
	sigset_t set;
	unsigned left;
	unsigned long unwritten;
	double stop_at;
	int fd = -1;

	log_open("authmilter", cfg->syslog_facility, foreground, cfg->debug);
	/* Every thread started from here on inherits these blocked; only
	 * wait_signals() takes them. */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	eng = daemon_engine(cfg, &err);
	if (eng != NULL)
		fd = start(cfg, foreground, &err);
	if (eng != NULL && fd >= 0) {
		milter_set_engine(eng);
		mserver_set_limits(cfg->max_connections);
		/* the recorder opens its store as the unprivileged user */
		if (recorder_start(cfg, &err) != 0 ||
		    mserver_start(fd, &milter_callbacks, cfg->negotiate_timeout, cfg->idle_timeout,
				  &err) != 0)
			fd = -1;
	}
	engine_free(eng);
	if (fd < 0) {
		log_msg(LOG_ERR, "start=failed error=\"%s\"", err.msg);
		fprintf(stderr, "authmilter: %s\n", err.msg);
		return 1;
	}
	log_msg(LOG_INFO, "start version=%s socket=%s user=%s mode=%s config=%s", PACKAGE_VERSION,
		cfg->socket, cfg->user, cfg->mode == MODE_MONITOR ? "monitor" : "enforce",
		config_file);
	wait_signals(&set);
	stop_at = clock_now() + cfg->shutdown_timeout;
	mserver_stop();
	left = milter_wait_idle(cfg->shutdown_timeout);
	/* the queue gets what is left of shutdown_timeout, at least a second */
	unwritten =
	    recorder_stop((unsigned)(stop_at - clock_now() > 1 ? stop_at - clock_now() : 1));
	log_msg(left || unwritten ? LOG_WARNING : LOG_INFO,
		"stop connections_left=%u records_unwritten=%lu", left, unwritten);
	return 0;
}

int main(int argc, char **argv)
{
	struct am_err err = {""};
	bool foreground = false, check = false;
	int c, rc;

	while ((c = getopt(argc, argv, "c:fnVh")) != -1) {
		switch (c) {
		case 'c':
			config_file = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'n':
			check = true;
			break;
		case 'V':
			version_print(stdout);
			return 0;
		default:
			usage();
			return 2;
		}
	}
	if (optind != argc) {
		usage();
		return 2;
	}
	running = config_load(config_file, &err);
	if (running == NULL) {
		fprintf(stderr, "authmilter: %s\n", err.msg);
		return 2;
	}
	if (check) {
		printf("%s: configuration ok\n", config_file);
		config_unref(running);
		return 0;
	}
	rc = serve(running, foreground);
	config_unref(running);
	return rc;
}

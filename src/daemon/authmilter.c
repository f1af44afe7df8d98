/*
 * authmilter - the milter daemon: SPF, DKIM and DMARC for inbound mail
 *
 * SYNOPSIS
 *	authmilter [-c FILE] [-f] [-n] [-p] [-V]
 *
 * DESCRIPTION
 *	Loads the configuration (default AM_DEFAULT_CONFIG), opens the milter
 *	socket, drops to the configured user and serves the MTA, one thread
 *	per milter connection (src/daemon/mserver, src/milter/mproto); this
 *	thread only waits for signals. -f stays in the foreground
 *	and logs to stderr too; -n checks the configuration and exits; -p
 *	prints the effective configuration, every key with its value and
 *	whether that is the default (config_dump()), and exits; -V prints
 *	the versions of authmilter and its libraries.
 *	SIGHUP reloads the configuration (an invalid file is logged and the
 *	running one kept); SIGTERM and SIGINT stop accepting connections, wait
 *	up to shutdown_timeout seconds for messages in progress, and exit 0.
 *
 * DIAGNOSTICS
 *	Exit 0 after a clean stop or a valid -n or -p, 1 when the daemon cannot
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
#include "daemon/metrics.h"
#include "daemon/milter.h"
#include "daemon/mserver.h"
#include "daemon/privs.h"
#include "daemon/recorder.h"
#include "daemon/version.h"
#include "util/clock.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static const char *config_file = AM_DEFAULT_CONFIG;
static struct config *running; /* the configuration the daemon started with */

static void usage(void)
{
	fprintf(stderr, "usage: authmilter [-c FILE] [-f] [-n] [-p] [-V]\n");
}

/* An engine for cfg, with the public suffix list read afresh (the engine
 * reads no files): at start, and at every reload, so an updated list is
 * picked up by SIGHUP. */
static struct engine *daemon_engine(struct config *cfg, struct am_err *err)
{
	struct dmarc_ctx *psl = dmarc_ctx_new(AM_PSL_FILE, err);

	return psl != NULL ? engine_new(cfg, psl, err) : NULL;
}

/* Logs the keys that differ from the configuration the daemon started
 * with (running) and are read only at start, so a reload cannot apply
 * them. Turning reporting off applies at once (each message checks it);
 * turning it on needs the recorder, started at start. */
static void warn_restart_only(const struct config *cfg, const struct config *start)
{
	struct strbuf sb = STRBUF_INIT;

#define CHANGED_STR(f, name)                        \
	do {                                        \
		if (strcmp(cfg->f, start->f) != 0)  \
			strbuf_adds(&sb, " " name); \
	} while (0)
#define CHANGED_NUM(f, name)                        \
	do {                                        \
		if (cfg->f != start->f)             \
			strbuf_adds(&sb, " " name); \
	} while (0)
	CHANGED_STR(socket, "socket");
	CHANGED_NUM(socket_mode, "socket_mode");
	CHANGED_STR(user, "user");
	CHANGED_STR(group, "group");
	CHANGED_NUM(allow_root, "allow_root");
	CHANGED_NUM(shutdown_timeout, "shutdown_timeout");
	CHANGED_NUM(idle_timeout, "limits.idle_timeout");
	CHANGED_NUM(negotiate_timeout, "limits.negotiate_timeout");
	if (cfg->reporting_enabled && !start->reporting_enabled)
		strbuf_adds(&sb, " reporting.enabled");
	CHANGED_STR(report_store, "reporting.store");
	CHANGED_NUM(report_queue, "reporting.queue_size");
	CHANGED_STR(report_status_file, "reporting.status_file");
	CHANGED_STR(metrics_listen, "metrics.listen");
#undef CHANGED_STR
#undef CHANGED_NUM
	if (sb.len > 0)
		log_msg(LOG_WARNING, "reload restart_needed=\"%s\" (read only at start)",
			strbuf_str(&sb) + 1);
	strbuf_free(&sb);
}

/* SIGHUP: a new configuration for the messages that start from now. */
static void reload(void)
{
	struct am_err err = {""};
	struct config *cfg = config_load(config_file, &err);
	struct engine *eng;

	if (cfg == NULL) {
		metrics_event(METRIC_RELOAD_FAILED);
		log_msg(LOG_ERR, "reload=failed file=%s error=\"%s\" keeping=current", config_file,
			err.msg);
		return;
	}
	eng = daemon_engine(cfg, &err);
	if (eng == NULL) {
		metrics_event(METRIC_RELOAD_FAILED);
		log_msg(LOG_ERR, "reload=failed file=%s error=\"%s\" keeping=current", config_file,
			err.msg);
		config_unref(cfg);
		return;
	}
	warn_restart_only(cfg, running);
	log_reconfigure(cfg->syslog_facility, cfg->debug);
	mserver_set_limits(cfg->max_connections);
	milter_set_engine(eng);
	engine_free(eng);
	metrics_event(METRIC_RELOAD_OK);
	metrics_loaded();
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
		metrics_loaded();
		if (recorder_start(cfg, &err) != 0 ||
		    metrics_start(cfg->metrics_listen, &err) != 0 ||
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
	log_msg(LOG_INFO, "start version=%s socket=%s user=%s mode=%s config=%s metrics=%s",
		PACKAGE_VERSION, cfg->socket, cfg->user,
		cfg->mode == MODE_MONITOR ? "monitor" : "enforce", config_file,
		cfg->metrics_listen[0] != '\0' ? cfg->metrics_listen : "off");
	wait_signals(&set);
	stop_at = clock_now() + cfg->shutdown_timeout;
	mserver_stop();
	left = milter_wait_idle(cfg->shutdown_timeout);
	metrics_stop();
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
	bool foreground = false, check = false, print = false;
	int c, rc;

	while ((c = getopt(argc, argv, "c:fnpVh")) != -1) {
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
		case 'p':
			print = true;
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
	if (print) {
		config_dump(running, stdout);
		config_unref(running);
		return 0;
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

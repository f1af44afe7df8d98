/*
 * privs - the milter socket and the unprivileged user (see privs.h)
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/privs.h"
#include "util/xalloc.h"

/* The path of a "local:" or "unix:" socket, or NULL. */
static const char *socket_path(const char *spec)
{
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (spec[0] == '/')
		return spec;
	return NULL;
}

/* True when something accepts connections on the socket at path. */
static bool socket_in_use(const char *path)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	bool used;

	if (fd < 0)
		return false;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	used = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return used;
}

static int socket_dir(const struct config *cfg, const char *path, struct am_err *err)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	struct group *gr;
	int rc = 0;

	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0750) == 0) {
			gr = getuid() == 0 ? getgrnam(cfg->group) : NULL;
			if (gr != NULL && chown(dir, 0, gr->gr_gid) != 0)
				rc = -1;
		} else if (errno != EEXIST) {
			rc = -1;
		}
		if (rc != 0)
			am_err_set(err, "socket directory %s: %m", dir);
	}
	free(dir);
	return rc;
}

int privs_prepare_socket(const struct config *cfg, struct am_err *err)
{
	const char *path = socket_path(cfg->socket);
	struct stat st;

	if (path == NULL)
		return 0;
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		am_err_set(err, "socket path %s is too long", path);
		return -1;
	}
	if (socket_dir(cfg, path, err) != 0)
		return -1;
	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		am_err_set(err, "%s exists and is not a socket; not removing it", path);
		return -1;
	}
	if (socket_in_use(path)) {
		am_err_set(err, "%s is in use: is another authmilter running?", path);
		return -1;
	}
	if (unlink(path) != 0) {
		am_err_set(err, "cannot remove stale socket %s: %m", path);
		return -1;
	}
	return 0;
}

int privs_socket_owner(const struct config *cfg, struct am_err *err)
{
	const char *path = socket_path(cfg->socket);
	struct group *gr;

	if (path == NULL)
		return 0;
	if (chmod(path, cfg->socket_mode) != 0) {
		am_err_set(err, "chmod %s: %m", path);
		return -1;
	}
	if (getuid() != 0)
		return 0;
	gr = getgrnam(cfg->group);
	if (gr == NULL) {
		am_err_set(err, "chown %s to group %s: no such group", path, cfg->group);
		return -1;
	}
	if (chown(path, 0, gr->gr_gid) != 0) {
		am_err_set(err, "chown %s to group %s: %m", path, cfg->group);
		return -1;
	}
	return 0;
}

int privs_drop(const struct config *cfg, struct am_err *err)
{
	struct passwd *pw;
	struct group *gr;

	if (getuid() != 0 && geteuid() != 0)
		return 0;
	pw = getpwnam(cfg->user);
	gr = getgrnam(cfg->group);
	if (pw == NULL || gr == NULL) {
		am_err_set(err, "no such %s \"%s\" (create it, or set user/group)",
			   pw == NULL ? "user" : "group", pw == NULL ? cfg->user : cfg->group);
		return -1;
	}
	if (pw->pw_uid == 0 && !cfg->allow_root) {
		am_err_set(err,
			   "user %s is root; refusing to run as root (allow_root = true to "
			   "override)",
			   cfg->user);
		return -1;
	}
	if (setgroups(1, &gr->gr_gid) != 0 || setgid(gr->gr_gid) != 0 || setuid(pw->pw_uid) != 0) {
		am_err_set(err, "cannot switch to %s:%s: %m", cfg->user, cfg->group);
		return -1;
	}
	if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		am_err_set(err, "could regain root after dropping privileges");
		return -1;
	}
	return 0;
}

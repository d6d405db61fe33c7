/* SPDX-License-Identifier: MIT */
/*
 * sd_notify(3) sender: see include/pinfs/sd_notify.h. A fresh datagram
 * socket per message keeps the module stateless after init (no descriptor
 * to survive daemonizing, no lock); pinfs sends a handful of messages in
 * its lifetime.
 */
#include "pinfs/sd_notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Written once by sdnotify_init, before threads exist; read-only afterwards. */
static struct sockaddr_un notify_addr;
static socklen_t notify_addr_len;

int sdnotify_init(void)
{
	const char *e = getenv("NOTIFY_SOCKET");
	size_t len;
	int r = 0;

	notify_addr_len = 0;
	if (!e || !*e)
		goto out;
	len = strlen(e);
	/* sun_path need not be NUL-terminated when the length is passed. */
	if ((e[0] != '/' && e[0] != '@') || len > sizeof(notify_addr.sun_path) || len < 2) {
		r = -EINVAL;
		goto out;
	}
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, e, len);
	if (e[0] == '@')
		notify_addr.sun_path[0] = '\0';	/* Linux abstract namespace */
	notify_addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	r = 1;
out:
	/* Children must not inherit the right to speak for us. */
	unsetenv("NOTIFY_SOCKET");
	return r;
}

int sdnotify_enabled(void)
{
	return notify_addr_len > 0;
}

int sdnotify_send(const char *state)
{
	ssize_t n;
	int fd, r = 0;

	if (!notify_addr_len)
		return 0;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (const struct sockaddr *)&notify_addr,
		   notify_addr_len);
	if (n < 0)
		r = -errno;
	close(fd);
	return r;
}

int sdnotify_sendf(const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	if (!notify_addr_len)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sdnotify_send(msg);
}

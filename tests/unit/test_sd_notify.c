/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for sd_notify: the datagram reaches a socket named by a path
 * and by an abstract name ("@..."), NOTIFY_SOCKET is gone from the
 * environment after init (children must not inherit it), and without a
 * usable NOTIFY_SOCKET every send is a silent no-op.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "pinfs/sd_notify.h"

/* A receiving socket bound to name (a path, or "@abstract"). */
static int listen_on(const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len = strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct timeval tv = {.tv_sec = 2};

	assert_true(fd >= 0);
	assert_true(len < sizeof(sa.sun_path));
	memcpy(sa.sun_path, name, len);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	if (bind(fd, (struct sockaddr *)&sa,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
		fail_msg("bind %s: %s", name, strerror(errno));
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	return fd;
}

static void expect_datagram(int fd, const char *expected)
{
	char buf[4200];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		fail_msg("no datagram: %s", strerror(errno));
	buf[n] = '\0';
	assert_string_equal(buf, expected);
}

static void test_sd_notify_path_socket_receives_state(void **state)
{
	char dir[] = "/tmp/pinfs-sdn-XXXXXX", path[64];
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/notify", dir);
	fd = listen_on(path);
	assert_int_equal(setenv("NOTIFY_SOCKET", path, 1), 0);

	assert_int_equal(sdnotify_init(), 1);
	assert_null(getenv("NOTIFY_SOCKET"));
	assert_true(sdnotify_enabled());
	assert_int_equal(sdnotify_send("READY=1\nSTATUS=serving"), 0);
	expect_datagram(fd, "READY=1\nSTATUS=serving");
	assert_int_equal(sdnotify_sendf("STATUS=reloaded %s: %d routes", "/etc/pinfs/pins.json", 3),
			 0);
	expect_datagram(fd, "STATUS=reloaded /etc/pinfs/pins.json: 3 routes");

	close(fd);
	unlink(path);
	rmdir(dir);
}

static void test_sd_notify_abstract_socket_receives_state(void **state)
{
	char name[64];
	int fd;

	(void)state;
	snprintf(name, sizeof(name), "@pinfs-sdn-test-%ld", (long)getpid());
	fd = listen_on(name);
	assert_int_equal(setenv("NOTIFY_SOCKET", name, 1), 0);

	assert_int_equal(sdnotify_init(), 1);
	assert_null(getenv("NOTIFY_SOCKET"));
	assert_int_equal(sdnotify_send("STOPPING=1"), 0);
	expect_datagram(fd, "STOPPING=1");
	close(fd);
}

static void test_sd_notify_unset_is_a_no_op(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(sdnotify_init(), 0);
	assert_false(sdnotify_enabled());
	assert_int_equal(sdnotify_send("READY=1"), 0);
	assert_int_equal(sdnotify_sendf("STATUS=%s", "x"), 0);
}

static void test_sd_notify_relative_path_is_refused_and_unset(void **state)
{
	(void)state;
	assert_int_equal(setenv("NOTIFY_SOCKET", "relative/socket", 1), 0);
	assert_int_equal(sdnotify_init(), -EINVAL);
	assert_null(getenv("NOTIFY_SOCKET"));
	assert_false(sdnotify_enabled());
	assert_int_equal(sdnotify_send("READY=1"), 0);
}

static void test_sd_notify_missing_listener_reports_error(void **state)
{
	(void)state;
	assert_int_equal(setenv("NOTIFY_SOCKET", "/nonexistent/pinfs-notify", 1), 0);
	assert_int_equal(sdnotify_init(), 1);
	assert_int_equal(sdnotify_send("READY=1"), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sd_notify_path_socket_receives_state),
		cmocka_unit_test(test_sd_notify_abstract_socket_receives_state),
		cmocka_unit_test(test_sd_notify_unset_is_a_no_op),
		cmocka_unit_test(test_sd_notify_relative_path_is_refused_and_unset),
		cmocka_unit_test(test_sd_notify_missing_listener_reports_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

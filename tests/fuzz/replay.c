/* SPDX-License-Identifier: MIT */
/*
 * Replays fuzz inputs through one target without libFuzzer: main() for gcc
 * builds and for the "fuzz" test suite, linked with one fuzz_<target>.c.
 *
 *   fuzz_<target> PATH...
 *
 * Each PATH is a file or a directory; directories are walked recursively
 * in name order (dot files skipped). Every file is read into a buffer of
 * exactly its size, so a sanitizer sees a read past the end as libFuzzer
 * would, and passed to LLVMFuzzerTestOneInput once. A broken invariant
 * aborts; the file being run is named on stderr first. Exits 0 when every
 * input ran, 1 when a path cannot be read or no input was found at all (a
 * corpus that went missing must not pass as an empty success).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static const char *current; /* the input running now, for the crash message */

static void on_fatal_signal(int sig)
{
	static const char msg[] = "replay: crashed on input ";

	/* Async-signal-safe: write(2) only, then die of the same signal. */
	if (current) {
		(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
		(void)!write(STDERR_FILENO, current, strlen(current));
		(void)!write(STDERR_FILENO, "\n", 1);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Installs on_fatal_signal unless a sanitizer already handles sig (its report comes first). */
static void catch_signal(int sig)
{
	struct sigaction old, sa = {.sa_handler = on_fatal_signal};

	if (sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_DFL &&
	    !(old.sa_flags & SA_SIGINFO))
		(void)sigaction(sig, &sa, NULL);
}

static int read_all(const char *path, uint8_t **ret, size_t *ret_len)
{
	struct stat st;
	uint8_t *buf;
	size_t len = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -errno;
	}
	/* malloc(0) may return NULL; the target still gets size 0. */
	buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int r = n < 0 ? -errno : -EIO;

			free(buf);
			close(fd);
			return r;
		}
		len += (size_t)n;
	}
	close(fd);
	*ret = buf;
	*ret_len = len;
	return 0;
}

static int run_file(const char *path, size_t *count)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int r;

	r = read_all(path, &buf, &len);
	if (r < 0) {
		fprintf(stderr, "replay: could not read \"%s\": %s\n", path, strerror(-r));
		return r;
	}
	current = path;
	(void)LLVMFuzzerTestOneInput(buf, len);
	current = NULL;
	free(buf);
	(*count)++;
	return 0;
}

static int dot_filter(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static int run_path(const char *path, size_t *count)
{
	struct dirent **names;
	struct stat st;
	int n, r = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: could not stat \"%s\": %s\n", path, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path, count);

	n = scandir(path, &names, dot_filter, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: could not list \"%s\": %s\n", path, strerror(errno));
		return -errno;
	}
	for (int i = 0; i < n; i++) {
		char *child;

		if (r == 0) {
			if (asprintf(&child, "%s/%s", path, names[i]->d_name) < 0) {
				r = -ENOMEM;
			} else {
				r = run_path(child, count);
				free(child);
			}
		}
		free(names[i]);
	}
	free(names);
	return r;
}

int main(int argc, char **argv)
{
	size_t count = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	catch_signal(SIGABRT);
	catch_signal(SIGSEGV);
	catch_signal(SIGBUS);
	catch_signal(SIGFPE);
	for (int i = 1; i < argc; i++) {
		/* libFuzzer-style flags (-runs=0 ...) are accepted and ignored. */
		if (argv[i][0] == '-')
			continue;
		if (run_path(argv[i], &count) < 0)
			return 1;
	}
	printf("replay: %zu inputs ran\n", count);
	if (count == 0) {
		fprintf(stderr, "replay: no input found\n");
		return 1;
	}
	return 0;
}

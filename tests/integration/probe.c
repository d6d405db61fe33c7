/* SPDX-License-Identifier: MIT */
/*
 * probe: performs one file-system call (or one open/IO/close sequence) and
 * prints the errno *name* of each step, so integration tests compare stable
 * tokens ("EINVAL") instead of locale-dependent strerror() text.
 *
 *   probe open-r F | open-w F | open-rw F | create-excl F
 *   probe write-trunc F DATA     O_WRONLY|O_TRUNC|O_CREAT, "write=X close=Y"
 *   probe append F DATA          O_WRONLY|O_APPEND|O_CREAT, "write=X close=Y"
 *   probe fsync-write F DATA     O_WRONLY|O_TRUNC|O_CREAT, "write=X fsync=Y close=Z"
 *   probe ftruncate F N          O_WRONLY, "ftruncate=X close=Y"
 *   probe truncate F N | stat F ("OK SIZE") | access F r|w|rw|f
 *   probe unlink F | mkdir D | rmdir D | readdir D ("OK N", N names without . and ..)
 *   probe rename A B | rename-noreplace A B | rename-exchange A B
 *   probe getxattr F NAME ("OK VALUE") | setxattr F NAME VALUE | removexattr F NAME
 *   probe listxattr F | chmod F OCTAL | symlink TARGET L | link A B
 *   probe chown F UID GID         (-1 leaves one unchanged)
 *   probe utimens F ATIME MTIME   each "now" (UTIME_NOW), "omit" (UTIME_OMIT) or
 *                                 seconds since the epoch (utimensat)
 *   probe write-fstat F DATA      O_RDWR|O_CREAT, writes DATA, then
 *                                 "write=X fstat=SIZE pread=N close=Y"
 *   probe trunc-write-fstat F DATA  the same with O_TRUNC on an existing file
 *   probe flock F MODE            opens F read-only, flock(2) with MODE sh, ex,
 *                                 sh-nb or ex-nb: "OK" or the errno (EWOULDBLOCK
 *                                 for a lock held elsewhere), then closes
 *
 * DATA "-" means standard input, so large values need no huge argv. Writes
 * loop until everything is written or a write fails, like real tools do:
 * a write that crosses a size limit usually comes back short first.
 * A step that fails prints "open=ENAME" and stops. Exit status is 0 whenever
 * the syscall ran (its result is the output), 2 on usage errors.
 * The process runs with whatever uid it was started with (see as_user).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* clang-format off */
#define E_(e) { e, #e }
static const struct {
	int num;
	const char *name;
} errno_names[] = {
	E_(EPERM), E_(ENOENT), E_(ESRCH), E_(EINTR),
	E_(EIO), E_(ENXIO), E_(E2BIG), E_(EBADF),
	E_(EAGAIN), E_(ENOMEM), E_(EACCES), E_(EFAULT),
	E_(EBUSY), E_(EEXIST), E_(EXDEV), E_(ENODEV),
	E_(ENOTDIR), E_(EISDIR), E_(EINVAL), E_(ENFILE),
	E_(EMFILE), E_(ENOTTY), E_(ETXTBSY), E_(EFBIG),
	E_(ENOSPC), E_(ESPIPE), E_(EROFS), E_(EMLINK),
	E_(EPIPE), E_(ERANGE), E_(EDEADLK), E_(ENAMETOOLONG),
	E_(ENOSYS), E_(ENOTEMPTY), E_(ELOOP), E_(ENODATA),
	E_(EOVERFLOW), E_(EILSEQ), E_(EBADMSG), E_(EOPNOTSUPP),
	E_(ENOTCONN), E_(ETIMEDOUT), E_(ECONNREFUSED), E_(ESTALE),
	E_(EDQUOT), E_(ECANCELED), E_(ENOTSUP), E_(EPROTO),
};
#undef E_
/* clang-format on */

static const char *errno_name(int e)
{
	static char buf[32];

	/* ENOTSUP == EOPNOTSUPP on Linux; the contract speaks of ENOTSUP. */
	if (e == ENOTSUP)
		return "ENOTSUP";
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (errno_names[i].num == e)
			return errno_names[i].name;
	snprintf(buf, sizeof(buf), "E#%d", e);
	return buf;
}

/* The result of a call that returns -1 and sets errno on failure. */
static const char *res(int r)
{
	return r < 0 ? errno_name(errno) : "OK";
}

static int usage(void)
{
	fputs("usage: probe OP ARGS... (see the comment at the top of probe.c)\n", stderr);
	return 2;
}

/* Reads all of standard input into a new buffer; exits on failure. */
static char *slurp_stdin(size_t *ret_len)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);

	if (!buf)
		exit(3);
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nbuf;

			cap *= 2;
			nbuf = realloc(buf, cap);
			if (!nbuf)
				exit(3);
			buf = nbuf;
		}
		n = read(STDIN_FILENO, buf + len, cap - len);
		if (n < 0) {
			perror("probe: read stdin");
			exit(3);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret_len = len;
	return buf;
}

/* DATA argument: "-" is stdin, anything else the literal bytes. */
static char *data_arg(const char *arg, size_t *ret_len)
{
	char *d;

	if (strcmp(arg, "-") == 0)
		return slurp_stdin(ret_len);
	d = strdup(arg);
	if (!d)
		exit(3);
	*ret_len = strlen(arg);
	return d;
}

/* Writes everything, retrying short writes; returns 0 or -1 with errno set. */
static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* open + write_all [+ fsync] + close, printing each step. */
static int do_write(const char *path, int flags, const char *arg, int with_fsync)
{
	size_t len;
	char *data = data_arg(arg, &len);
	int fd, r;

	fd = open(path, flags, 0644);
	if (fd < 0) {
		printf("open=%s\n", errno_name(errno));
		free(data);
		return 0;
	}
	r = write_all(fd, data, len);
	printf("write=%s", res(r));
	if (with_fsync) {
		r = fsync(fd);
		printf(" fsync=%s", res(r));
	}
	r = close(fd);
	printf(" close=%s\n", res(r));
	free(data);
	return 0;
}

/* open + close; a failing close (a flush error) is reported as "close=E". */
static int do_open(const char *path, int flags)
{
	int fd = open(path, flags, 0644);

	if (fd < 0) {
		puts(errno_name(errno));
		return 0;
	}
	if (close(fd) < 0)
		printf("close=%s\n", errno_name(errno));
	else
		puts("OK");
	return 0;
}

static int do_readdir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	long n = 0;

	if (!d) {
		puts(errno_name(errno));
		return 0;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	}
	if (errno != 0)
		puts(errno_name(errno));
	else
		printf("OK %ld\n", n);
	closedir(d);
	return 0;
}

static int do_ftruncate(const char *path, const char *size)
{
	int fd = open(path, O_WRONLY);
	int r;

	if (fd < 0) {
		printf("open=%s\n", errno_name(errno));
		return 0;
	}
	r = ftruncate(fd, (off_t)strtoll(size, NULL, 10));
	printf("ftruncate=%s", res(r));
	r = close(fd);
	printf(" close=%s\n", res(r));
	return 0;
}

static int do_access(const char *path, const char *how)
{
	int mode;

	if (strcmp(how, "r") == 0)
		mode = R_OK;
	else if (strcmp(how, "w") == 0)
		mode = W_OK;
	else if (strcmp(how, "rw") == 0)
		mode = R_OK | W_OK;
	else if (strcmp(how, "f") == 0)
		mode = F_OK;
	else
		return usage();
	puts(res(access(path, mode)));
	return 0;
}

static int do_stat(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		puts(errno_name(errno));
	else
		printf("OK %lld\n", (long long)st.st_size);
	return 0;
}

static int do_getxattr(const char *path, const char *name)
{
	char buf[65536];
	ssize_t n = getxattr(path, name, buf, sizeof(buf));

	if (n < 0)
		puts(errno_name(errno));
	else
		printf("OK %.*s\n", (int)n, buf);
	return 0;
}

static int do_listxattr(const char *path)
{
	char buf[65536];
	ssize_t n = listxattr(path, buf, sizeof(buf));

	if (n < 0) {
		puts(errno_name(errno));
		return 0;
	}
	fputs("OK", stdout);
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1)
		printf(" %s", buf + i);
	putchar('\n');
	return 0;
}

/* write-fstat and trunc-write-fstat: what fstat and pread see of what this descriptor wrote. */
static int write_fstat(const char *path, const char *data, bool trunc)
{
	int fd = open(path, O_RDWR | O_CREAT | (trunc ? O_TRUNC : 0), 0644);
	size_t len = strlen(data);
	char back[4096];
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return printf("open=%s\n", errno_name(errno)) < 0;
	n = write(fd, data, len);
	printf("write=%s", n == (ssize_t)len ? "OK" : n < 0 ? errno_name(errno) : "SHORT");
	if (fstat(fd, &st) < 0)
		printf(" fstat=%s", errno_name(errno));
	else
		printf(" fstat=%lld", (long long)st.st_size);
	n = pread(fd, back, sizeof(back), 0);
	printf(" pread=%lld", (long long)n);
	printf(" close=%s\n", res(close(fd)));
	return 0;
}

/* flock F MODE: one flock(2) on a read-only descriptor. */
static int do_flock(const char *path, const char *mode)
{
	int op = strncmp(mode, "sh", 2) == 0 ? LOCK_SH : LOCK_EX;
	int fd, r;

	if (strcmp(mode, "sh") != 0 && strcmp(mode, "ex") != 0 && strcmp(mode, "sh-nb") != 0 &&
	    strcmp(mode, "ex-nb") != 0)
		return usage();
	if (strstr(mode, "-nb"))
		op |= LOCK_NB;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return printf("open=%s\n", errno_name(errno)) < 0;
	r = flock(fd, op);
	/* EWOULDBLOCK is EAGAIN on Linux: the name flock(2) documents. */
	puts(r == 0 ? "OK" : errno == EWOULDBLOCK ? "EWOULDBLOCK" : errno_name(errno));
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *op;

	if (argc < 3)
		return usage();
	op = argv[1];

	if (argc == 3) {
		const char *p = argv[2];

		if (strcmp(op, "open-r") == 0)
			return do_open(p, O_RDONLY);
		if (strcmp(op, "open-w") == 0)
			return do_open(p, O_WRONLY);
		if (strcmp(op, "open-rw") == 0)
			return do_open(p, O_RDWR);
		if (strcmp(op, "create-excl") == 0)
			return do_open(p, O_WRONLY | O_CREAT | O_EXCL);
		if (strcmp(op, "stat") == 0)
			return do_stat(p);
		if (strcmp(op, "unlink") == 0)
			return puts(res(unlink(p))) < 0;
		if (strcmp(op, "mkdir") == 0)
			return puts(res(mkdir(p, 0755))) < 0;
		if (strcmp(op, "rmdir") == 0)
			return puts(res(rmdir(p))) < 0;
		if (strcmp(op, "readdir") == 0)
			return do_readdir(p);
		if (strcmp(op, "listxattr") == 0)
			return do_listxattr(p);
		return usage();
	}

	if (argc == 4 && (strcmp(op, "write-fstat") == 0 || strcmp(op, "trunc-write-fstat") == 0))
		return write_fstat(argv[2], argv[3], op[0] == 't');
	if (argc == 4) {
		const char *a = argv[2], *b = argv[3];

		if (strcmp(op, "write-trunc") == 0)
			return do_write(a, O_WRONLY | O_TRUNC | O_CREAT, b, 0);
		if (strcmp(op, "append") == 0)
			return do_write(a, O_WRONLY | O_APPEND | O_CREAT, b, 0);
		if (strcmp(op, "fsync-write") == 0)
			return do_write(a, O_WRONLY | O_TRUNC | O_CREAT, b, 1);
		if (strcmp(op, "ftruncate") == 0)
			return do_ftruncate(a, b);
		if (strcmp(op, "truncate") == 0)
			return puts(res(truncate(a, (off_t)strtoll(b, NULL, 10)))) < 0;
		if (strcmp(op, "access") == 0)
			return do_access(a, b);
		if (strcmp(op, "rename") == 0)
			return puts(res(rename(a, b))) < 0;
		if (strcmp(op, "rename-noreplace") == 0)
			return puts(res(renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE))) < 0;
		if (strcmp(op, "rename-exchange") == 0)
			return puts(res(renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE))) < 0;
		if (strcmp(op, "getxattr") == 0)
			return do_getxattr(a, b);
		if (strcmp(op, "removexattr") == 0)
			return puts(res(removexattr(a, b))) < 0;
		if (strcmp(op, "chmod") == 0)
			return puts(res(chmod(a, (mode_t)strtol(b, NULL, 8)))) < 0;
		if (strcmp(op, "symlink") == 0)
			return puts(res(symlink(a, b))) < 0;
		if (strcmp(op, "link") == 0)
			return puts(res(link(a, b))) < 0;
		if (strcmp(op, "flock") == 0)
			return do_flock(a, b);
		return usage();
	}

	if (argc == 5 && strcmp(op, "setxattr") == 0)
		return puts(res(setxattr(argv[2], argv[3], argv[4], strlen(argv[4]), 0))) < 0;
	if (argc == 5 && strcmp(op, "chown") == 0)
		return puts(res(chown(argv[2], (uid_t)strtol(argv[3], NULL, 10),
				      (gid_t)strtol(argv[4], NULL, 10)))) < 0;
	if (argc == 5 && strcmp(op, "utimens") == 0) {
		struct timespec ts[2];

		for (int i = 0; i < 2; i++) {
			const char *v = argv[3 + i];

			ts[i].tv_sec = 0;
			ts[i].tv_nsec = strcmp(v, "now") == 0	 ? UTIME_NOW
					: strcmp(v, "omit") == 0 ? UTIME_OMIT
								 : 0;
			if (ts[i].tv_nsec == 0)
				ts[i].tv_sec = (time_t)strtoll(v, NULL, 10);
		}
		return puts(res(utimensat(AT_FDCWD, argv[2], ts, 0))) < 0;
	}
	return usage();
}

/* SPDX-License-Identifier: MIT */
/*
 * setattr on every kind of node, for every attribute: the root, a tenant, a
 * committed pin, a name created and not committed yet (through its open
 * handle and by path), /.system and a /.system file, each asked to change
 * its mode, owner, group, size, access and modification times (what
 * touch, utimensat with UTIME_NOW or given times send; UTIME_OMIT sends no
 * bit) and change time. Every call must answer either a clean errno or 0
 * with the node's attributes filled in (its type, its inode number, a link
 * count): a reply without them is what broke the whole mount after
 * "touch MOUNTPOINT".
 *
 * The filesystem core runs over a fresh SQLite file (the embedded default's
 * driver) in a temporary directory; no mount, no FUSE.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "pinfs/config.h"
#include "pinfs/fs_core.h"
#include "pinfs/inode_table.h"

static struct {
	char dir[PATH_MAX];
	struct fs *fs;
	uint64_t tenant, pin, pending, sysfile;
	struct fs_file *pending_file;
} t;

static const struct pfs_subject root_who = {.uid = 0, .gid = 0, .pid = 1};
/* No policy: only root and the owner may do anything. */
static const struct pfs_subject stranger = {.uid = 4242, .gid = 4242, .pid = 1};

static int setup(void **state)
{
	char text[PATH_MAX + 128];
	struct fs_options opts = {.owner_uid = 0, .owner_gid = 0};
	struct config *cfg = NULL;
	struct pfs_error err = {0};
	struct fs_entry e;
	struct fs_open_flags of;
	struct fs_file *f;
	int r;

	(void)state;
	snprintf(t.dir, sizeof(t.dir), "%s/pinfs-setattr-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(t.dir))
		return -1;
	/* The embedded default's shape: lab mode, one SQLite route, migrated at fs_new. */
	snprintf(text, sizeof(text),
		 "{\"mode\": \"lab\", \"routes\": [{\"tenant\": \"*\", "
		 "\"backend\": \"sqlite://%s/pins.db\"}]}",
		 t.dir);
	r = config_load_string(text, strlen(text), "test", &cfg, &err);
	if (r < 0)
		return -1;
	free(cfg->path);
	cfg->path = NULL;	/* the embedded default migrates its own file */
	r = fs_new(cfg, &opts, &t.fs, &err);
	config_free(cfg);
	if (r < 0) {
		fprintf(stderr, "fs_new: %s\n", err.message);
		return -1;
	}
	if (fs_mkdir(t.fs, &root_who, INODE_ROOT, "acme", &e) < 0)
		return -1;
	t.tenant = e.nodeid;
	if (fs_create(t.fs, &root_who, t.tenant, "k", 0644, O_WRONLY | O_TRUNC, &e, &f, &of) < 0)
		return -1;
	t.pin = e.nodeid;
	if (fs_write(t.fs, &root_who, f, "{\"a\": 1}", 8, 0) != 8 ||
	    fs_flush(t.fs, &root_who, f) < 0)
		return -1;
	fs_release(t.fs, f);
	/* A created name, still open and not committed. */
	if (fs_create(t.fs, &root_who, t.tenant, "new", 0644, O_RDWR, &e, &t.pending_file,
		      &of) < 0)
		return -1;
	t.pending = e.nodeid;
	if (fs_lookup(t.fs, &root_who, INODE_SYSTEM_DIR, "health", &e) < 0)
		return -1;
	t.sysfile = e.nodeid;
	return 0;
}

static int teardown(void **state)
{
	char path[PATH_MAX + 16];

	(void)state;
	if (t.pending_file)
		fs_release(t.fs, t.pending_file);
	t.fs = fs_free(t.fs);
	for (const char *const *s = (const char *const[]){"", "-wal", "-shm", NULL}; *s; s++) {
		snprintf(path, sizeof(path), "%s/pins.db%s", t.dir, *s);
		(void)unlink(path);
	}
	(void)rmdir(t.dir);
	return 0;
}

/* What each attribute's setattr carries. */
struct change {
	const char *name;
	unsigned mask;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	off_t size;
};

static const struct change same_mode = {"mode as shown", FS_SET_MODE, 0, 0, 0, 0};
static const struct change other_mode = {"mode 0700", FS_SET_MODE, 0700, 0, 0, 0};
static const struct change other_uid = {"uid 1000", FS_SET_UID, 0, 1000, 0, 0};
static const struct change other_gid = {"gid 1000", FS_SET_GID, 0, 0, 1000, 0};
static const struct change size0 = {"size 0", FS_SET_SIZE, 0, 0, 0, 0};
static const struct change atime = {"atime", FS_SET_ATIME, 0, 0, 0, 0};
static const struct change mtime = {"mtime", FS_SET_MTIME, 0, 0, 0, 0};
static const struct change both_times = {"atime+mtime (touch, UTIME_NOW)",
					 FS_SET_ATIME | FS_SET_MTIME, 0, 0, 0, 0};
static const struct change ctime_only = {"ctime", FS_SET_CTIME, 0, 0, 0, 0};
static const struct change times_ctime = {"mtime+ctime", FS_SET_MTIME | FS_SET_CTIME, 0, 0, 0,
					  0};

/*
 * Runs one setattr and checks the answer: expect (0 or -errno), and on 0
 * attributes of the same node as getattr's, of the given file type.
 */
static void check(const struct pfs_subject *who, uint64_t node, struct fs_file *file,
		  const struct change *c, mode_t type, int expect, const char *what)
{
	struct stat before, attr, after;
	double timeout;
	int r;

	r = fs_getattr(t.fs, &root_who, node, file, &before, &timeout);
	assert_int_equal(r, 0);
	attr = before;
	if (c->mask & FS_SET_MODE)
		attr.st_mode = (before.st_mode & S_IFMT) | (c->mode ? c->mode : before.st_mode & 07777);
	if (c->mask & FS_SET_UID)
		attr.st_uid = c->uid;
	if (c->mask & FS_SET_GID)
		attr.st_gid = c->gid;
	if (c->mask & FS_SET_SIZE)
		attr.st_size = c->size;
	memset(&after, 0xa5, sizeof(after));	/* poison: a reply must fill it */
	r = fs_setattr(t.fs, who, node, file, &attr, c->mask, &after, &timeout);
	if (r != expect)
		fail_msg("%s, %s: got %d, expected %d", what, c->name, r, expect);
	if (r != 0)
		return;
	if ((after.st_mode & S_IFMT) != type || after.st_ino != before.st_ino ||
	    after.st_nlink < 1 || after.st_nlink > 1000 || (after.st_mode & 07777) == 0)
		fail_msg("%s, %s: attributes not filled (mode %o ino %llu nlink %lu)", what,
			 c->name, (unsigned)after.st_mode, (unsigned long long)after.st_ino,
			 (unsigned long)after.st_nlink);
	/* Mode and owner are never stored: what is shown stays. */
	assert_int_equal(after.st_mode & 07777, before.st_mode & 07777);
	assert_int_equal(after.st_uid, before.st_uid);
}

static void test_fs_setattr_root_every_attribute_answers(void **state)
{
	(void)state;
	check(&root_who, INODE_ROOT, NULL, &same_mode, S_IFDIR, 0, "root");
	check(&root_who, INODE_ROOT, NULL, &other_mode, S_IFDIR, 0, "root");
	check(&root_who, INODE_ROOT, NULL, &other_uid, S_IFDIR, 0, "root");
	check(&root_who, INODE_ROOT, NULL, &other_gid, S_IFDIR, 0, "root");
	check(&root_who, INODE_ROOT, NULL, &size0, S_IFDIR, -EISDIR, "root");
	check(&root_who, INODE_ROOT, NULL, &atime, S_IFDIR, 0, "root");
	check(&root_who, INODE_ROOT, NULL, &mtime, S_IFDIR, 0, "root");
	check(&root_who, INODE_ROOT, NULL, &both_times, S_IFDIR, 0, "root");
	check(&root_who, INODE_ROOT, NULL, &ctime_only, S_IFDIR, 0, "root");
	check(&root_who, INODE_ROOT, NULL, &times_ctime, S_IFDIR, 0, "root");
	/* Someone with no right on it: times refused, mode and owner not permitted. */
	check(&stranger, INODE_ROOT, NULL, &both_times, S_IFDIR, -EACCES, "root, stranger");
	check(&stranger, INODE_ROOT, NULL, &other_mode, S_IFDIR, -EPERM, "root, stranger");
	check(&stranger, INODE_ROOT, NULL, &same_mode, S_IFDIR, 0, "root, stranger");
}

static void test_fs_setattr_tenant_every_attribute_answers(void **state)
{
	(void)state;
	check(&root_who, t.tenant, NULL, &same_mode, S_IFDIR, 0, "tenant");
	check(&root_who, t.tenant, NULL, &other_mode, S_IFDIR, 0, "tenant");
	check(&root_who, t.tenant, NULL, &other_uid, S_IFDIR, 0, "tenant");
	check(&root_who, t.tenant, NULL, &other_gid, S_IFDIR, 0, "tenant");
	check(&root_who, t.tenant, NULL, &size0, S_IFDIR, -EISDIR, "tenant");
	check(&root_who, t.tenant, NULL, &atime, S_IFDIR, 0, "tenant");
	check(&root_who, t.tenant, NULL, &mtime, S_IFDIR, 0, "tenant");
	check(&root_who, t.tenant, NULL, &both_times, S_IFDIR, 0, "tenant");
	check(&root_who, t.tenant, NULL, &ctime_only, S_IFDIR, 0, "tenant");
	check(&root_who, t.tenant, NULL, &times_ctime, S_IFDIR, 0, "tenant");
	check(&stranger, t.tenant, NULL, &both_times, S_IFDIR, -EACCES, "tenant, stranger");
	check(&stranger, t.tenant, NULL, &other_uid, S_IFDIR, -EPERM, "tenant, stranger");
}

static void test_fs_setattr_committed_pin_every_attribute_answers(void **state)
{
	struct change same_size = {"size as committed", FS_SET_SIZE, 0, 0, 0, 0};
	struct stat st;
	double timeout;

	(void)state;
	assert_int_equal(fs_getattr(t.fs, &root_who, t.pin, NULL, &st, &timeout), 0);
	same_size.size = st.st_size;
	check(&root_who, t.pin, NULL, &same_mode, S_IFREG, 0, "pin");
	check(&root_who, t.pin, NULL, &other_mode, S_IFREG, -EPERM, "pin");
	check(&root_who, t.pin, NULL, &other_uid, S_IFREG, -EPERM, "pin");
	check(&root_who, t.pin, NULL, &other_gid, S_IFREG, -EPERM, "pin");
	/* truncate(2) by path commits at once: to its own size it stays the same value... */
	check(&root_who, t.pin, NULL, &same_size, S_IFREG, 0, "pin");
	/* ...to 0 it is no JSON document: EINVAL, and the value stays. */
	check(&root_who, t.pin, NULL, &size0, S_IFREG, -EINVAL, "pin");
	assert_int_equal(fs_getattr(t.fs, &root_who, t.pin, NULL, &st, &timeout), 0);
	assert_int_equal(st.st_size, same_size.size);
	check(&root_who, t.pin, NULL, &atime, S_IFREG, 0, "pin");
	check(&root_who, t.pin, NULL, &mtime, S_IFREG, 0, "pin");
	check(&root_who, t.pin, NULL, &both_times, S_IFREG, 0, "pin");
	check(&root_who, t.pin, NULL, &ctime_only, S_IFREG, 0, "pin");
	check(&root_who, t.pin, NULL, &times_ctime, S_IFREG, 0, "pin");
	check(&stranger, t.pin, NULL, &both_times, S_IFREG, -EACCES, "pin, stranger");
}

static void test_fs_setattr_uncommitted_name_accepts_mode_and_owner(void **state)
{
	(void)state;
	/* Through its open handle (fchmod, fchown, futimens, ftruncate)... */
	check(&root_who, t.pending, t.pending_file, &same_mode, S_IFREG, 0, "pending fd");
	check(&root_who, t.pending, t.pending_file, &other_mode, S_IFREG, 0, "pending fd");
	check(&root_who, t.pending, t.pending_file, &other_uid, S_IFREG, 0, "pending fd");
	check(&root_who, t.pending, t.pending_file, &other_gid, S_IFREG, 0, "pending fd");
	check(&root_who, t.pending, t.pending_file, &size0, S_IFREG, 0, "pending fd");
	check(&root_who, t.pending, t.pending_file, &atime, S_IFREG, 0, "pending fd");
	check(&root_who, t.pending, t.pending_file, &mtime, S_IFREG, 0, "pending fd");
	check(&root_who, t.pending, t.pending_file, &both_times, S_IFREG, 0, "pending fd");
	check(&root_who, t.pending, t.pending_file, &ctime_only, S_IFREG, 0, "pending fd");
	check(&root_who, t.pending, t.pending_file, &times_ctime, S_IFREG, 0, "pending fd");
	/* ...and by path (chmod, chown, utimensat) by its creator. */
	check(&root_who, t.pending, NULL, &other_mode, S_IFREG, 0, "pending path");
	check(&root_who, t.pending, NULL, &other_uid, S_IFREG, 0, "pending path");
	check(&root_who, t.pending, NULL, &both_times, S_IFREG, 0, "pending path");
}

static void test_fs_setattr_system_nodes_answer(void **state)
{
	(void)state;
	check(&root_who, INODE_SYSTEM_DIR, NULL, &both_times, S_IFDIR, 0, "/.system");
	check(&root_who, INODE_SYSTEM_DIR, NULL, &ctime_only, S_IFDIR, 0, "/.system");
	check(&root_who, INODE_SYSTEM_DIR, NULL, &same_mode, S_IFDIR, -EACCES, "/.system");
	check(&root_who, INODE_SYSTEM_DIR, NULL, &other_uid, S_IFDIR, -EACCES, "/.system");
	check(&root_who, INODE_SYSTEM_DIR, NULL, &size0, S_IFDIR, -EACCES, "/.system");
	check(&root_who, t.sysfile, NULL, &atime, S_IFREG, 0, "/.system/health");
	check(&root_who, t.sysfile, NULL, &mtime, S_IFREG, 0, "/.system/health");
	check(&root_who, t.sysfile, NULL, &both_times, S_IFREG, 0, "/.system/health");
	check(&root_who, t.sysfile, NULL, &ctime_only, S_IFREG, 0, "/.system/health");
	check(&root_who, t.sysfile, NULL, &other_mode, S_IFREG, -EACCES, "/.system/health");
	check(&root_who, t.sysfile, NULL, &other_gid, S_IFREG, -EACCES, "/.system/health");
	check(&root_who, t.sysfile, NULL, &size0, S_IFREG, -EACCES, "/.system/health");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fs_setattr_root_every_attribute_answers),
		cmocka_unit_test(test_fs_setattr_tenant_every_attribute_answers),
		cmocka_unit_test(test_fs_setattr_committed_pin_every_attribute_answers),
		cmocka_unit_test(test_fs_setattr_uncommitted_name_accepts_mode_and_owner),
		cmocka_unit_test(test_fs_setattr_system_nodes_answer),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

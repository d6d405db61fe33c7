/* SPDX-License-Identifier: MIT */
/* Schema migrations over the backend interface (see migrate.h). */
#include "pinfs/migrate.h"

#include <errno.h>
#include <stddef.h>

int migrate_status(struct backend *be, int *ret_current, int *ret_required)
{
	int r = backend_schema_version(be, ret_current);

	if (r < 0)
		return r;
	*ret_required = backend_schema_required(be);
	return 0;
}

int migrate_up(struct backend *be, int *ret_applied, struct pfs_error *reterr)
{
	int current, r, applied = 0;

	r = backend_schema_version(be, &current);
	if (r < 0)
		return pfs_error_set(reterr, r, 0, "could not read the schema version of \"%s\"",
				     backend_name(be));
	for (const struct migration *m = be->migrations; m->version; m++) {
		if (m->version <= current)
			continue;
		r = be->ops->migration_apply(be, m, true);
		if (r < 0)
			return pfs_error_set(reterr, r, 0, "migration %04d_%s failed on \"%s\"",
					     m->version, m->name, backend_name(be));
		applied++;
	}
	*ret_applied = applied;
	return 0;
}

int migrate_down(struct backend *be, int *ret_reverted, struct pfs_error *reterr)
{
	const struct migration *target = NULL;
	int current, r;

	r = backend_schema_version(be, &current);
	if (r < 0)
		return pfs_error_set(reterr, r, 0, "could not read the schema version of \"%s\"",
				     backend_name(be));
	for (const struct migration *m = be->migrations; m->version; m++)
		if (m->version == current)
			target = m;
	*ret_reverted = 0;
	if (current == 0)
		return 0;
	if (!target)
		return pfs_error_set(reterr, -EPROTO, 0,
				     "\"%s\" is at schema version %d, which this pinctl does not know",
				     backend_name(be), current);
	r = be->ops->migration_apply(be, target, false);
	if (r < 0)
		return pfs_error_set(reterr, r, 0, "reverting migration %04d_%s failed on \"%s\"",
				     target->version, target->name, backend_name(be));
	*ret_reverted = target->version;
	return 0;
}

int migrate_check(struct backend *be, struct pfs_error *reterr)
{
	int current, required, r;

	r = migrate_status(be, &current, &required);
	if (r < 0)
		return pfs_error_set(reterr, r, 0, "could not reach \"%s\" to check its schema",
				     backend_name(be));
	if (current < required)
		return pfs_error_set(reterr, -EPROTO, 0,
				     "the database \"%s\" has schema version %d but pinfs needs %d: "
				     "run \"pinctl migrate up\"",
				     backend_name(be), current, required);
	if (current > required)
		return pfs_error_set(reterr, -EPROTO, 0,
				     "the database \"%s\" has schema version %d, newer than the %d "
				     "this pinfs knows: upgrade pinfs",
				     backend_name(be), current, required);
	return 0;
}

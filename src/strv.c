/* SPDX-License-Identifier: MIT */
/* String vectors (see strv.h). */
#include "pinfs/strv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void strv_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int strv_collect(size_t n, strv_get_fn get, const void *ctx, char ***ret)
{
	char **v = calloc(n ? n : 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		v[i] = strdup(get(ctx, i));
		if (!v[i]) {
			strv_free(v, i);
			return -ENOMEM;
		}
	}
	*ret = v;
	return 0;
}

static const char *array_get(const void *ctx, size_t i)
{
	return ((char *const *)ctx)[i];
}

int strv_dup(char *const *src, size_t n, char ***ret)
{
	return strv_collect(n, array_get, src, ret);
}

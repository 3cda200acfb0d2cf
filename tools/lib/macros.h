/* Small helpers shared by the library and the commands. */
#pragma once

#include <stdlib.h>

#define _cleanup_(fn)	    __attribute__((cleanup(fn)))
#define _must_check_	    __attribute__((warn_unused_result))
#define _nonnull_(...)	    __attribute__((nonnull(__VA_ARGS__)))
#define _printf_(fmt, args) __attribute__((format(printf, fmt, args)))
#define _unused_	    __attribute__((unused))

#define BUILD_BUG_ON_ZERO(e) ((int)(sizeof(struct { int : (-!!(e)); })))
#define SAME_TYPE(a, b)	     __builtin_types_compatible_p(__typeof__(a), __typeof__(b))
/* Refuses to compile when given a pointer instead of an array. */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]) + BUILD_BUG_ON_ZERO(SAME_TYPE((a), &(a)[0])))

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd)
{
	extern int close(int);

	if (*fd >= 0)
		close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

#define streq(a, b)	      (strcmp((a), (b)) == 0)
#define startswith(s, prefix) (strncmp((s), (prefix), sizeof(prefix) - 1) == 0)

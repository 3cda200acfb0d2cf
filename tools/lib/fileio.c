/* Whole-file reads and atomic replacement of files. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

int km_read_file(const char *path, uint8_t **buf, size_t *len, size_t max, struct km_err *e)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *data;
	size_t done = 0;

	if (fd < 0)
		return km_err_set(e, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0)
		return km_err_set(e, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return km_err_set(e, -EINVAL, "%s: not a regular file", path);
	if ((uint64_t)st.st_size > max)
		return km_err_set(e, -EFBIG, "%s: file too large (%lld bytes, at most %zu)", path,
				  (long long)st.st_size, max);
	data = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!data)
		return km_err_set(e, -ENOMEM, "%s: out of memory", path);
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, data + done, st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;

			free(data);
			return km_err_set(e, -err, "%s: read failed: %s", path,
					  n < 0 ? strerror(err) : "file shrank while reading");
		}
		done += n;
	}
	*buf = data;
	*len = done;
	return 0;
}

int km_tmpfile_open(struct km_tmpfile *t, const char *target, struct km_err *e)
{
	_cleanup_free_ char *dcopy = strdup(target), *bcopy = strdup(target);
	const char *dir, *base;

	t->fd = -1;
	t->path = NULL;
	t->target = NULL;
	if (!dcopy || !bcopy)
		return km_err_set(e, -ENOMEM, "out of memory");
	dir = dirname(dcopy);
	base = basename(bcopy);
	if (asprintf(&t->path, "%s/.%s.kmsign-XXXXXX", dir, base) < 0) {
		t->path = NULL;
		return km_err_set(e, -ENOMEM, "out of memory");
	}
	/* mkostemp creates the file 0600 with O_EXCL. */
	t->fd = mkostemp(t->path, O_CLOEXEC);
	if (t->fd < 0) {
		int err = errno;

		free(t->path);
		t->path = NULL;
		return km_err_set(e, -err, "%s: cannot create a file in %s: %s", target, dir,
				  strerror(err));
	}
	t->target = strdup(target);
	if (!t->target) {
		km_tmpfile_abort(t);
		return km_err_set(e, -ENOMEM, "out of memory");
	}
	return 0;
}

int km_tmpfile_write(struct km_tmpfile *t, const void *buf, size_t len, struct km_err *e)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(t->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return km_err_set(e, -errno, "%s: write failed: %s", t->target,
					  strerror(errno));
		p += n;
		len -= n;
	}
	return 0;
}

int km_tmpfile_commit(struct km_tmpfile *t, mode_t mode, struct km_err *e)
{
	int err;

	if (fchmod(t->fd, mode & 07777) < 0 || fsync(t->fd) < 0)
		goto fail;
	err = close(t->fd);
	t->fd = -1;
	if (err < 0)
		goto fail;
	if (rename(t->path, t->target) < 0)
		goto fail;
	free(t->path);
	free(t->target);
	t->path = t->target = NULL;
	return 0;
fail:
	err = errno;
	km_err_set(e, -err, "%s: cannot replace: %s", t->target, strerror(err));
	km_tmpfile_abort(t);
	return -err;
}

void km_tmpfile_abort(struct km_tmpfile *t)
{
	if (t->fd >= 0)
		close(t->fd);
	if (t->path)
		unlink(t->path);
	free(t->path);
	free(t->target);
	t->fd = -1;
	t->path = t->target = NULL;
}

static bool is_temp_of(const char *name, const char *base)
{
	size_t n = strlen(base);

	/* ".BASE.kmsign-XXXXXX", as km_tmpfile_open names them */
	return name[0] == '.' && strncmp(name + 1, base, n) == 0 &&
	       strncmp(name + 1 + n, ".kmsign-", 8) == 0 && strlen(name + 1 + n + 8) == 6;
}

int km_tmpfile_cleanup(const char *target)
{
	_cleanup_free_ char *dcopy = strdup(target), *bcopy = strdup(target);
	const char *dir, *base;
	struct dirent *de;
	int removed = 0;
	DIR *d;

	if (!dcopy || !bcopy)
		return 0;
	dir = dirname(dcopy);
	base = basename(bcopy);
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (is_temp_of(de->d_name, base) && unlinkat(dirfd(d), de->d_name, 0) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}

mode_t km_file_mode(const char *path, mode_t dflt)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return dflt;
	return st.st_mode & 07777;
}

int km_write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode,
			 struct km_err *e)
{
	struct km_tmpfile t;
	int r;

	r = km_tmpfile_open(&t, path, e);
	if (r < 0)
		return r;
	r = km_tmpfile_write(&t, buf, len, e);
	if (r < 0) {
		km_tmpfile_abort(&t);
		return r;
	}
	return km_tmpfile_commit(&t, mode, e);
}

/* Helpers for the libFuzzer targets: inputs as files, for the parsers that read paths. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An in-memory file holding data; its path is written to path. Returns the fd or -1. */
static inline int fuzz_file(const uint8_t *data, size_t size, char *path, size_t psize)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	snprintf(path, psize, "/proc/self/fd/%d", fd);
	return fd;
}

/* Checks that bytes are a kernel module: a relocatable ELF with a .modinfo section. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Random access to the bytes being checked: a file or a buffer. */
struct km_reader {
	int fd; /* used when buf is NULL */
	const uint8_t *buf;
	uint64_t len; /* bytes that belong to the module (signature excluded) */
};

int km_reader_pread(const struct km_reader *r, void *dst, size_t len, uint64_t off,
		    struct km_err *e) _must_check_;

/* 0 for a module, -ENOEXEC with the reason otherwise. Every offset is bounds-checked. */
int km_elf_check_module(const struct km_reader *r, struct km_err *e) _must_check_;

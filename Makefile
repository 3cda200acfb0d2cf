# kmsign: kernel module signing through a PKCS#11 token (AWS KMS, HSMs).
#
#   make                 build build/kmsign and build/kms-sim.so
#   make check           unit and integration tests (the README's test command)
#   make check SANITIZE=1  the same, built with ASan and UBSan
#   make install PREFIX=/usr DESTDIR=...
#   make deps            install the Debian packages needed to build and test
#   make demo            the whole flow with the KMS stand-in (README)
#   make e2e             patch, build and boot real kernels (tests/e2e)
#   make bench           signing speed against the kernel's sign-file
#   make fuzz FUZZ_SECONDS=N

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
LIBDIR  ?= $(PREFIX)/lib
MANDIR  ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/kmsign
B       ?= build

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.1.0)

PKGS    := openssl libp11 json-c zlib liblzma libzstd
PKG_CONFIG ?= pkg-config

CC      ?= cc
CFLAGS  ?= -O2 -g
WARNINGS := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	-Wshadow -Wformat=2 -Wformat-security -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wvla -Wundef -Wnull-dereference -Wwrite-strings -Wno-format-truncation
ifneq ($(WERROR),0)
WARNINGS += -Werror
endif
ifeq ($(SANITIZE),1)
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
B       := build-san
endif
# OpenSSL 3 deprecates the EC/RSA method APIs libp11 builds on; kmsign uses the
# 1.1.1 API level so that one code path serves 1.1.1 and 3.x.
KM_CPPFLAGS := -D_GNU_SOURCE -DOPENSSL_API_COMPAT=0x10101000L -DKMSIGN_VERSION=\"$(VERSION)\" \
	-DKMSIGN_LIBDIR=\"$(LIBDIR)/kmsign\" -Itools/lib \
	$(shell $(PKG_CONFIG) --cflags $(PKGS) p11-kit-1)
KM_CFLAGS := -std=gnu11 $(WARNINGS) $(SAN) -pthread -fPIC
KM_LDLIBS := $(shell $(PKG_CONFIG) --libs $(PKGS)) -pthread -ldl

LIB_SRC  := $(sort $(wildcard tools/lib/*.c))
CMD_SRC  := $(sort $(wildcard tools/kmsign/*.c))
SIM_SRC  := $(sort $(wildcard tools/kms-sim/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
CMD_OBJ  := $(CMD_SRC:%.c=$(B)/%.o)
SIM_OBJ  := $(SIM_SRC:%.c=$(B)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

MAN      := $(sort $(wildcard man/*.[0-9]))

all: $(B)/kmsign $(B)/kms-sim.so

$(B)/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(KM_CPPFLAGS) $(CPPFLAGS) $(KM_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/libkmsign.a: $(LIB_OBJ)
	@echo "  AR      $@"
	@rm -f $@ && $(AR) rcs $@ $^

$(B)/kmsign: $(CMD_OBJ) $(B)/libkmsign.a
	@echo "  LD      $@"
	@$(CC) $(KM_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(KM_LDLIBS)

$(B)/kms-sim.so: $(SIM_OBJ) $(B)/libkmsign.a
	@echo "  LD      $@"
	@$(CC) $(KM_CFLAGS) $(CFLAGS) $(LDFLAGS) -shared -Wl,--no-undefined -o $@ $^ $(KM_LDLIBS)

$(B)/tests/%: $(B)/tests/unit/%.o $(B)/libkmsign.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	@$(CC) $(KM_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(KM_LDLIBS)

check: all $(UNIT_BIN)
	@$(if $(SAN),touch $(B)/.sanitize,rm -f $(B)/.sanitize)
	@B=$(B) tests/run $(TESTS)

install: all
	install -D -m 0755 $(B)/kmsign $(DESTDIR)$(BINDIR)/kmsign
	install -D -m 0755 $(B)/kms-sim.so $(DESTDIR)$(LIBDIR)/kmsign/kms-sim.so
	install -d $(DESTDIR)$(MANDIR)/man1
	install -m 0644 $(MAN) $(DESTDIR)$(MANDIR)/man1/
	install -D -m 0755 scripts/kmsign-apply $(DESTDIR)$(BINDIR)/kmsign-apply
	install -d $(DESTDIR)$(DATADIR)
	cp -R patches kconfig $(DESTDIR)$(DATADIR)/

deps:
	scripts/deps.sh

demo:
	B=$(B) scripts/demo.sh

e2e: all
	B=$(B) tests/e2e/run

bench: all
	B=$(B) bench/run

fuzz:
	B=$(B) tests/fuzz/run $(FUZZ_SECONDS)

FORMAT_FILES = $(LIB_SRC) $(CMD_SRC) $(SIM_SRC) $(UNIT_SRC) $(wildcard tools/*/*.h tests/unit/*.h tests/fuzz/*.[ch])

format:
	clang-format -i $(FORMAT_FILES)

format-check:
	@clang-format --dry-run --Werror $(FORMAT_FILES)

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
		-D__GNUC__ --std=c11 -Itools/lib tools/

clean:
	rm -rf build build-san

.SECONDARY:

.PHONY: all check install deps demo e2e bench fuzz format format-check lint clean

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(SIM_OBJ:.o=.d)

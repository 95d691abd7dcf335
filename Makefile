# minivmm — see README.md.  `make` builds ./minivmm; `make test` runs every test.
.DEFAULT_GOAL := all
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  := $(PREFIX)/bin
MANDIR  := $(PREFIX)/share/man/man1
DATADIR := $(PREFIX)/share/minivmm

VERSION := 0.1.0
CC      ?= cc
PKGS    := yaml-0.1 zlib libseccomp liblzma libzstd liblz4 lzo2 libxxhash
# SAN=1 builds everything with AddressSanitizer and UBSan into build-san/.
# FUZZ=1 builds the libraries with clang for libFuzzer into build-fuzz/.
ifeq ($(FUZZ),1)
  B       := build-fuzz
  CC      := clang
  SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=all
  OPT     := -O1
else ifeq ($(SAN),1)
  B       := build-san
  SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
  OPT     := -O1
else
  B       := build
  SANFLAGS :=
  OPT     := -O2
endif
CFLAGS  ?= $(OPT) -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -I. $(SANFLAGS) \
           -DMINIVMM_VERSION='"$(VERSION)"' \
           $(shell pkg-config --cflags $(PKGS))
LDFLAGS += $(SANFLAGS)
LDLIBS  := $(shell pkg-config --libs $(PKGS)) -lbz2 -lpthread -lm
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

# One static library per folder; data flows job -> initrd -> boot -> vmm <- virtio,
# with the command layer (cli/) on top of them all (docs/architecture.md).
DIRS := job initrd boot virtio vmm stats cli
MAIN := cli/main.c
srcs = $(filter-out $(MAIN),$(wildcard $(1)/*.c $(1)/*.S))
objs = $(patsubst %,$(B)/%.o,$(basename $(call srcs,$(1))))
$(foreach d,$(DIRS),$(eval $(B)/lib$(d).a: $(call objs,$(d))))
# What a test of folder X links with (X first, then what X uses).
libs_job    := $(B)/libjob.a
libs_initrd := $(B)/libinitrd.a
libs_boot   := $(B)/libboot.a
libs_stats  := $(B)/libstats.a
libs_virtio := $(B)/libvirtio.a $(B)/libvmm.a
libs_vmm    := $(B)/libvmm.a
libs_cli    := $(B)/libcli.a $(B)/libvmm.a $(B)/libvirtio.a $(B)/libboot.a $(B)/libinitrd.a \
               $(B)/libjob.a $(B)/libstats.a
ALL_LIBS    := $(libs_cli)

BIN := $(if $(filter 1,$(SAN)),minivmm-san,minivmm)

.PHONY: all test unit direct rig san fuzz fuzz-build deps install clean guest FORCE
all: $(BIN)

$(BIN): $(B)/cli/main.o $(ALL_LIBS)
	$(CC) $(LDFLAGS) -o $@ $< -Wl,--start-group $(ALL_LIBS) -Wl,--end-group $(LDLIBS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<
# The data directory built into the binary (its last resort, docs/install.md)
# is in job/datadir.o only; the stamp holds the DATADIR it was built for, so a
# `make install PREFIX=...` with another PREFIX rebuilds it before installing.
$(B)/job/datadir.o: CFLAGS += -DMINIVMM_DATADIR='"$(DATADIR)"'
$(B)/job/datadir.o: $(B)/datadir.stamp
$(B)/datadir.stamp: FORCE
	@mkdir -p $(B) && echo '$(DATADIR)' | cmp -s - $@ || echo '$(DATADIR)' >$@
FORCE:
# Text files built into the binary with .incbin.
$(B)/initrd/assets.o: initrd/init.sh
$(B)/job/assets.o: job/runtime.sh

$(B)/lib%.a:
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# Unit tests: tests/unit/FOLDER_name.c -> $(B)/tests/FOLDER_name, linked with libcheck.
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRCS))
testdir = $(firstword $(subst _, ,$(1)))
.SECONDEXPANSION:
$(B)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $$(libs_$$(call testdir,$$*))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $(LDFLAGS_$*) -o $@ $< -Wl,--start-group $(libs_$(call testdir,$*)) -Wl,--end-group $(LDLIBS) $(CHECK_LIBS)
# A test that makes one library call fail wraps it (the test defines __wrap_NAME).
LDFLAGS_virtio_mmio := -Wl,--wrap=virtq_chain_new
LDFLAGS_virtio_mmio_serve := -Wl,--wrap=virtq_chain_new

# The tiny guest the direct tests boot on this host's /dev/kvm.
guest: $(B)/guest/tinyguest.bzImage
$(B)/guest/tinyguest.bzImage: tests/guest/build.sh tests/guest/*.S tests/guest/*.c tests/guest/*.h tests/guest/*.ld
	tests/guest/build.sh $(B)/guest

# Fuzz targets: tests/fuzz/FOLDER_name.c (LLVMFuzzerTestOneInput) -> build-fuzz/fuzz/FOLDER_name,
# linked like a unit test of FOLDER; seeds in tests/fuzz/corpus/FOLDER_name/.
FUZZ_SRCS := $(wildcard tests/fuzz/*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build-fuzz/fuzz/%,$(FUZZ_SRCS))
$(B)/fuzz/%: tests/fuzz/%.c $(wildcard tests/fuzz/*.h) $$(libs_$$(call testdir,$$*))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< -Wl,--start-group $(libs_$(call testdir,$*)) -Wl,--end-group $(LDLIBS)
fuzz-build:
	$(MAKE) FUZZ=1 $(FUZZ_BINS)
# `make fuzz [FUZZ_TIME=S]`: every target for S seconds (default 60).
fuzz: fuzz-build
	FUZZ_TIME=$(or $(FUZZ_TIME),60) TESTS=fuzz tests/all

# `make test`: builds everything (normal, sanitizer and fuzz builds), then runs
# tests/all: unit, direct, san, fuzz and rig stages, ending with a total line.
test: all guest $(UNIT_BINS)
	$(MAKE) SAN=1 all guest $(patsubst $(B)/%,build-san/%,$(UNIT_BINS))
	$(MAKE) FUZZ=1 $(FUZZ_BINS)
	tests/all

# Single stages: make unit | direct | rig;  `make san` = unit + direct under ASan/UBSan.
unit: $(UNIT_BINS) guest
	TESTS=unit tests/all
direct: all guest
	TESTS=direct tests/all
rig: all
	TESTS=rig tests/all
san:
	$(MAKE) SAN=1 all guest $(patsubst $(B)/%,build-san/%,$(UNIT_BINS))
	TESTS=san tests/all

deps:
	tests/deps.sh

# `make install [PREFIX=/usr/local] [DESTDIR=]`: the binary (SAN=1: the
# sanitizer build, for tests/direct/install.sh under `make san`), the man page and
# programs/ (PREFIX/share/minivmm/programs, modes kept: executables 0755, the
# rest 0644).  The binary finds its data at ../share/minivmm from where it is,
# so it also works from a DESTDIR staging tree (docs/install.md).
install: $(BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(DATADIR)/programs
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/minivmm
	install -m 0644 docs/minivmm.1 $(DESTDIR)$(MANDIR)/minivmm.1
	cd programs && d='$(abspath $(DESTDIR)$(DATADIR))/programs' && \
	find . -type d -exec install -d "$$d/{}" ';' && \
	find . -type f -perm -u+x -exec install -m 0755 '{}' "$$d/{}" ';' && \
	find . -type f ! -perm -u+x -exec install -m 0644 '{}' "$$d/{}" ';'

clean:
	rm -rf build build-san build-fuzz minivmm minivmm-san

-include $(wildcard $(B)/*/*.d)

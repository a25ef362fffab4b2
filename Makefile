# Build and install libb2c for C (and any language that links a C library).
#
#   make                                    # cargo build --release
#   make install [PREFIX=/usr/local] [DESTDIR=] [LIBDIR=$(PREFIX)/lib]
#   make uninstall [PREFIX=...] [DESTDIR=...]
#   make install-bin                        # also the b2c and b2c-sandbox programs
#
# Installs (the libtool layout; README "Install: C"):
#   $(LIBDIR)/libb2c.so.X.Y.Z               the shared library
#   $(LIBDIR)/libb2c.so.0.MINOR -> ...      its SONAME (what programs load; libb2c.so.MAJOR from 1.0)
#   $(LIBDIR)/libb2c.so -> SONAME           the link-time name (-lb2c)
#   $(LIBDIR)/libb2c.a                      the static library
#   $(INCLUDEDIR)/b2c.h
#   $(LIBDIR)/pkgconfig/b2c.pc             gcc app.c $(pkg-config --cflags --libs b2c)
#   $(LIBDIR)/pkgconfig/b2c-static.pc      the same, linking libb2c.a
# DESTDIR is prepended to every path written (staged installs, packaging); the paths inside
# b2c.pc are the final ones. For a LIBDIR the system loader does not search (anything but
# /usr/lib*, /usr/local/lib*, /lib*), b2c.pc adds -Wl,-rpath so programs built with
# `pkg-config --libs b2c` start without LD_LIBRARY_PATH; RPATH=no turns that off.
# After installing into a system directory, run ldconfig.

PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR     ?= $(PREFIX)/bin
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR    ?=
RPATH      ?= auto
# RELOCATABLE=1 writes prefix=${pcfiledir}/../.. into the .pc files (for the release tarball,
# which may be unpacked anywhere); otherwise the .pc files name PREFIX.
RELOCATABLE ?= 0
CARGO      ?= cargo
INSTALL    ?= install
STRIP      ?= strip

ROOT    := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
REL     ?= $(ROOT)/target/release
VERSION := $(shell $(ROOT)/scripts/version.sh)
SONAME  := $(shell $(ROOT)/scripts/soname.sh)
REALNAME := libb2c.so.$(VERSION)
# What a static link of libb2c.a needs besides it (rustc --print native-static-libs).
LIBS_PRIVATE := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc

SYSTEM_LIBDIRS := /usr/lib /usr/lib64 /usr/local/lib /usr/local/lib64 /lib /lib64 \
	/usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu
ifeq ($(RPATH),auto)
  RPATH_FLAG := $(if $(filter $(patsubst %/,%,$(LIBDIR)),$(SYSTEM_LIBDIRS)),,-Wl,-rpath,$${libdir})
else ifeq ($(RPATH),no)
  RPATH_FLAG :=
else
  RPATH_FLAG := -Wl,-rpath,$${libdir}
endif

ifeq ($(RELOCATABLE),1)
  PC_PREFIX := $${pcfiledir}/../..
  PC_LIBDIR := $${prefix}/lib
  PC_INCLUDEDIR := $${prefix}/include
else
  PC_PREFIX := $(PREFIX)
  PC_LIBDIR := $(LIBDIR)
  PC_INCLUDEDIR := $(INCLUDEDIR)
endif
PC_SED := -e 's|@PREFIX@|$(PC_PREFIX)|' -e 's|@LIBDIR@|$(PC_LIBDIR)|' -e 's|@INCLUDEDIR@|$(PC_INCLUDEDIR)|' \
	-e 's|@VERSION@|$(VERSION)|' -e 's|@RPATH@|$(RPATH_FLAG)|' -e 's|@LIBS_PRIVATE@|$(LIBS_PRIVATE)|'

.PHONY: all build install install-lib install-bin uninstall print-soname

all: build

build:
	cd $(ROOT) && $(CARGO) build --release

# Install what `make` built; build first only if it is missing (so `sudo make install` after
# `make` never runs cargo as root).
$(REL)/libb2c.so $(REL)/libb2c.a $(REL)/b2c $(REL)/b2c-sandbox:
	cd $(ROOT) && $(CARGO) build --release

install: install-lib

install-lib: $(REL)/libb2c.so $(REL)/libb2c.a
	$(INSTALL) -d "$(DESTDIR)$(LIBDIR)" "$(DESTDIR)$(INCLUDEDIR)" "$(DESTDIR)$(PKGCONFIGDIR)"
	$(INSTALL) -m 755 "$(REL)/libb2c.so" "$(DESTDIR)$(LIBDIR)/$(REALNAME)"
	ln -sfn "$(REALNAME)" "$(DESTDIR)$(LIBDIR)/$(SONAME)"
	ln -sfn "$(SONAME)" "$(DESTDIR)$(LIBDIR)/libb2c.so"
	$(INSTALL) -m 644 "$(REL)/libb2c.a" "$(DESTDIR)$(LIBDIR)/libb2c.a"
	-$(STRIP) --strip-debug "$(DESTDIR)$(LIBDIR)/libb2c.a"
	$(INSTALL) -m 644 "$(ROOT)/include/b2c.h" "$(DESTDIR)$(INCLUDEDIR)/b2c.h"
	sed $(PC_SED) "$(ROOT)/pkgconfig/b2c.pc.in" > "$(DESTDIR)$(PKGCONFIGDIR)/b2c.pc"
	sed $(PC_SED) "$(ROOT)/pkgconfig/b2c-static.pc.in" > "$(DESTDIR)$(PKGCONFIGDIR)/b2c-static.pc"
	chmod 644 "$(DESTDIR)$(PKGCONFIGDIR)/b2c.pc" "$(DESTDIR)$(PKGCONFIGDIR)/b2c-static.pc"
	@echo "installed libb2c $(VERSION) (SONAME $(SONAME)) into $(DESTDIR)$(LIBDIR)"

install-bin: $(REL)/b2c $(REL)/b2c-sandbox
	$(INSTALL) -d "$(DESTDIR)$(BINDIR)"
	$(INSTALL) -m 755 "$(REL)/b2c" "$(REL)/b2c-sandbox" "$(DESTDIR)$(BINDIR)/"

uninstall:
	rm -f "$(DESTDIR)$(LIBDIR)/$(REALNAME)" "$(DESTDIR)$(LIBDIR)/$(SONAME)" \
	      "$(DESTDIR)$(LIBDIR)/libb2c.so" "$(DESTDIR)$(LIBDIR)/libb2c.a" \
	      "$(DESTDIR)$(INCLUDEDIR)/b2c.h" "$(DESTDIR)$(PKGCONFIGDIR)/b2c.pc" \
	      "$(DESTDIR)$(PKGCONFIGDIR)/b2c-static.pc" \
	      "$(DESTDIR)$(BINDIR)/b2c" "$(DESTDIR)$(BINDIR)/b2c-sandbox"

print-soname:
	@echo $(SONAME)

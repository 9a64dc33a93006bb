# tproxy2: TPROXY 2.0 for Linux 6.12 -- build, test, package.
#
#   make            the patched UML test kernel, the iptables extensions,
#                   the tools and the test programs
#   make check      all of that, then boot the kernel and run every test
#   make patch      dist/: the series (git format-patch mails) and one -p1 patch
#
# Everything built goes under build/ (and dist/).

KVER		:= 6.12
TARBALL		?= /usr/src/linux-source-$(KVER).tar.xz
TOP		:= $(abspath .)
B		:= $(TOP)/build
KSRC		:= $(B)/linux-source-$(KVER)
UML		:= $(B)/uml
JOBS		?= $(shell echo $$(($$(nproc) + 1)))
XTLIBDIR	:= $(B)/xtables
BIN		:= $(B)/bin

KFILES		:= $(shell find net include Documentation tools/testing -type f 2>/dev/null)
PATCHES		:= $(sort $(wildcard patches/*.patch))
CONFIG		:= kernel/test.config

CC		?= gcc
CFLAGS		?= -O2 -g
WFLAGS		:= -Wall -Wextra -Wno-unused-parameter
UAPI		:= -I$(TOP)/include/uapi

TEST_PROGS	:= tpt-server tpt-client tpt-proxy tpt-sockref tpt-reuse tpt-fuzz tpt-soak tpt-udp tpt-failnth
TEST_BINS	:= $(addprefix $(BIN)/,$(TEST_PROGS))
EXTENSIONS	:= $(XTLIBDIR)/libipt_TPROXY.so $(XTLIBDIR)/libipt_tproxy.so \
		   $(XTLIBDIR)/libip6t_TPROXY.so $(XTLIBDIR)/libip6t_tproxy.so
# libipt_TPROXY and libip6t_TPROXY in one, for make install (scripts/install.sh)
XTSYS		:= $(B)/xtables-sys/libxt_TPROXY.so

.PHONY: all deps kernel nft-kernel x86-kernel userspace nft check check-smp demo fuzz soak bench patch patch-check install uninstall clean distclean
all: kernel userspace

deps: $(B)/.deps
$(B)/.deps: scripts/install-deps.sh
	@scripts/install-deps.sh
	@mkdir -p $(B) && touch $@

# The kernel tree: pristine source + our files + patches/.
$(B)/.assembled: $(B)/.deps $(KFILES) $(PATCHES) scripts/assemble.sh
	@scripts/assemble.sh $(TARBALL) $(KSRC) $(TOP) $(B)/applied-patches
	@touch $@

$(UML)/.config: $(CONFIG) kernel/uml.config $(PATCHES) scripts/kconfig.sh | $(B)/.assembled
	@scripts/kconfig.sh um $(KSRC) $(UML) $(CONFIG) kernel/uml.config
	@touch $@

# ccache where it is installed (scripts/install-deps.sh installs it), for
# rebuilds after a make clean or of a second tree.
KCC		:= $(shell command -v ccache >/dev/null 2>&1 && echo "ccache gcc" || echo gcc)

kernel: $(UML)/linux
$(UML)/linux: $(UML)/.config $(B)/.assembled
	$(MAKE) -s -C $(KSRC) ARCH=um O=$(UML) CC="$(KCC)" -j$(JOBS) linux
	@touch $@

# The test kernel without legacy iptables (no ip_tables, no ip6_tables):
# TPROXY 2.0's socket API and its nft expression, for make check's third
# boot.  The test config less the legacy tables, plus kernel/uml.config and
# kernel/nft-only.config.
# Its tree starts as a copy of the test kernel's (objects, times and the
# CONFIG_ dependencies kbuild records): kbuild then rebuilds only what the
# config change touches.  (ccache cannot share objects between the two:
# each config's autoconf.h has its own lines, which every file's
# preprocessed output counts.)
NFT_UML		:= $(B)/uml-nft
NFT_LEGACY	:= IP_NF_[A-Z0-9_]*|IP6_NF_[A-Z0-9_]*
$(B)/nft-base.config: $(CONFIG) Makefile | $(B)/.deps
	@grep -v -E '^CONFIG_($(NFT_LEGACY))=' $(CONFIG) >$@
$(NFT_UML)/.config: $(B)/nft-base.config kernel/uml.config kernel/nft-only.config $(PATCHES) scripts/kconfig.sh | $(B)/.assembled $(UML)/linux
	@[ -d $(NFT_UML) ] || { echo "  COPY    $(UML) -> $(NFT_UML)"; cp -a $(UML) $(NFT_UML); }
	@scripts/kconfig.sh um $(KSRC) $(NFT_UML) $(B)/nft-base.config kernel/uml.config kernel/nft-only.config
	@touch $@
nft-kernel: $(NFT_UML)/linux
$(NFT_UML)/linux: $(NFT_UML)/.config $(B)/.assembled
	$(MAKE) -s -C $(KSRC) ARCH=um O=$(NFT_UML) CC="$(KCC)" -j$(JOBS) linux
	@touch $@

TOOLS		:= $(BIN)/tproxy-conntrack $(BIN)/tproxy-relay
# the IP_TPROXY and IPV6_TPROXY calls, shared by the relay, the test programs and the bench
ITP		:= tools/tproxy2-sockopt.c tools/tproxy2-sockopt.h include/uapi/linux/netfilter_ipv4/ip_tproxy.h \
		   include/uapi/linux/netfilter_ipv6/ip6_tproxy.h

userspace: $(EXTENSIONS) $(XTSYS) $(TEST_BINS) $(TOOLS) $(BIN)/tpt-bench $(BIN)/tpt-nftnl $(B)/man/iptables-tproxy2.8 $(BIN)/tproxy2_sock nft

# The patched libnftnl and nft (the tproxy2 statement), from the vendored
# tarballs (NFT_VENDOR) and extensions/nft/, with nft.8 beside it:
# scripts/build-nft.sh (make -j2 inside)
NFT_VENDOR	?= $(firstword $(wildcard $(TOP)/../shared/vendor) /work/shared/vendor)
NFT_INPUTS	:= $(wildcard extensions/nft/libnftnl/* extensions/nft/nftables/*) \
		   $(wildcard $(NFT_VENDOR)/*.tar.xz) scripts/build-nft.sh
nft: $(B)/nft/sbin/nft
$(B)/nft/sbin/nft: $(NFT_INPUTS) | $(B)/.deps
	@scripts/build-nft.sh $(TOP) $(NFT_VENDOR) $(B)/nft

$(BIN)/tproxy-relay: tools/tproxy-relay.c $(ITP) | $(B)/.deps
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(WFLAGS) $(UAPI) -Itools -o $@ $< tools/tproxy2-sockopt.c

$(BIN)/tproxy-conntrack: tools/tproxy-conntrack.c $(ITP) | $(B)/.deps
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(WFLAGS) $(UAPI) -Itools -o $@ $< tools/tproxy2-sockopt.c -lnetfilter_conntrack

XTDEPS		:= $(wildcard extensions/*.c extensions/*.h include/uapi/linux/netfilter/*.h) \
		   $(wildcard include/uapi/linux/netfilter_ipv4/*.h include/uapi/linux/netfilter_ipv6/*.h)
$(XTLIBDIR)/%.so: extensions/%.c $(XTDEPS) | $(B)/.deps
	@mkdir -p $(XTLIBDIR)
	$(CC) $(CFLAGS) $(WFLAGS) $(UAPI) -fPIC -shared -o $@ $< -lxtables
$(XTSYS): extensions/libipt_TPROXY.c extensions/libip6t_TPROXY.c $(XTDEPS) | $(B)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WFLAGS) $(UAPI) -fPIC -shared -o $@ extensions/libipt_TPROXY.c \
		extensions/libip6t_TPROXY.c -lxtables

# raw nf_tables netlink, below nft (libmnl)
$(BIN)/tpt-nftnl: tests/src/tpt-nftnl.c | $(B)/.deps
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(WFLAGS) -o $@ $< -lmnl

$(BIN)/tpt-%: tests/src/tpt-%.c tests/src/tpt.c tests/src/tpt.h $(ITP) | $(B)/.deps
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(WFLAGS) $(UAPI) -Itools -o $@ $< tests/src/tpt.c tools/tproxy2-sockopt.c -lpthread

# the kselftests' helper: kernel-tree code, on its own (no tools/, no tests/src/)
KSFT_NF		:= tools/testing/selftests/net/netfilter
$(BIN)/tproxy2_sock: $(KSFT_NF)/tproxy2_sock.c include/uapi/linux/netfilter_ipv4/ip_tproxy.h \
		include/uapi/linux/netfilter_ipv6/ip6_tproxy.h | $(B)/.deps
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(WFLAGS) $(UAPI) -o $@ $<

check: all $(NFT_UML)/linux
	@TPT_NFT_KERNEL=$(NFT_UML)/linux scripts/check.sh $(TOP) $(UML)/linux $(B)/check $(TESTS)

# The demo scenario (also part of make check), printed for a person.
demo: all
	@scripts/check.sh $(TOP) $(UML)/linux $(B)/demo 40-demo.sh >$(B)/demo.tap; rc=$$?; \
	cat $(B)/demo/uml/logs/40-demo.log 2>/dev/null || cat $(B)/demo.tap; exit $$rc

PREFIX		?= /usr/local
XTABLES_SYSDIR	:= $(shell pkg-config --variable=xtlibdir xtables 2>/dev/null || echo /usr/lib/x86_64-linux-gnu/xtables)

XTMAN		:= extensions/libipt_TPROXY.man extensions/libip6t_TPROXY.man \
		   extensions/libipt_tproxy.man extensions/libip6t_tproxy.man
$(B)/man/iptables-tproxy2.8: $(XTMAN) scripts/mkman.sh
	@mkdir -p $(B)/man
	@scripts/mkman.sh $@ $(XTMAN)

# DESTDIR and PREFIX as usual; XTABLES_SYSDIR is where libxtables looks.
# The extension goes there also as libxt_TPROXY.so, the system's put aside
# (dpkg-divert): scripts/install.sh says why.  make uninstall undoes it all.
install: userspace
	@sh scripts/install.sh install $(B) "$(DESTDIR)" $(PREFIX) $(XTABLES_SYSDIR)

uninstall:
	@sh scripts/install.sh uninstall $(B) "$(DESTDIR)" $(PREFIX) $(XTABLES_SYSDIR)

# A long IP_TPROXY fuzzing run: make fuzz DURATION=600; with FAILSLAB=1,
# failslab fails the fuzzer's allocations (FAILSLAB_PROBABILITY percent)
DURATION	?= 600
FAILSLAB_PROBABILITY ?= 5
FUZZ_TEST	:= 50-sockopt-fuzz$(if $(FAILSLAB),-failslab).sh
fuzz: all
	@TPT_FUZZ_SECONDS=$(DURATION) TPT_TEST_TIMEOUT=$$(($(DURATION) + 120)) \
		TPT_BOOT_TIMEOUT=$$(($(DURATION) + 300)) TPT_FUZZ_PROBABILITY=$(FAILSLAB_PROBABILITY) \
		scripts/check.sh $(TOP) $(UML)/linux $(B)/fuzz$(if $(FAILSLAB),-failslab) $(FUZZ_TEST)

# make bench: figures from a second UML kernel without the debugging
BENCH_UML	:= $(B)/uml-bench
BENCH_DEBUG	:= KASAN|KASAN_GENERIC|KASAN_VMALLOC|PROVE_LOCKING|DEBUG_ATOMIC_SLEEP|DEBUG_KMEMLEAK|DEBUG_KMEMLEAK_AUTO_SCAN|LKDTM
$(B)/bench-base.config: $(CONFIG) Makefile | $(B)/.deps
	@grep -v -E '^CONFIG_($(BENCH_DEBUG))=' $(CONFIG) >$@
$(BENCH_UML)/.config: $(B)/bench-base.config kernel/bench.config $(PATCHES) scripts/kconfig.sh | $(B)/.assembled
	@scripts/kconfig.sh um $(KSRC) $(BENCH_UML) $(B)/bench-base.config kernel/bench.config
	@touch $@
$(BENCH_UML)/linux: $(BENCH_UML)/.config $(B)/.assembled
	$(MAKE) -s -C $(KSRC) ARCH=um O=$(BENCH_UML) CC="$(KCC)" -j$(JOBS) linux
	@touch $@
$(BIN)/tpt-bench: tests/bench/tpt-bench.c $(ITP) | $(B)/.deps
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) $(WFLAGS) $(UAPI) -Itools -o $@ $< tools/tproxy2-sockopt.c
bench: $(BENCH_UML)/linux userspace $(BIN)/tpt-bench
	@scripts/bench.sh $(TOP) $(BENCH_UML)/linux $(B)/bench

# make check-smp: the concurrency tests on an x86_64 kernel with the same
# debugging, under qemu with SMP CPUs (KVM where it boots that kernel, else
# TCG: scripts/kvm-usable.sh)
X86		:= $(B)/x86
SMP		?= 2
SMP_TESTS	?= 52-parallel-sockrefs.sh 50-sockopt-fuzz.sh 26-udp-sessions.sh \
		   28-slow-peer-after-close.sh
$(X86)/.config: $(CONFIG) kernel/qemu.config $(PATCHES) scripts/kconfig.sh | $(B)/.assembled
	@scripts/kconfig.sh x86_64 $(KSRC) $(X86) $(CONFIG) kernel/qemu.config
	@touch $@
$(X86)/arch/x86/boot/bzImage: $(X86)/.config $(B)/.assembled
	$(MAKE) -s -C $(KSRC) ARCH=x86_64 O=$(X86) -j$(JOBS) bzImage
	@touch $@
x86-kernel: $(X86)/arch/x86/boot/bzImage
check-smp: $(X86)/arch/x86/boot/bzImage userspace
	@scripts/install-deps.sh smp
	@TPT_VM=qemu TPT_SMP=$(SMP) TPT_TEST_TIMEOUT=900 TPT_BOOT_TIMEOUT=5400 TPT_UDP_LOSS_MS=20000 \
		scripts/check.sh $(TOP) $(X86)/arch/x86/boot/bzImage $(B)/smp $(SMP_TESTS)

# The full soak: make soak CONNECTIONS=10000
CONNECTIONS	?= 10000
soak: all
	@TPT_SOAK_CONNECTIONS=$(CONNECTIONS) TPT_TEST_TIMEOUT=1200 TPT_BOOT_TIMEOUT=1500 TPT_MEM=2G \
		scripts/check.sh $(TOP) $(UML)/linux $(B)/soak 51-soak.sh 51-soak-dual.sh

patch: $(B)/.assembled
	@scripts/mkpatch.sh $(TARBALL) $(TOP) $(TOP)/dist

# Not part of make check: every prefix of dist/series/ built, =y and =m
# (PATCH_CHECK_FROM=N: from the prefix before patch N on).
PATCH_CHECK_FROM ?= 1
patch-check: patch
	@CC="$(KCC)" PATCH_CHECK_FROM=$(PATCH_CHECK_FROM) scripts/patch-check.sh $(TOP) $(TARBALL)

clean:
	rm -rf $(B)/check $(BIN) $(XTLIBDIR) $(dir $(XTSYS)) dist
	-$(MAKE) -s -C $(KSRC) ARCH=um O=$(UML) clean 2>/dev/null

distclean:
	rm -rf build dist

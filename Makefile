# qcpu — see README.md. Every target works on a fresh Debian 12 machine as root.
SWIFT      ?= swift
PREFIX     ?= /usr/local
DESTDIR    ?=
QEMU_X86   ?= /usr/bin/qemu-system-x86_64
SNAPSHOT   ?= Snapshots/qemu-7.2.22.sqlite
# QEMU 10.0.2 from bookworm-backports, unpacked beside the installed 7.2 (scripts/fetch-qemu-backports.sh).
QEMU10     := vendor/qemu-backports/usr/bin/qemu-system-x86_64
SNAPSHOT10 := Snapshots/qemu-10.0.2.sqlite
# Binaries harvested into the shipped snapshot (TCG only: host-independent).
SNAPSHOT_BINARIES ?= /usr/bin/qemu-system-x86_64 /usr/bin/qemu-system-aarch64 \
                     /usr/bin/qemu-system-ppc64 /usr/bin/qemu-system-s390x /usr/bin/qemu-system-riscv64
# Debian packages: to build (and query the shipped snapshot), and to test and harvest.
BUILD_DEBS := libsqlite3-dev sqlite3
# libvirt's daemon and virsh: the host import is checked against a live libvirtd's capabilities cache.
TEST_DEBS  := $(BUILD_DEBS) qemu-system-x86 qemu-system-arm qemu-system-misc qemu-system-ppc python3 \
              libvirt-daemon-system libvirt-clients

QCPU_RELEASE := .build/release/qcpu
# Release builds link Swift's runtime and Foundation statically: qcpu starts in a third of the time
# (docs/benchmarks.md, "Static or dynamic"); libc, libstdc++ and SQLite stay Debian's shared ones.
RELEASE_FLAGS := -c release --static-swift-stdlib

.PHONY: all build release deps build-deps qemu-backports qemu-releases libvirt-source test demo snapshots snapshot-files snapshot-sums snapshot-release bench fuzz fixtures release-fixtures man install install-check clean

all: build

# Installs the Debian packages in $(1) that are missing (as root, as on CI).
define install_debs
	@missing=""; for p in $(1); do dpkg -s $$p 2>/dev/null | grep -q '^Status: install ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi
endef

build-deps:
	$(call install_debs,$(BUILD_DEBS))

deps:
	$(call install_debs,$(TEST_DEBS))

build: build-deps
	$(SWIFT) build

release: build-deps
	$(SWIFT) build $(RELEASE_FLAGS)

# The main job on the shipped snapshot: no QEMU needed.
demo: release
	$(QCPU_RELEASE) validate $(SNAPSHOT)
	$(QCPU_RELEASE) builds
	$(QCPU_RELEASE) show Cascadelake-Server --machine pc-i440fx-3.1 --qemu-version 7.2 --offline
	$(QCPU_RELEASE) features --model Cascadelake-Server --feature mpx --qemu-version 7.2 --offline --format plain | paste - - - - - -
	$(QCPU_RELEASE) which --feature avx512f --machine q35 --offline

qemu-backports: deps
	scripts/fetch-qemu-backports.sh

# libvirt 11.3.0's capabilities test data (recorded on real hosts, QEMU 6.2 to 10.0) into vendor/libvirt-src.
libvirt-source:
	scripts/fetch-libvirt-source.sh

test: deps qemu-backports libvirt-source
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# libFuzzer on every parser (fuzz/, a package of its own: never built by `build` or `test`).
# FUZZ_RUNS inputs per parser (default 1,000,000), the snapshot reader FUZZ_SNAPSHOT_SECONDS.
fuzz: build-deps
	SWIFT=$(SWIFT) scripts/fuzz.sh

# Regenerate the shipped snapshots, one QEMU release at a time, niced, and check that every file is
# byte for byte the committed one (Snapshots/SHA256SUMS). SOURCE_DATE_EPOCH is the QEMU binary's mtime
# (the package's build time), so any machine with the same QEMU packages writes the same bytes.
# 7.2.22 (installed) and 10.0.2 (bookworm-backports) also get host-independent KVM rows of their named
# models (--kvm-models): light host records take each model's KVM definition from them; that needs a
# usable /dev/kvm (any vendor). The releases of other suites (RELEASES: bullseye's 5.2, trixie's 10.0.13,
# sid's 11.1.3) are fetched once into vendor/qemu-releases (scripts/fetch-qemu-release.sh) and harvested
# TCG only through their own loader and libraries (scripts/harvest-release.sh).
# After a deliberate change of the bytes (a new schema): `make snapshot-sums` regenerates every file
# and rewrites SHA256SUMS; `make snapshot-release RELEASE=11.1.3` regenerates one release.
KVM_MODELS := --accel kvm --kvm-models
RELEASES   := 5.2 10.0.13 11.1.3
NICE       := nice -n 10
snapshots: snapshot-files
	cd Snapshots && sha256sum -c SHA256SUMS

snapshot-sums: snapshot-files
	cd Snapshots && sha256sum *.sqlite > SHA256SUMS
	cat Snapshots/SHA256SUMS

snapshot-files: release
	@[ -r /dev/kvm ] && [ -w /dev/kvm ] || { echo "make snapshots needs a usable /dev/kvm (KVM rows of named models)"; exit 1; }
	SOURCE_DATE_EPOCH=$$(stat -c %Y $(QEMU_X86)) $(NICE) $(QCPU_RELEASE) harvest --accel tcg $(KVM_MODELS) \
	  $(foreach b,$(SNAPSHOT_BINARIES),--qemu $(b)) -o $(SNAPSHOT)
	$(QCPU_RELEASE) validate $(SNAPSHOT)
	$(MAKE) qemu-backports
	SOURCE_DATE_EPOCH=$$(stat -c %Y $(QEMU10)) $(NICE) $(QCPU_RELEASE) harvest --accel tcg $(KVM_MODELS) --qemu $(QEMU10) \
	  --qemu-arg -L --qemu-arg vendor/qemu-backports/usr/share/qemu -o $(SNAPSHOT10)
	$(QCPU_RELEASE) validate $(SNAPSHOT10)
	for r in $(RELEASES); do scripts/harvest-release.sh $$r $(QCPU_RELEASE) Snapshots || exit 1; done

snapshot-release: release
	scripts/harvest-release.sh $(RELEASE) $(QCPU_RELEASE) Snapshots

# Fetch the QEMU releases of the other suites (once; make snapshots does it too).
qemu-releases:
	for r in $(RELEASES); do scripts/fetch-qemu-release.sh $$r || exit 1; done

# Re-record the transcripts the unit tests replay (real QEMU conversations).
fixtures: release
	rm -rf Tests/QCPUTestSupport/Fixtures/x86_64 Tests/QCPUTestSupport/Fixtures/aarch64
	$(QCPU_RELEASE) harvest --qemu $(QEMU_X86) --accel tcg --accel kvm \
	  --machine pc-i440fx-1.4 --machine pc-i440fx-3.1 --machine pc-i440fx-4.0 --machine pc-q35-7.2 --machine microvm \
	  --model Cascadelake-Server --model 'Cascadelake-Server-v[15]' --model qemu64 --model base --model host \
	  --record Tests/QCPUTestSupport/Fixtures/x86_64 -o /tmp/qcpu-fixture-x86_64.sqlite
	$(QCPU_RELEASE) harvest --qemu /usr/bin/qemu-system-aarch64 --accel tcg --machine virt-7.2 \
	  --model cortex-a57 --model max --model host \
	  --record Tests/QCPUTestSupport/Fixtures/aarch64 -o /tmp/qcpu-fixture-aarch64.sqlite
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then \
	  rm -rf Tests/QCPUTestSupport/Fixtures/host-x86_64; \
	  $(QCPU_RELEASE) host capture --qemu $(QEMU_X86) --machine pc-q35-7.2 --machine microvm \
	    --record Tests/QCPUTestSupport/Fixtures/host-x86_64 -o /tmp/qcpu-fixture-host.sqlite; \
	else echo "no usable /dev/kvm: Fixtures/host-x86_64 kept as recorded"; fi
	# libvirt's CPU probe as qcpu's recorder plays it (two phases, KVM then TCG, so it needs KVM).
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then \
	  rm -f Tests/QCPUTestSupport/Fixtures/libvirt/caps_*; \
	  $(QCPU_RELEASE) harvest --libvirt-probe --qemu $(QEMU_X86) --qemu /usr/bin/qemu-system-riscv64 \
	    --record Tests/QCPUTestSupport/Fixtures/libvirt -o /tmp/qcpu-fixture-libvirt.sqlite; \
	else echo "no usable /dev/kvm: Fixtures/libvirt kept as recorded"; fi

# Re-record the small transcripts of the other suites' releases (x86_64, two machine types, three models).
release-fixtures: release
	for r in $(RELEASES); do scripts/record-release-fixtures.sh $$r $(QCPU_RELEASE) || exit 1; done

# OLD_QCPU: an older qcpu build (e.g. of 686efa9, before light host records) for the capture rows.
bench: deps release
	python3 bench/run_bench.py --qcpu $(QCPU_RELEASE) --qemu $(QEMU_X86) --snapshot $(SNAPSHOT) --out docs/benchmarks.md

# The man page's date: SOURCE_DATE_EPOCH when set (reproducible packages), else today.
MAN_DATE := $(shell date -u -d @$${SOURCE_DATE_EPOCH:-$$(date +%s)} +%Y-%m-%d)

man: release
	mkdir -p $(CURDIR)/.build/man
	$(SWIFT) package plugin --allow-writing-to-package-directory generate-manual --configuration release \
	  --date $(MAN_DATE) --authors "the qcpu developers" --section 1 --output-directory $(CURDIR)/.build/man

install: release man
	install -D -m 0755 $(QCPU_RELEASE) $(DESTDIR)$(PREFIX)/bin/qcpu
	install -d $(DESTDIR)$(PREFIX)/share/qcpu/snapshots
	install -m 0644 Snapshots/*.sqlite $(DESTDIR)$(PREFIX)/share/qcpu/snapshots/
	install -D -m 0644 .build/man/qcpu.1 $(DESTDIR)$(PREFIX)/share/man/man1/qcpu.1
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	$(QCPU_RELEASE) --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/qcpu
	$(QCPU_RELEASE) --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_qcpu
	$(QCPU_RELEASE) --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/qcpu.fish

# Installs into a staging directory outside the checkout and asks the installed qcpu a question with
# no flags: it must answer from <prefix>/share/qcpu/snapshots.
STAGE ?= /tmp/qcpu-install-check
install-check:
	rm -rf $(STAGE) && $(MAKE) install PREFIX=/usr DESTDIR=$(STAGE)
	cd / && env -u QCPU_SNAPSHOT_PATH HOME=/nonexistent $(STAGE)/usr/bin/qcpu path
	cd / && env -u QCPU_SNAPSHOT_PATH HOME=/nonexistent $(STAGE)/usr/bin/qcpu show Cascadelake-Server \
	  --machine pc-i440fx-3.1 --qemu-version 7.2 --offline > $(STAGE)/answer 2>&1
	grep -q 'stepping     5' $(STAGE)/answer
	grep -q 'source: snapshot $(STAGE)/usr/share/qcpu/snapshots/qemu-' $(STAGE)/answer
	grep -q '^\.Dt QCPU 1' $(STAGE)/usr/share/man/man1/qcpu.1
	grep -q '_qcpu' $(STAGE)/usr/share/bash-completion/completions/qcpu
	@echo "install-check: the installed qcpu answers from $(STAGE)/usr/share/qcpu/snapshots"

clean:
	rm -rf .build

#!/bin/bash
# Installs the Debian 12 packages needed to build kmsign, run its tests, the
# kernel end-to-end proof and the benchmark. Idempotent; needs root.
set -euo pipefail

PACKAGES=(
	# build
	build-essential pkg-config libssl-dev libp11-dev libjson-c-dev libp11-kit-dev
	zlib1g-dev liblzma-dev libzstd-dev libelf-dev
	# tokens and tools the tests drive
	softhsm2 opensc openssl libengine-pkcs11-openssl kmod xz-utils zstd gzip python3
	# kernels: trees, headers for test modules, building and booting them
	linux-source-6.1 linux-headers-amd64 bc bison flex cpio rsync dwarves
	qemu-system-x86 busybox-static tmux
	# kernel integration (tests/e2e, make demo): the 6.12 tree, menuconfig
	linux-source-6.12 libncurses-dev
	# fuzzing
	clang libclang-rt-14-dev
	# style
	clang-format cppcheck
	# benchmark
	time hyperfine
)

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# Debian 11's linux-source-5.10 (the 5.10 series, as in Jetpack 5) for the
# kernel proof: downloaded into the cache, not installed, through a package
# list of its own, so the system's apt sources are left alone.
bullseye_source() {
	local cache d lists deb
	cache=${KMSIGN_CACHE:-$(cd "$(dirname "$0")/.." && pwd)/.cache}
	d=$cache/debs
	ls "$d"/linux-source-5.10_*_all.deb >/dev/null 2>&1 && return 0
	lists=$cache/apt-bullseye
	mkdir -p "$d" "$lists/lists/partial" "$lists/cache/archives/partial"
	echo "deb http://deb.debian.org/debian bullseye main" >"$lists/sources.list"
	local apt=(-qq -o Dir::Etc::sourcelist="$lists/sources.list" -o Dir::Etc::sourceparts=-
		-o Dir::State::Lists="$lists/lists" -o Dir::Cache="$lists/cache" -o APT::Sandbox::User="$(id -un)")
	echo "deps: downloading Debian 11's linux-source-5.10"
	apt-get "${apt[@]}" update >/dev/null
	(cd "$d" && apt-get "${apt[@]}" download linux-source-5.10 >/dev/null)
	deb=$(ls "$d"/linux-source-5.10_*_all.deb)
	echo "deps: $(basename "$deb")"
}

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#PACKAGES[@]} packages installed"
	bullseye_source
	exit 0
fi
echo "deps: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
bullseye_source
echo "deps: done"

#!/bin/bash
# scripts/kmsign-apply and scripts/gen-patches on the files the patches touch,
# taken from Debian's linux-source-5.10, -6.1 and -6.12 trees: applies whole,
# idempotent, git am works, a modified or unknown tree is refused untouched.
. "$(dirname "$0")/lib.sh"
need_cmd patch git xz

APPLY=$SRCDIR/scripts/kmsign-apply
expect_ok "$SRCDIR/scripts/gen-patches" --check

# tree SERIES DIR: the files of Debian's tree for SERIES that the patches
# touch (5.10: Debian 11's package, which scripts/deps.sh downloads).
tree() {
	local tb=/usr/src/linux-source-$1.tar.xz deb files
	files=(Makefile certs/Kconfig certs/Makefile scripts/Makefile.modinst)
	case $1 in
	5.10) files+=(init/Kconfig scripts/Makefile.modsign) ;;
	*) files+=(kernel/module/Kconfig) ;;
	esac
	mkdir -p "$2"
	if [ "$1" = 5.10 ]; then
		deb=$(ls "$CACHE"/debs/linux-source-5.10_*_all.deb 2>/dev/null | tail -1)
		[ -n "$deb" ] || skip "linux-source-5.10 was not downloaded (scripts/deps.sh)"
		dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-5.10.tar.xz |
			tar -xJ -C "$2" --strip-components=1 "${files[@]/#/linux-source-$1/}"
		return
	fi
	[ -r "$tb" ] || skip "$tb is not installed (scripts/deps.sh)"
	tar -xf "$tb" -C "$2" --strip-components=1 "${files[@]/#/linux-source-$1/}"
}

for v in 5.10 6.1 6.12; do
	tree "$v" "$T/$v"
	cp -r "$T/$v" "$T/$v.orig"

	expect_ok "$APPLY" "$T/$v"
	assert_grep "applied CONFIG_MODULE_SIG_KMS to .* \(Linux $v, 2 patches\)" "$T/.out"
	[ -s "$T/$v/certs/Kconfig.kms" ] && [ -s "$T/$v/certs/Makefile.kms" ] || die "$v: new files missing"
	cmp -s "$T/$v/certs/Makefile.kms" "$SRCDIR/kconfig/Makefile.kms" || die "$v: Makefile.kms differs from kconfig/"
	grep -qs 'source "certs/Kconfig.kms"' "$T/$v/kernel/module/Kconfig" "$T/$v/init/Kconfig" ||
		die "$v: Kconfig.kms not sourced"

	expect_ok "$APPLY" "$T/$v"
	assert_grep "already applied" "$T/.out"

	# git am, on a git tree of the pristine files.
	cp -r "$T/$v.orig" "$T/$v.git"
	git -C "$T/$v.git" init -q
	git -C "$T/$v.git" add -A
	git -C "$T/$v.git" -c user.name=t -c user.email=t@t commit -qm base
	expect_ok env GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t "$APPLY" --git "$T/$v.git"
	[ "$(git -C "$T/$v.git" log --format=%s | head -2 | tail -1)" = "module: add CONFIG_MODULE_SIG_KMS" ] ||
		die "$v: git am did not commit the series"
	diff -r -x .git "$T/$v" "$T/$v.git" >/dev/null || die "$v: git am and patch give different trees"

	# A tree changed where a hook goes: refused, and left exactly as it was.
	cp -r "$T/$v.orig" "$T/$v.mod"
	sed -i 's/^targets += signing_key.x509$/targets += signing_key.x509 # local change/' "$T/$v.mod/certs/Makefile"
	cp -r "$T/$v.mod" "$T/$v.mod.before"
	expect_fail "do not apply to .*nothing was changed" "$APPLY" "$T/$v.mod"
	diff -r "$T/$v.mod" "$T/$v.mod.before" >/dev/null || die "$v: a refused tree was changed"
done

sed -i 's/^PATCHLEVEL = 1$/PATCHLEVEL = 3/' "$T/6.1.orig/Makefile"
expect_fail "Linux 6.3 is not supported \(series: 4.9 5.4 5.10 5.15 6.1 6.6 6.12\)" "$APPLY" "$T/6.1.orig"
expect_fail "not a kernel tree" "$APPLY" "$T"

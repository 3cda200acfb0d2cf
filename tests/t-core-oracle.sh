#!/bin/bash
# kmsign's signatures are byte-identical to the kernel's scripts/sign-file,
# for a key in a SoftHSM2 token and for the same key as a PEM file.
. "$(dirname "$0")/lib.sh"

SF=$(oracle)
MODS=$(fresh_modules)
make_rsa_key "$T/key.pem" 2048
make_cert "$T/key.pem" "$T/cert.pem"
openssl x509 -in "$T/cert.pem" -outform DER -out "$T/cert.der"
softhsm_init kmsign-test 1234
softhsm_import kmsign-test 1234 "$T/key.pem" 4b4d "module signing"
URI="pkcs11:token=kmsign-test;object=module%20signing"
export KBUILD_SIGN_PIN=1234

for hash in sha256 sha1 sha224 sha384 sha512; do
	for keyid in "" "-k"; do
		for m in "$MODS"/*.ko; do
			n=$(basename "$m" .ko)
			cp "$m" "$T/oracle.ko"
			cp "$m" "$T/token.ko"
			cp "$m" "$T/pem.ko"
			cp "$m" "$T/dropin.ko"
			"$SF" $keyid "$hash" "$T/key.pem" "$T/cert.der" "$T/oracle.ko"
			kflag=; [ -n "$keyid" ] && kflag=--keyid
			expect_ok "$KMSIGN" sign -q -k "$URI" -c "$T/cert.pem" -a "$hash" $kflag "$T/token.ko"
			expect_ok "$KMSIGN" sign -q -k "$T/key.pem" -c "$T/cert.der" -a "$hash" $kflag "$T/pem.ko"
			expect_ok "$KMSIGN" sign-file $keyid "$hash" "$URI" "$T/cert.der" "$T/dropin.ko"
			cmp -s "$T/oracle.ko" "$T/token.ko" || die "$n $hash $keyid: token signature differs from sign-file"
			cmp -s "$T/oracle.ko" "$T/pem.ko" || die "$n $hash $keyid: PEM signature differs from sign-file"
			cmp -s "$T/oracle.ko" "$T/dropin.ko" || die "$n $hash $keyid: sign-file drop-in differs"
		done
	done
done

# -p keeps the CMS as MODULE.p7s; -d writes only that; DEST leaves MODULE alone.
m=$(ls "$MODS"/*.ko | head -1)
cp "$m" "$T/o.ko"; cp "$m" "$T/k.ko"; cp "$m" "$T/d1.ko"; cp "$m" "$T/d2.ko"
"$SF" -p sha256 "$T/key.pem" "$T/cert.pem" "$T/o.ko"
expect_ok "$KMSIGN" sign-file -p sha256 "$URI" "$T/cert.pem" "$T/k.ko"
assert_same_file "$T/o.ko" "$T/k.ko"
assert_same_file "$T/o.ko.p7s" "$T/k.ko.p7s"
"$SF" -d sha256 "$T/key.pem" "$T/cert.pem" "$T/d1.ko"
expect_ok "$KMSIGN" sign-file -d sha256 "$URI" "$T/cert.pem" "$T/d2.ko"
assert_same_file "$T/d1.ko.p7s" "$T/d2.ko.p7s"
assert_same_file "$T/d2.ko" "$m"
cp "$m" "$T/src.ko"
"$SF" sha256 "$T/key.pem" "$T/cert.pem" "$T/src.ko" "$T/dest-oracle.ko"
expect_ok "$KMSIGN" sign-file sha256 "$URI" "$T/cert.pem" "$T/src.ko" "$T/dest-kmsign.ko"
assert_same_file "$T/dest-oracle.ko" "$T/dest-kmsign.ko"
assert_same_file "$T/src.ko" "$m"
# -s appends a CMS signature made elsewhere.
cp "$m" "$T/raw.ko"
expect_ok "$KMSIGN" sign-file -s "$T/o.ko.p7s" sha256 "$T/cert.pem" "$T/raw.ko"
assert_same_file "$T/o.ko" "$T/raw.ko"
echo "byte-identical to sign-file for 5 hashes x keyid x 3 modules, -p, -d, DEST, -s"

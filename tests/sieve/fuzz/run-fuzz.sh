#!/bin/sh
# make fuzz: build the libFuzzer targets with clang (ASan + UBSan) and run
# each for $FUZZ_SECONDS (default 60). Seeds are made at run time from
# ../shared (conformance scripts, corpus messages) and the differential
# scripts; nothing from ../shared is copied into the repository.
#   run-fuzz.sh SRCDIR OUTDIR     (OUTDIR: build artefacts, seeds, crashes)
# A crash leaves its input in OUTDIR/crashes/; turn each into a regression
# test (tests/sieve/regressions/) and fix the engine.
set -eu
srcdir=$1
out=$2
secs=${FUZZ_SECONDS:-60}
shared=${VEA_SHARED:-$srcdir/../shared}
cc=${CC_FUZZ:-clang}
py=/usr/bin/python3

if ! command -v "$cc" >/dev/null 2>&1; then
	echo "make fuzz: $cc not found (apt-get install clang libclang-rt-14-dev)" >&2
	exit 1
fi
mkdir -p "$out/crashes" "$out/seed-parse" "$out/seed-eval" "$out/corpus-parse" "$out/corpus-eval"
builddir=$(cd "$out/.." && pwd)

# Every library source the engine needs; the sanitizers must see them all.
srcs="$srcdir/src/sieve/*.c $srcdir/src/mime/*.c $srcdir/src/timer/*.c $srcdir/src/util/*.c"
flags="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -std=gnu11"
for t in parse eval; do
	echo "make fuzz: building fuzz-sieve-$t"
	# shellcheck disable=SC2086
	$cc $flags -I"$srcdir/src" -I"$builddir" ${DEPS_CFLAGS:-} \
		-o "$out/fuzz-sieve-$t" "$srcdir/tests/sieve/fuzz/fuzz-sieve-$t.c" $srcs \
		${DEPS_LIBS:-}
done

# Seeds.
if [ -d "$shared/conformance/pigeonhole" ]; then
	find "$shared/conformance/pigeonhole" -name '*.sieve' -o -name '*.svtest' |
	while read -r f; do
		cp "$f" "$out/seed-parse/$(echo "$f" | md5sum | cut -c1-16)"
	done
fi
cp "$srcdir"/tests/sieve/differential/*.sieve "$out/seed-parse/"
"$py" - "$shared" "$srcdir" "$out/seed-eval" <<'PYEOF'
import glob, os, sys, tarfile
shared, srcdir, dest = sys.argv[1:4]
scripts = sorted(glob.glob(os.path.join(srcdir, "tests/sieve/differential/*.sieve")))
scripts += sorted(glob.glob(os.path.join(shared, "conformance/pigeonhole/**/execute/*.sieve"), recursive=True))
msgs = []
tar = os.path.join(shared, "corpus/spamassassin.tar.xz")
if os.path.isfile(tar):
    with tarfile.open(tar, "r:xz") as tf:
        for ti in tf:
            if ti.isfile() and ti.name.endswith(".eml") and ti.size < 20000:
                msgs.append(tf.extractfile(ti).read())
            if len(msgs) >= 60:
                break
for i, s in enumerate(scripts):
    with open(s, "rb") as f:
        text = f.read()
    for j in range(3):
        m = msgs[(i * 3 + j) % len(msgs)] if msgs else b""
        with open(os.path.join(dest, "s%03d-%d" % (i, j)), "wb") as f:
            f.write(text + b"\n\f\n" + m)
PYEOF

status=0
for t in parse eval; do
	echo "make fuzz: fuzz-sieve-$t for ${secs}s"
	if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		"$out/fuzz-sieve-$t" -max_total_time="$secs" -max_len=65536 \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$out/crashes/$t-" \
		"$out/corpus-$t" "$out/seed-$t" >"$out/fuzz-$t.log" 2>&1; then
		echo "make fuzz: fuzz-sieve-$t FOUND A PROBLEM (see $out/fuzz-$t.log, $out/crashes/)" >&2
		tail -40 "$out/fuzz-$t.log" >&2
		status=1
	else
		grep -E '^stat::number_of_executed_units|^stat::peak_rss' "$out/fuzz-$t.log" | sed "s/^/  $t: /"
	fi
done
exit $status

#!/bin/sh
# make fuzz: builds the libFuzzer targets of fuzz/ (a package of its own, never built by the main
# package's `swift build`) and runs each parser on a corpus seeded from fuzz/corpus and the test
# fixtures. FUZZ_RUNS inputs per parser (default 1,000,000); the snapshot reader, which writes and
# opens an SQLite file per input, runs FUZZ_SNAPSHOT_SECONDS (default 900) instead of a count.
# FUZZ_TARGETS picks targets. Crash inputs land in .build/fuzz/artifacts; the exit status is 1
# when a target crashed.
set -eu
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
RUNS=${FUZZ_RUNS:-1000000}
SNAPSHOT_SECONDS=${FUZZ_SNAPSHOT_SECONDS:-900}
TARGETS=${FUZZ_TARGETS:-"json replies xml cpu-xml cpu-option snapshot"}
WORK=.build/fuzz
FIXTURES=Tests/QCPUTestSupport/Fixtures

nice -n 10 "$SWIFT" build --package-path fuzz -c release -Xswiftc -sanitize=fuzzer
FUZZER=fuzz/.build/release/qcpu-fuzz
[ -x .build/debug/qcpu ] || "$SWIFT" build --product qcpu

mkdir -p "$WORK/artifacts"
corpus() {  # corpus TARGET: the working corpus directory, seeded once
    dir="$WORK/corpus/$1"
    if [ ! -d "$dir" ]; then
        mkdir -p "$dir"
        case $1 in
        json) cp fuzz/corpus/json/* "$dir/" ;;
        replies) cp fuzz/corpus/replies/* "$dir/" ;;
        xml) cp fuzz/corpus/xml/* "$dir/" ;;
        cpu-xml) cp fuzz/corpus/cpu/*.xml "$dir/" ;;
        cpu-option) cp fuzz/corpus/cpu/*.txt "$dir/" ;;
        snapshot)
            # A small real snapshot: the aarch64 fixture replayed (definitions, expansions, props).
            SOURCE_DATE_EPOCH=0 .build/debug/qcpu harvest --replay "$FIXTURES/aarch64" -o "$dir/aarch64-virt-7.2.sqlite" >/dev/null 2>&1 ;;
        esac
    fi
    echo "$dir"
}

failed=0
for t in $TARGETS; do
    dir=$(corpus "$t")
    if [ "$t" = snapshot ]; then limit="-max_total_time=$SNAPSHOT_SECONDS"; else limit="-runs=$RUNS"; fi
    log="$WORK/$t.log"
    start=$(date +%s)
    # SWIFT_BACKTRACE off: libFuzzer catches the trap and writes the input that caused it.
    if SWIFT_BACKTRACE=enable=no nice -n 10 "$FUZZER" "$t" $limit -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$WORK/artifacts/$t-" "$dir" >"$log" 2>&1; then status=ok; else status=CRASH; failed=1; fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    echo "fuzz $t: $status, ${runs:-?} inputs in $(( $(date +%s) - start )) s, corpus $(ls "$dir" | wc -l) files (log $log)"
    [ $status = ok ] || grep -m1 -E "Fatal error|ERROR: libFuzzer" "$log" || true
done
exit $failed

#!/usr/bin/env bash
# load.sh runs edgedesk load tests on loopback and reports medians.
#
#   scripts/load.sh echo-idle          idle RSS per session, bare echo server
#   scripts/load.sh echo-rate RATE     latency at RATE msgs/s, bare echo server
#   scripts/load.sh echo-sweep         highest rate with p99 < 10 ms, echo server
#   scripts/load.sh node-idle          the same three against bin/edgedesk serve
#   scripts/load.sh node-rate RATE
#   scripts/load.sh node-sweep
#   scripts/load.sh node-answer [RATE]  receipt and bot answer latency at RATE
#                                       msgs/s (default 5000), model and bot on
#   scripts/load.sh node-webhook RATE   signed generic-channel webhooks at RATE
#                                       requests/s (one message each): requests/s
#                                       and latency of the 200s (durable), then
#                                       the widget's node-rate at the same rate
#                                       beside it (WIDGET=0 skips it)
#
# Each report starts with the disk's floor: scripts/fsyncprobe times the
# fdatasync of a 4 KiB append in the filesystem of the node's data dirs
# (TMPDIR), and a bbolt commit's shape there (pages, meta, two syncs, one
# committer per shard); its JSON line goes to $OUT too. Node rate and
# answer runs report fsyncs per message (bbolt and JetStream, from the node's
# /metrics, and every fsync of the process as the kernel counts it, with
# perf when it is installed and allowed).
#
# Every run starts a fresh server, waits for GET /readyz, runs
# scripts/loadgen with -pid, and stops the server with SIGTERM. Each run is
# repeated REPEAT times; the JSON lines go to $OUT and the medians to stdout.
# See docs/LOAD.md for what the figures mean.
#
# Settings (environment):
#   REPEAT=3               runs per measurement; the median is reported
#   IDLE_N=19500           sessions for the idle runs (the hard open-file
#                          limit is 20,000 per process on these machines)
#   RATE_N=1000            sessions for the rate and sweep runs
#   DURATION=10s WARMUP=3s measurement window and warm-up of a rate run
#   HOLD=10s SETTLE=5s     idle runs: hold time, and the wait before reading RSS
#   RAMP=2000              connections opened per second
#   SRC=127.0.0.1-127.0.0.8  loopback source addresses
#   SWEEP_RATES="5000 10000 20000 30000 40000 50000 60000 70000 80000"
#   SWEEP_P99_MS=10        the sweep's p99 limit
#   POOLED=1               echo server with pooled write buffers, 1 KiB reads
#   PRIO=rt                rt: server and loadgen under SCHED_RR priority 10
#                          (needs root; keeps background builds on this shared
#                          machine out of the figures); nice: nice -10; none
#                          Compare targets only under the same PRIO.
#   TOKEN=                 widget token for hello (node runs)
#   NODE_BIN=              run this node binary instead of building
#                          bin/edgedesk (e.g. an earlier commit's, to
#                          compare before and after with the same loadgen)
#   PROBE_N=500            fdatasyncs the disk probe times (and commits
#                          per file of its commit-shaped run)
#   PROBE_PAGES=11 PROBE_FILES=2  the commit shape: pages written per bbolt
#                          commit (perf at 1,000 msgs/s: 12 pwrites per
#                          commit, the meta page included) and the store's
#                          shards (store.shards)
#   ANSWER_TEXT="Where is my order #12345?"  node-answer: the message sent
#   WIDGET=1               node-webhook: also run the widget at the same rate
#   SINK_ADDR=127.0.0.1:18082  node-webhook: where loadgen takes the channel's
#                          answers (its send API), counting them
#   ECHO_ADDR=127.0.0.1:18081  NODE_ADDR=127.0.0.1:18080
#   OUT=/tmp/edgedesk-load/results-<time>.jsonl
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
REPEAT=${REPEAT:-3}
IDLE_N=${IDLE_N:-19500}
RATE_N=${RATE_N:-1000}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
HOLD=${HOLD:-10s}
SETTLE=${SETTLE:-5s}
RAMP=${RAMP:-2000}
SRC=${SRC:-127.0.0.1-127.0.0.8}
SWEEP_RATES=${SWEEP_RATES:-"5000 10000 20000 30000 40000 50000 60000 70000 80000"}
SWEEP_P99_MS=${SWEEP_P99_MS:-10}
POOLED=${POOLED:-0}
PRIO=${PRIO:-rt}
TOKEN=${TOKEN:-}
NODE_BIN=${NODE_BIN:-}
ANSWER_TEXT=${ANSWER_TEXT:-"Where is my order #12345?"}
ECHO_ADDR=${ECHO_ADDR:-127.0.0.1:18081}
NODE_ADDR=${NODE_ADDR:-127.0.0.1:18080}
SINK_ADDR=${SINK_ADDR:-127.0.0.1:18082}
WIDGET=${WIDGET:-1}
WORK=${WORK:-/tmp/edgedesk-load}
OUT=${OUT:-$WORK/results-$(date +%Y%m%d-%H%M%S).jsonl}

SERVER_PID=
DATA_DIR=
NODE_ENV=() # extra environment for the node (node-answer)

log() { printf 'load.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# PRIO_CMD is the command prefix chosen by PRIO. nice and chrt exec the
# program, so $! of a backgrounded "${PRIO_CMD[@]}" prog is prog's own pid.
set_prio() {
	case $PRIO in
	none) PRIO_CMD=() ;;
	nice) if [[ $(id -u) == 0 ]]; then PRIO_CMD=(nice -n -10); else PRIO_CMD=(); fi ;;
	rt)
		[[ $(id -u) == 0 ]] || die "PRIO=rt needs root"
		PRIO_CMD=(chrt -r 10)
		;;
	*) die "PRIO=$PRIO: want none, nice or rt" ;;
	esac
}

# stop_server sends SIGTERM to the server this script started and waits.
stop_server() {
	[[ -n $SERVER_PID ]] || return 0
	if kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		for _ in $(seq 100); do
			kill -0 "$SERVER_PID" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$SERVER_PID" 2>/dev/null; then
			log "server $SERVER_PID ignored SIGTERM for 10s; sending SIGKILL"
			kill -KILL "$SERVER_PID" 2>/dev/null || true
		fi
	fi
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=
	if [[ -n $DATA_DIR ]]; then
		rm -rf -- "$DATA_DIR"
		DATA_DIR=
	fi
}
trap stop_server EXIT
trap 'exit 130' INT TERM

# raise_nofile sets the soft open-file limit to the hard one.
raise_nofile() {
	local hard
	hard=$(ulimit -Hn)
	ulimit -n "$hard"
	log "open files: soft $(ulimit -Sn), hard $hard"
	if [[ $hard != unlimited ]] && ((hard < IDLE_N + 100)); then
		log "warning: hard limit $hard is below IDLE_N=$IDLE_N + 100"
	fi
}

build() {
	mkdir -p "$WORK"
	(cd "$ROOT" && go build -o "$WORK/loadgen" ./scripts/loadgen && go build -o "$WORK/echoserver" ./scripts/echoserver &&
		go build -o "$WORK/fsyncprobe" ./scripts/fsyncprobe)
}

# disk_floor times fdatasync in the filesystem the node's data dirs live in
# (mktemp -d: TMPDIR), once per report, and prints it: the fdatasync of a
# 4 KiB append (the cheapest durable write), and a bbolt group commit's
# shape (PROBE_PAGES random pages, a meta page, two dependent fdatasyncs,
# PROBE_FILES committers at once as the node's store shards), which is the
# floor under every acknowledged message's latency.
disk_floor() {
	local dir line commit
	dir=$(mktemp -d)
	line=$("$WORK/fsyncprobe" -dir "$dir" -n "${PROBE_N:-500}" -json) &&
		commit=$("$WORK/fsyncprobe" -dir "$dir" -n "${PROBE_N:-500}" -pages "${PROBE_PAGES:-11}" -files "${PROBE_FILES:-2}" -json) || {
		rm -rf -- "$dir"
		die "fsyncprobe failed"
	}
	rm -rf -- "$dir"
	line=$(jq -c --argjson c "$commit" '{disk_fsync: ., disk_commit: $c, time: (now | todate)}' <<<"$line")
	echo "$line" >>"$OUT"
	jq -r '.disk_fsync | "disk floor: fdatasync of a 4 KiB append (\(.n) times): p50 \(.p50_ms) ms, p99 \(.p99_ms) ms, p99.9 \(.p999_ms) ms; kernel CPU \(.sys_us_per_sync) µs per sync"' <<<"$line"
	jq -r '.disk_commit | "disk floor: a commit of \(.pages) random pages and a meta page, two fdatasyncs, \(.files) files at once (\(.n) each): p50 \(.p50_ms) ms, p99 \(.p99_ms) ms, p99.9 \(.p999_ms) ms"' <<<"$line"
}

build_node() {
	if [[ -n $NODE_BIN ]]; then
		[[ -x $NODE_BIN ]] || die "NODE_BIN=$NODE_BIN: not an executable"
		return
	fi
	(cd "$ROOT" && go build -o bin/edgedesk .) || die "go build -o bin/edgedesk . failed"
	NODE_BIN=$ROOT/bin/edgedesk
}

# wait_ready polls http://ADDR/readyz until it answers 200.
wait_ready() {
	local addr=$1
	for _ in $(seq 300); do
		kill -0 "$SERVER_PID" 2>/dev/null || die "server exited before it was ready (log: $WORK/server.log)"
		if [[ $(curl -s -o /dev/null -w '%{http_code}' "http://$addr/readyz" || true) == 200 ]]; then
			return 0
		fi
		sleep 0.1
	done
	die "server at $addr not ready after 30s (log: $WORK/server.log)"
}

# start_server TARGET starts the echo server or the node in the background.
start_server() {
	case $1 in
	echo)
		local flags=(-addr "$ECHO_ADDR")
		[[ $POOLED == 1 ]] && flags+=(-pooled)
		"${PRIO_CMD[@]}" "$WORK/echoserver" "${flags[@]}" >"$WORK/server.log" 2>&1 &
		SERVER_PID=$!
		wait_ready "$ECHO_ADDR"
		;;
	node | webhook)
		DATA_DIR=$(mktemp -d)
		env EDGEDESK_LISTEN="$NODE_ADDR" \
			EDGEDESK_DATA_DIR="$DATA_DIR" \
			EDGEDESK_GATEWAY_MAX_CONNECTIONS=20000 \
			EDGEDESK_GATEWAY_RATE_LIMIT=1000 \
			EDGEDESK_GATEWAY_SESSION_RATE_LIMIT=1000 \
			EDGEDESK_GATEWAY_MAX_CONNECTIONS_PER_ADDRESS=20000 \
			EDGEDESK_GATEWAY_ADDRESS_UPGRADE_RATE=100000 \
			EDGEDESK_GATEWAY_ADDRESS_UPGRADE_BURST=100000 \
			EDGEDESK_LOG_LEVEL=warn \
			"${NODE_ENV[@]}" \
			"${PRIO_CMD[@]}" "$NODE_BIN" serve >"$WORK/server.log" 2>&1 &
		SERVER_PID=$!
		wait_ready "$NODE_ADDR"
		;;
	esac
}

# target_args TARGET prints the loadgen flags that point at TARGET.
target_args() {
	case $1 in
	echo) echo "-mode echo -url ws://$ECHO_ADDR/v1/ws -metrics http://$ECHO_ADDR/metrics" ;;
	node) echo "-mode protocol -url ws://$NODE_ADDR/v1/ws -metrics http://$NODE_ADDR/metrics" ;;
	webhook) echo "-mode webhook -url http://$NODE_ADDR/v1/channels/load/webhook -secret-file $WORK/webhook.secret -sink $SINK_ADDR" ;;
	esac
}

# one_run TARGET ARGS... starts a fresh server, runs loadgen once with ARGS,
# stops the server, and prints loadgen's JSON line (also appended to $OUT).
one_run() {
	local target=$1 line
	shift
	start_server "$target"
	# shellcheck disable=SC2046 # target_args is a word list by design
	line=$("${PRIO_CMD[@]}" "$WORK/loadgen" $(target_args "$target") -src "$SRC" -ramp "$RAMP" \
		-pid "$SERVER_PID" -token "$TOKEN" -json "$@" 2>>"$WORK/loadgen.log") || {
		stop_server
		die "loadgen failed (log: $WORK/loadgen.log)"
	}
	stop_server
	line=$(jq -c --arg target "$target" --arg prio "$PRIO" --arg pooled "$POOLED" \
		'. + {target: $target, prio: $prio, pooled: ($pooled == "1"), time: (now | todate)}' <<<"$line")
	echo "$line" >>"$OUT"
	echo "$line"
}

# JQ_MEDIAN defines median over an array of numbers.
JQ_MEDIAN='def median: sort | if length == 0 then null
	elif length % 2 == 1 then .[length / 2 | floor]
	else (.[length / 2 - 1] + .[length / 2]) / 2 end;'

# JQ_FSYNCS defines fsyncs: the fsyncs per message of the runs (medians).
JQ_FSYNCS='def fsyncs: "  fsyncs per message (medians): bbolt \(map(.fsyncs_per_msg.bbolt) | median) + jetstream "
	+ "\(map(.fsyncs_per_msg.jetstream) | median) = \(map(.fsyncs_per_msg.total) | median); the process, counted by the kernel: "
	+ "\(map(.fsyncs_per_msg.os) | median) (-1: perf unavailable)";'

# repeat TARGET ARGS... runs one_run REPEAT times and prints the runs as a
# JSON array.
repeat() {
	local i runs=()
	for i in $(seq "$REPEAT"); do
		log "run $i/$REPEAT: $1 ${*:2}"
		runs+=("$(one_run "$@")")
	done
	printf '%s\n' "${runs[@]}" | jq -s -c .
}

summarize_webhook() {
	jq -r "$JQ_MEDIAN"'
		"webhook: runs \(length) at \(.[0].rate) requests/s over \(.[0].sessions) customers: "
		+ "missing \(map(.missing) | median), other answers \(map(.status) | add | tojson), errors \(map(.errors) | add | tojson)\n"
		+ "  requests/s (200s) median \(map(.requests_per_s) | median); messages stored \(map(.stored) | add), duplicates \(map(.duplicates) | add)\n"
		+ "  latency of the 200s ms (median of runs): p50 \(map(.latency.p50_ms) | median)  p99 \(map(.latency.p99_ms) | median)  "
		+ "p99.9 \(map(.latency.p999_ms) | median)  max \(map(.latency.max_ms) | median)\n"
		+ "  p99 of each run \(map(.latency.p99_ms))\n"
		+ "  send lag p99 ms \(map(.send_lag.p99_ms) | median); cpu cores: server \(map(.cpu.server) | median), "
		+ "loadgen \(map(.cpu.loadgen) | median), other \(map(.cpu.other) | median); "
		+ "server CPU µs/request \(map(.server_cpu_us_per_req) | median)\n"
		+ "  bot answers delivered to the send API \(map(.delivered) | add)"'
}

# webhook measures signed generic-channel webhooks at rate $1 against the
# node (a channel "load" whose send API is loadgen's -sink), then the
# widget at the same rate for comparison.
webhook() {
	local r=$1
	[[ $r =~ ^[0-9]+$ ]] || die "rate $r: want a whole number of requests/s"
	head -c 32 /dev/urandom | base64 >"$WORK/webhook.secret"
	cat >"$WORK/webhook.yaml" <<-EOF
		channels:
		  - name: load
		    preset: generic
		    secret_file: $WORK/webhook.secret
		    send_url: http://$SINK_ADDR/answers
	EOF
	NODE_ENV=(EDGEDESK_CONFIG="$WORK/webhook.yaml")
	repeat webhook -n "$RATE_N" -rate "$r" -duration "$DURATION" -warmup "$WARMUP" -settle 1s | summarize_webhook
	NODE_ENV=()
	if [[ $WIDGET == 1 ]]; then
		echo "widget, beside it:"
		rate node "$r"
	fi
}

summarize_idle() {
	jq -r "$JQ_MEDIAN"'
		"runs \(length): held \(map(.held) | median) of \(.[0].sessions), failed \(map(.failed) | median), "
		+ "held at end \(map(.held_end) | median)\n"
		+ "  RSS per session (KiB) median \(map(.rss_per_session_kib) | median)  runs \(map(.rss_per_session_kib))\n"
		+ "  heap per conn (KiB)   median \(map(.heap_per_conn_kib) | median)  runs \(map(.heap_per_conn_kib))\n"
		+ "  dial errors \(map(.dial_errors) | add)  error frames \(map(.error_frames) | add)"'
}

summarize_rate() {
	jq -r "$JQ_MEDIAN$JQ_FSYNCS"'
		"runs \(length) at \(.[0].rate) msgs/s over \(.[0].sessions) sessions: held \(map(.held) | median), "
		+ "missing \(map(.missing) | median), write errors \(map(.write_errors) | median)\n"
		+ "  receipts/s median \(map(.receipts_per_s) | median)\n"
		+ "  latency ms (median of runs): p50 \(map(.latency.p50_ms) | median)  p99 \(map(.latency.p99_ms) | median)  "
		+ "p99.9 \(map(.latency.p999_ms) | median)  max \(map(.latency.max_ms) | median)\n"
		+ "  p99 of each run \(map(.latency.p99_ms))\n"
		+ "  send lag p99 ms \(map(.send_lag.p99_ms) | median); cpu cores: server \(map(.cpu.server) | median), "
		+ "loadgen \(map(.cpu.loadgen) | median), other \(map(.cpu.other) | median); "
		+ "server CPU µs/msg \(map(.server_cpu_us_per_msg) | median)\n"
		+ "  error frames \(map(.error_frames) | add)"
		+ (if .[0].fsyncs_per_msg then "\n" + fsyncs else "" end)'
}

summarize_answer() {
	jq -r "$JQ_MEDIAN$JQ_FSYNCS"'
		"runs \(length) at \(.[0].rate) msgs/s over \(.[0].sessions) sessions, text \(.[0].text | tojson): "
		+ "held \(map(.held) | median), missing receipts \(map(.missing) | median), write errors \(map(.write_errors) | median)\n"
		+ "  receipts/s median \(map(.receipts_per_s) | median); answers/s median \(map(.answers.per_s) | median)\n"
		+ "  answers: unanswered \(map(.answers.unanswered) | median), unmatched \(map(.answers.unmatched) | median), "
		+ "measured messages without an answer \(map(.answers.missing) | median) (medians)\n"
		+ "  receipt latency ms (median of runs): p50 \(map(.latency.p50_ms) | median)  p99 \(map(.latency.p99_ms) | median)  "
		+ "p99.9 \(map(.latency.p999_ms) | median)  max \(map(.latency.max_ms) | median)\n"
		+ "  answer latency ms (median of runs):  p50 \(map(.answers.latency.p50_ms) | median)  p90 \(map(.answers.latency.p90_ms) | median)  "
		+ "p99 \(map(.answers.latency.p99_ms) | median)  p99.9 \(map(.answers.latency.p999_ms) | median)  max \(map(.answers.latency.max_ms) | median)\n"
		+ "  answer p99 of each run \(map(.answers.latency.p99_ms))\n"
		+ "  send lag p99 ms \(map(.send_lag.p99_ms) | median); cpu cores: server \(map(.cpu.server) | median), "
		+ "loadgen \(map(.cpu.loadgen) | median), other \(map(.cpu.other) | median); "
		+ "server CPU µs/msg \(map(.server_cpu_us_per_msg) | median)\n"
		+ "  node msgs \(map(.node_msgs) | add), error frames \(map(.error_frames) | add)"
		+ (if .[0].fsyncs_per_msg then "\n" + fsyncs else "" end)'
}

idle() {
	local target=$1
	repeat "$target" -n "$IDLE_N" -duration "$HOLD" -settle "$SETTLE" | summarize_idle
}

rate() {
	local target=$1 r=$2
	[[ $r =~ ^[0-9]+$ ]] || die "rate $r: want a whole number of msgs/s"
	repeat "$target" -n "$RATE_N" -rate "$r" -duration "$DURATION" -warmup "$WARMUP" -settle 1s | summarize_rate
}

# answer measures receipt and bot answer latency at rate $1 against the node
# with the model and the bot on (whatever EDGEDESK_MODEL_ENABLED or
# EDGEDESK_BOT_ENABLED say in the environment); the demo FAQ is seeded into
# each run's fresh data dir.
answer() {
	local r=$1
	[[ $r =~ ^[0-9]+$ ]] || die "rate $r: want a whole number of msgs/s"
	NODE_ENV=(EDGEDESK_MODEL_ENABLED=true EDGEDESK_BOT_ENABLED=true)
	repeat node -n "$RATE_N" -rate "$r" -duration "$DURATION" -warmup "$WARMUP" -settle 1s \
		-answers -text "$ANSWER_TEXT" | summarize_answer
}

# sweep runs each rate of SWEEP_RATES until the median p99 reaches
# SWEEP_P99_MS, then bisects twice between the last good and the first bad
# rate, and prints the highest good rate.
sweep() {
	local target=$1 r runs p99 good=0 bad=0 i mid
	check() {
		runs=$(repeat "$target" -n "$RATE_N" -rate "$1" -duration "$DURATION" -warmup "$WARMUP" -settle 1s)
		summarize_rate <<<"$runs"
		p99=$(jq -r "$JQ_MEDIAN"' map(.latency.p99_ms) | median' <<<"$runs")
		# A run that lost messages or sessions does not count as good.
		jq -e --argjson lim "$SWEEP_P99_MS" "$JQ_MEDIAN"'
			(map(.latency.p99_ms) | median) < $lim and (map(.missing) | median) == 0
			and (map(.held) | median) == .[0].sessions' <<<"$runs" >/dev/null
	}
	for r in $SWEEP_RATES; do
		if check "$r"; then
			good=$r
			log "rate $r: p99 $p99 ms < $SWEEP_P99_MS ms"
		else
			bad=$r
			log "rate $r: p99 $p99 ms, over the limit"
			break
		fi
	done
	if ((bad > 0 && good > 0)); then
		for i in 1 2; do
			mid=$(((good + bad) / 2))
			if check "$mid"; then good=$mid; else bad=$mid; fi
			log "bisect $i: rate $mid p99 $p99 ms -> between $good and $bad"
		done
	fi
	if ((bad == 0)); then
		echo "$target sweep: p99 < $SWEEP_P99_MS ms at every rate tried; highest $good msgs/s (raise SWEEP_RATES)"
	else
		echo "$target sweep: highest rate with median p99 < $SWEEP_P99_MS ms: $good msgs/s (over the limit at $bad)"
	fi
}

main() {
	local cmd=${1:-}
	[[ -n $cmd ]] || die "usage: $0 echo-idle|echo-rate RATE|echo-sweep|node-idle|node-rate RATE|node-sweep|node-answer [RATE]|node-webhook RATE"
	command -v jq >/dev/null || die "jq is required"
	command -v curl >/dev/null || die "curl is required"
	set_prio
	raise_nofile
	build
	case $cmd in
	node-*) build_node ;;
	esac
	mkdir -p "$(dirname "$OUT")"
	log "results: $OUT (PRIO=$PRIO POOLED=$POOLED REPEAT=$REPEAT, $(nproc) cores)"
	disk_floor
	case $cmd in
	echo-idle) idle echo ;;
	node-idle) idle node ;;
	echo-rate) rate echo "${2:?echo-rate needs a RATE}" ;;
	node-rate) rate node "${2:?node-rate needs a RATE}" ;;
	echo-sweep) sweep echo ;;
	node-sweep) sweep node ;;
	node-answer) answer "${2:-5000}" ;;
	node-webhook) webhook "${2:?node-webhook needs a RATE}" ;;
	*) die "unknown command $cmd" ;;
	esac
}

main "$@"

#!/usr/bin/env bash
# bench/compare.sh: IRSP, Prosody and ejabberd side by side in one run, the same irsp-bench
# commands against each (DESIGN.md §4 "Measured speed"). See bench/README.md, "compare.sh".
#
# For each server in turn it starts a private instance (temp dir, loopback ports), registers the
# accounts in-band, and runs: a SCRAM login ladder (offered rates stepping up until the server
# saturates), the 2x overload point, one PLAIN saturation step, idle CPU at 0 sessions and at N
# (with KiB per session, after a restart), the same idle hold with tsung-like logins (PLAIN, the
# legacy session IQ, 10 % of the accounts replacing their session), and self-message round trips
# (closed loop and open loop). It writes every run's JSON, a Markdown table (table.md) and a plot
# of login latency against offered rate (logins.png) into the output directory, and stops
# everything it started, also on failure or Ctrl-C.
#
#   bench/compare.sh --build build                  # quick profile, all three servers
#   bench/compare.sh --build build --profile full   # the figures for RESULTS.md
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=build
profile=quick
servers="irsp prosody ejabberd"
out=""
key_cache=1
client_threads=2
accounts_override=""
idle_users_override=""

usage() {
  cat <<EOF
usage: bench/compare.sh [--build DIR] [--profile smoke|quick|full] [--servers "irsp prosody ejabberd"]
                        [--out DIR] [--no-key-cache] [--client-threads 1|2]
                        [--accounts N] [--idle-users N]
  --build DIR      IRSP build dir holding node/irsp-node and bench/irsp-bench (default: build)
  --profile        smoke (a few minutes, checks the setup), quick (~15 min, 2000 sessions)
                   or full (~45 min, 10 000 sessions)
  --servers        which servers, in order (default: all three)
  --out DIR        where results go (default: /tmp/irsp-compare-UTCSTAMP)
  --no-key-cache   let the client run PBKDF2 on every SCRAM login (the old figures' way)
  --client-threads event-loop threads per irsp-bench process (default 2)
  --accounts N     accounts to register (profile's default: smoke 300, quick 1500, full 20000)
  --idle-users N   sessions in the idle holds (smoke 200, quick 1000, full 10000; at most --accounts)
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --profile) profile=$2; shift 2 ;;
    --servers) servers=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --no-key-cache) key_cache=0; shift ;;
    --client-threads) client_threads=$2; shift 2 ;;
    --accounts) accounts_override=$2; shift 2 ;;
    --idle-users) idle_users_override=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compare.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done

case "$profile" in
  smoke) # checks the setup in a few minutes; its figures mean little
    ladder="50 100"
    step=2
    min_step_users=50
    max_accounts=300
    idle_users=200
    idle_hold=3
    idle_settle=1
    msg_users=50
    msg_seconds=4
    ;;
  quick)
    ladder="25 50 100 200 400 700 1000 1500 2000"  # offered logins/s, until the server saturates
    step=3              # seconds of logins per ladder step: users = rate x step
    min_step_users=150
    max_accounts=1500   # accounts registered (the overload step is capped by this)
    idle_users=1000
    idle_hold=10
    idle_settle=3
    msg_users=200
    msg_seconds=10
    ;;
  full)
    ladder="50 100 200 400 700 1000 1500 2000 3000 4000"
    step=5
    min_step_users=500
    max_accounts=20000
    idle_users=10000
    idle_hold=30
    idle_settle=5
    msg_users=2000
    msg_seconds=20
    ;;
  *) echo "compare.sh: --profile smoke, quick or full" >&2; exit 2 ;;
esac
[ -n "$accounts_override" ] && max_accounts=$accounts_override
[ -n "$idle_users_override" ] && idle_users=$idle_users_override
if [ "$idle_users" -gt "$max_accounts" ]; then
  echo "compare.sh: --idle-users $idle_users needs at least as many --accounts ($max_accounts)" >&2
  exit 2
fi
msg_rate_total=1000   # open loop: messages/s offered in all
# In-band registrations offered per second: each costs the server a PBKDF2, and a server offered
# more than it can do times the streams out (ejabberd 23.01 spent ~330 ms of CPU per
# registration here, and failed them all with connection-timeout at 40/s).
declare -A reg_ramp=([irsp]=100 [prosody]=40 [ejabberd]=8)

node_bin=$build/node/irsp-node
bench_bin=$build/bench/irsp-bench
for f in "$bench_bin"; do
  [ -x "$f" ] || { echo "compare.sh: $f not found (build it: cmake --build $build --target irsp-bench irsp-node)" >&2; exit 2; }
done
case " $servers " in *" irsp "*) [ -x "$node_bin" ] || { echo "compare.sh: $node_bin not found" >&2; exit 2; } ;; esac
node_bin=$(cd "$(dirname "$node_bin")" && pwd)/$(basename "$node_bin")
bench_bin=$(cd "$(dirname "$bench_bin")" && pwd)/$(basename "$bench_bin")

# Bench tools, not project dependencies: installed here when missing, never by .ci/install-deps.
need_pkgs=""
case " $servers " in *" prosody "*) command -v prosody >/dev/null || need_pkgs+=" prosody" ;; esac
case " $servers " in *" ejabberd "*) command -v ejabberdctl >/dev/null || need_pkgs+=" ejabberd" ;; esac
/usr/bin/python3 -c 'import matplotlib' 2>/dev/null || need_pkgs+=" python3-matplotlib"
if [ -n "$need_pkgs" ]; then
  echo "compare.sh: installing$need_pkgs (Debian packages, for this comparison only)" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need_pkgs >&2
fi

[ -n "$out" ] || out=/tmp/irsp-compare-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out/json"
out=$(cd "$out" && pwd)
work=$(mktemp -d /tmp/irsp-compare-servers.XXXXXX)
manifest=$out/manifest.tsv
: > "$manifest"
log() { echo "compare.sh: $(date -u +%H:%M:%S) $*" >&2; }

# ---- servers --------------------------------------------------------------------------------

irsp_port=35222; prosody_port=25222; ejabberd_port=45222
server_pid=""          # the server under test
started_pids=""        # every server process this script started and has not stopped
epmd_was_running=0
epmd -names >/dev/null 2>&1 && epmd_was_running=1

cleanup() {
  local rc=$?
  for pid in $started_pids; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $started_pids; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  # Erlang starts epmd for ejabberd's node name; stop it if it was not there before.
  if [ "$epmd_was_running" = 0 ] && epmd -names >/dev/null 2>&1; then epmd -kill >/dev/null 2>&1 || true; fi
  rm -rf "$work"
  [ $rc = 0 ] || log "failed (status $rc); servers stopped; partial results in $out"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { # port seconds
  for _ in $(seq $(( $2 * 5 ))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.2
  done
  log "nothing listens on port $1 after $2 s"; return 1
}
forget_pid() { started_pids=$(echo " $started_pids " | sed "s/ $1 / /"); }

make_cert() { # dir
  [ -f "$1/localhost.crt" ] && return 0
  mkdir -p "$1"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost" \
    -keyout "$1/localhost.key" -out "$1/localhost.crt" 2>/dev/null
}

start_irsp() {
  port_free $irsp_port || { log "port $irsp_port is taken"; return 1; }
  mkdir -p "$work/irsp"
  "$node_bin" --data-dir "$work/irsp/data" --c2s-port $irsp_port --c2s-tls-port $((irsp_port + 1)) \
    >> "$work/irsp/node.log" 2>&1 < /dev/null &
  server_pid=$!
  started_pids+=" $server_pid"
  wait_port $irsp_port 60
}

start_prosody() {
  port_free $prosody_port || { log "port $prosody_port is taken"; return 1; }
  local d=$work/prosody
  mkdir -p "$d/data"
  make_cert "$d/certs"
  # As bench/README.md: Debian's default modules less limits (caps c2s at 10 kB/s), posix,
  # dialback, admin and invites; Nagle left on (Prosody's default).
  cat > "$d/prosody.cfg.lua" <<EOF
run_as_root = true
interfaces = { "127.0.0.1" }
pidfile = "$d/prosody.pid"
data_path = "$d/data"
plugin_paths = { }
admins = { }
modules_enabled = {
  "disco"; "roster"; "saslauth"; "tls"; "blocklist"; "bookmarks"; "carbons";
  "pep"; "private"; "smacks"; "vcard4"; "vcard_legacy"; "csi_simple";
  "ping"; "register"; "time"; "uptime"; "version";
}
modules_disabled = { "s2s" }
c2s_ports = { $prosody_port }
c2s_direct_tls_ports = { $((prosody_port + 1)) }
s2s_ports = { }
network_settings = { tcp_backlog = 4096 }
allow_registration = true
authentication = "internal_hashed"
storage = "internal"
c2s_require_encryption = true
log = { warn = "$d/prosody.log" }
certificates = "$d/certs"
VirtualHost "localhost"
  ssl = { certificate = "$d/certs/localhost.crt"; key = "$d/certs/localhost.key" }
EOF
  rm -f "$d/prosody.pid"
  (cd "$d" && exec prosody --config "$d/prosody.cfg.lua" -F >> "$d/stdout.log" 2>&1 < /dev/null) &
  server_pid=$!
  started_pids+=" $server_pid"
  wait_port $prosody_port 60
  # The Lua process itself (the launcher execs into it; the pidfile says for sure).
  [ -s "$d/prosody.pid" ] && server_pid=$(cat "$d/prosody.pid")
  started_pids+=" $server_pid"
}

start_ejabberd() {
  port_free $ejabberd_port || { log "port $ejabberd_port is taken"; return 1; }
  local d=$work/ejabberd
  mkdir -p "$d/spool" "$d/logs"
  make_cert "$d/certs"
  cat "$d/certs/localhost.crt" "$d/certs/localhost.key" > "$d/server.pem"
  cp /etc/ejabberd/inetrc "$d/inetrc"
  # As bench/README.md: a c2s set like Prosody's above; no shaper (Debian's default caps c2s
  # at 3000 B/s), no fail2ban, no MUC/HTTP/MQTT/STUN listeners; SCRAM-SHA-256 at 4096
  # iterations like IRSP; in-band registration open to loopback without the 600 s throttle.
  cat > "$d/ejabberd.yml" <<EOF
hosts:
  - localhost
loglevel: warning
log_rotate_count: 0
certfiles:
  - "$d/server.pem"
listen:
  -
    port: $ejabberd_port
    ip: "127.0.0.1"
    module: ejabberd_c2s
    max_stanza_size: 262144
    access: c2s
    starttls_required: true
    backlog: 4096
  -
    port: $((ejabberd_port + 1))
    ip: "127.0.0.1"
    module: ejabberd_c2s
    max_stanza_size: 262144
    access: c2s
    tls: true
    backlog: 4096
disable_sasl_mechanisms:
  - "digest-md5"
  - "X-OAUTH2"
auth_method: internal
auth_password_format: scram
auth_scram_hash: sha256
registration_timeout: infinity
acl:
  local:
    user_regexp: ""
access_rules:
  local:
    allow: local
  c2s:
    allow: all
  register:
    allow: all
  pubsub_createnode:
    allow: local
shaper_rules:
  max_user_sessions: 10
modules:
  mod_blocking: {}
  mod_caps: {}
  mod_carboncopy: {}
  mod_client_state: {}
  mod_disco: {}
  mod_last: {}
  mod_offline: {}
  mod_ping: {}
  mod_privacy: {}
  mod_private: {}
  mod_pubsub:
    access_createnode: pubsub_createnode
    plugins:
      - flat
      - pep
  mod_register:
    ip_access: all
    access: register
  mod_roster:
    versioning: true
  mod_stream_mgmt: {}
  mod_time: {}
  mod_vcard:
    search: false
  mod_vcard_xupdate: {}
  mod_version: {}
EOF
  cat > "$d/ejabberdctl.cfg" <<EOF
ERLANG_NODE=irspbench@localhost
EJABBERD_PID_PATH=$d/ejabberd.pid
ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"
EXEC_CMD=as_current_user
EOF
  rm -f "$d/ejabberd.pid"
  # In the foreground, and as root like Prosody (EXEC_CMD above): Debian's ejabberdctl would su
  # to the ejabberd user, whom PAM gives 1024 open files, and ejabberd then refuses connections
  # ("Failed TCP accept: too many open files"); Debian's systemd unit raises that limit.
  ejabberdctl --config-dir "$d" --config "$d/ejabberd.yml" --ctl-config "$d/ejabberdctl.cfg" \
    --logs "$d/logs" --spool "$d/spool" foreground >> "$d/stdout.log" 2>&1 < /dev/null &
  started_pids+=" $!"
  wait_port $ejabberd_port 120
  for _ in $(seq 50); do [ -s "$d/ejabberd.pid" ] && break; sleep 0.2; done
  server_pid=$(cat "$d/ejabberd.pid") # beam.smp, the process that does the work
  started_pids+=" $server_pid"
}

stop_server() {
  local pids=$started_pids
  for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $pids; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
    forget_pid "$pid"
  done
  server_pid=""
}

start_server() { # name
  case "$1" in
    irsp) start_irsp ;;
    prosody) start_prosody ;;
    ejabberd) start_ejabberd ;;
  esac
}

restart_server() { stop_server; sleep 1; start_server "$1"; }

port_of() {
  case "$1" in irsp) echo $irsp_port ;; prosody) echo $prosody_port ;; ejabberd) echo $ejabberd_port ;; esac
}

label_of() {
  case "$1" in
    irsp) echo "IRSP $(git -C "$here" describe --always --dirty 2>/dev/null || echo '?')" ;;
    prosody) echo "Prosody $(dpkg-query -W -f='${Version}' prosody)" ;;
    ejabberd) echo "ejabberd $(dpkg-query -W -f='${Version}' ejabberd)" ;;
  esac
}

# ---- runs -----------------------------------------------------------------------------------

field() { /usr/bin/python3 "$here/compare_report.py" field "$1" "$2"; }

# bench NAME SERVER KIND OFFERED irsp-bench-args...: one run, its JSON and log kept.
bench() {
  local name=$1 server=$2 kind=$3 offered=$4; shift 4
  local file=$out/json/$server-$name.json
  local cache_args=()
  [ "$key_cache" = 1 ] && cache_args=(--cache-scram-keys "$work/keys-$server")
  log "$server $name: irsp-bench $*"
  if ! "$bench_bin" --port "$(port_of "$server")" --threads "$client_threads" \
      --server-pid "$server_pid" --label "$(label_of "$server")" "${cache_args[@]}" --json "$@" \
      > "$file" 2> "$out/json/$server-$name.log"; then
    log "$server $name: irsp-bench reported failure (see $out/json/$server-$name.log)"
  fi
  printf '%s\t%s\t%s\t%s\n' "$server" "$kind" "$offered" "$file" >> "$manifest"
  sleep 2 # let the server finish closing the sessions before the next run
}

run_server() {
  local s=$1
  log "== $s: starting"
  start_server "$s"
  local accounts=$max_accounts
  # In-band registration (XEP-0077) of every account; it logs each in too, which fills the SCRAM
  # key cache (the salts are the server's).
  bench register "$s" register "${reg_ramp[$s]}" --users $accounts --register \
    --ramp "${reg_ramp[$s]}" --duration 0 --login-timeout 600
  if [ "$(field "$out/json/$s-register.json" login.failed)" != 0 ]; then
    # Once more at half the rate: existing accounts answer <conflict/>, which counts as done.
    bench register-again "$s" register-again "$(( ${reg_ramp[$s]} / 2 + 1 ))" --users $accounts \
      --register --ramp "$(( ${reg_ramp[$s]} / 2 + 1 ))" --duration 0 --login-timeout 600
  fi

  # SCRAM login ladder: offered rates step up until the server completes less than 80 % of one.
  local peak=0 top=0
  for rate in $ladder; do
    local users=$(( rate * step )); [ $users -lt $min_step_users ] && users=$min_step_users
    [ $users -gt $accounts ] && users=$accounts
    bench "ladder-$rate" "$s" ladder "$rate" --users $users --ramp "$rate" --duration 0
    local got
    got=$(field "$out/json/$s-ladder-$rate.json" login.completed_per_s)
    top=$rate
    # A step that started slow can drain its queue faster than offered; no more than offered
    # counts towards the peak.
    peak=$(/usr/bin/python3 -c "print(max($peak, min($got, $rate)))")
    /usr/bin/python3 -c "import sys; sys.exit(0 if $got >= 0.8 * $rate else 1)" || break
  done
  # The overload point: twice the peak offered, as many logins as the accounts allow.
  local over users
  over=$(/usr/bin/python3 -c "print(max(1, round(2 * $peak)))")
  users=$(( over * step )); [ $users -gt $accounts ] && users=$accounts
  [ $users -lt $min_step_users ] && users=$min_step_users
  bench overload "$s" overload "$over" --users $users --ramp "$over" --duration 0
  # PLAIN at the ladder's last offered rate: the server runs PBKDF2 on each login.
  users=$(( top * step )); [ $users -gt $accounts ] && users=$accounts
  [ $users -lt $min_step_users ] && users=$min_step_users
  bench plain "$s" plain "$top" --users $users --ramp "$top" --duration 0 --mechanism PLAIN

  # Idle CPU and memory per session, from a fresh server (its heap starts empty).
  local idle_ramp
  idle_ramp=$(/usr/bin/python3 -c "print(max(5, min(1000, round(0.7 * $peak))))")
  restart_server "$s"
  bench idle-0 "$s" idle-0 0 --users 0 --duration $((idle_hold + idle_settle)) \
    --warmup $idle_settle
  bench idle-n "$s" idle-n "$idle_ramp" --users $idle_users --ramp "$idle_ramp" \
    --duration $((idle_hold + idle_settle)) --warmup $idle_settle --login-timeout 600
  # The same hold after logins as tsung makes them.
  bench idle-tsung "$s" idle-tsung "$idle_ramp" --users $idle_users --ramp "$idle_ramp" \
    --mechanism PLAIN --legacy-session --replace-fraction 0.1 \
    --duration $((idle_hold + idle_settle)) --warmup $idle_settle --login-timeout 600

  # Self-message round trips (RFC 6121 §8.5.2): closed loop, then open loop at a fixed total.
  local msg_ramp=$idle_ramp
  bench msg-closed "$s" message 0 --users $msg_users --ramp "$msg_ramp" --scenario message \
    --duration $msg_seconds --warmup 2
  bench msg-open "$s" message-open $msg_rate_total --users $msg_users --ramp "$msg_ramp" \
    --scenario message --rate "$(/usr/bin/python3 -c "print($msg_rate_total / $msg_users)")" \
    --duration $msg_seconds --warmup 2
  stop_server
  log "== $s: done"
}

{
  echo "date_utc_start=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "profile=$profile"
  echo "nproc=$(nproc)"
  echo "cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
  echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "kernel=$(uname -r)"
  echo "key_cache=$key_cache"
  echo "client_threads=$client_threads"
  echo "irsp=$(label_of irsp)"
  echo "command=bench/compare.sh --build $build --profile $profile --servers \"$servers\""
} > "$out/machine.txt"

for s in $servers; do
  case "$s" in irsp|prosody|ejabberd) run_server "$s" ;; *) log "unknown server $s"; exit 2 ;; esac
done
echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/machine.txt"
echo "date_utc_end=$(date -u +%Y-%m-%dT%H:%M:%SZ)" >> "$out/machine.txt"

/usr/bin/python3 "$here/compare_report.py" report "$out"
log "table: $out/table.md, plot: $out/logins.png"

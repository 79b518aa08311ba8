#!/bin/sh
# Runs the package's init script and uci-defaults hook against stubbed procd/uci functions
# (stubs.sh) with UCI files written per case, and compares what they asked procd and uci
# to do with what they should have. POSIX sh (dash here, busybox ash on OpenWrt).
# Usage: sh openwrt-package/edgemon-agent/tests/init-test.sh
set -eu

here="$(cd "$(dirname "$0")" && pwd)"
files="$here/../files"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0
cases=0

# Runs the uci-defaults hook with the stubs.
run_defaults() {
	: >"$work/calls"
	(
		# shellcheck disable=SC2034 # read by the stubs
		UCI_DIR="$work/uci" CALLS="$work/calls"
		. "$here/stubs.sh"
		# shellcheck disable=SC1091 # linted on its own
		. "$files/edgemon-agent.uci-defaults"
	)
}

# Writes one UCI file of the case: uci_file NAME < text
uci_file() { cat >"$work/uci/$1"; }

# Runs FUNCTION(s) of the init script in a subshell with the stubs; the calls land in
# $work/calls and the script's stderr in $work/stderr.
run_init() {
	: >"$work/calls"
	(
		# rc.common runs the script without -e/-u.
		set +eu
		UCI_DIR="$work/uci" CALLS="$work/calls"
		. "$here/stubs.sh"
		# shellcheck disable=SC1091 # linted on its own
		. "$files/edgemon-agent.init"
		# shellcheck disable=SC2034 # read by the init script's functions
		OPENWISP_CONF="$work/uci/openwisp" PROG="$work/bin/edgemon-agent"
		for fn in "$@"; do "$fn"; done
	) >"$work/stdout" 2>"$work/stderr"
}

# The procd/uci calls, without the config_load lines (how often the script reads a
# package is not part of its contract).
calls() { grep -v -e '^config_load ' -e '^logger ' "$work/calls" || true; }
# What the script logged to syslog.
logged() { sed -n 's/^logger -t edgemon-agent -p daemon.notice //p' "$work/calls"; }

check() {
	cases=$((cases + 1))
	if [ "$2" != "$3" ]; then
		failures=$((failures + 1))
		printf 'FAIL: %s\n--- expected\n%s\n--- got\n%s\n' "$1" "$3" "$2" >&2
	fi
}

fresh() {
	rm -rf "${work:?}/uci" "${work:?}/bin"
	mkdir -p "$work/uci" "$work/bin"
}

instance() { # expected calls for a started instance: $1 = respawn arguments
	cat <<EOF
procd_open_instance
procd_set_param command $work/bin/edgemon-agent run --config /etc/config/edgemon
procd_set_param respawn $1
procd_set_param stdout 1
procd_set_param stderr 1
procd_set_param file /etc/config/edgemon $work/uci/openwisp
procd_close_instance
EOF
}

# 1. The shipped file: no server anywhere, so nothing starts and the reason is given.
fresh
cp "$files/edgemon.config" "$work/uci/edgemon"
run_init start_service
check "shipped config, no server: no instance" "$(calls)" ""
check "shipped config, no server: logs why" "$(logged)" \
	"not configured, not starting: set edgemon.agent.url (or mqtt_broker), or configure openwisp-config"
check "shipped config, no server: tells the terminal" "$(grep -c 'not configured' "$work/stderr")" "1"

# 2. The shipped file plus a url: an instance with the shipped respawn settings.
fresh
sed "s|#option url .*|option url 'https://collector.example.net'|" \
	"$files/edgemon.config" >"$work/uci/edgemon"
run_init start_service
check "shipped config + url: instance" "$(calls)" "$(instance '3600 5 5')"
check "shipped config + url: logs nothing" "$(logged)" ""

# 3. No url of its own, openwisp-config's url: starts (the agent reads openwisp's).
fresh
cp "$files/edgemon.config" "$work/uci/edgemon"
uci_file openwisp <<'EOF'
config controller 'http'
	option url 'https://openwisp.example.net'
	option uuid 'a2b1d0c4-0000-4000-8000-000000000001'
	option key 'k'
EOF
run_init start_service
check "openwisp url only: instance" "$(calls)" "$(instance '3600 5 5')"

# 4. openwisp-config present with an empty url: not configured.
fresh
cp "$files/edgemon.config" "$work/uci/edgemon"
uci_file openwisp <<'EOF'
config controller 'http'
	option url ''
EOF
run_init start_service
check "openwisp url empty: no instance" "$(calls)" ""

# 5. Disabled wins over a complete configuration, whichever spelling of false.
for off in 0 off false no disabled; do
	fresh
	uci_file edgemon <<EOF
config service 'service'
	option enabled '$off'
config edgemon 'agent'
	option url 'http://10.0.0.1:8000'
EOF
	run_init start_service
	check "enabled=$off: no instance" "$(calls)" ""
	check "enabled=$off: logs it" "$(logged)" "disabled (edgemon.service.enabled=0), not starting"
done

# 6. No service section (a config kept from an older version): enabled, procd's defaults
# for respawn; an MQTT broker counts as a server; an anonymous edgemon section is the
# agent's when there is no section named `agent`.
fresh
uci_file edgemon <<'EOF'
config other 'agent_notes'
	option url 'ignored: not an edgemon section'
config edgemon
	option mode 'mqtt'
	option mqtt_broker 'mqtts://broker.example.net:8883'
EOF
run_init start_service
check "anonymous section, mqtt broker, no service section" "$(calls)" "$(instance '3600 5 5')"

# 7. A section named `agent` of another type is not the agent's, and without an `agent`
# section only the first edgemon section counts (as in the agent): its missing url is not
# made up for by a later section's.
fresh
uci_file edgemon <<'EOF'
config notes 'agent'
	option url 'http://wrong.example.net'
config edgemon 'first'
	option interval '60'
config edgemon 'second'
	option url 'http://second.example.net'
EOF
run_init start_service
check "first edgemon section without url: no instance" "$(calls)" ""

# 8. Respawn settings from the service section.
fresh
uci_file edgemon <<'EOF'
config service 'service'
	option respawn_threshold '600'
	option respawn_timeout '30'
	option respawn_retry '0'
config edgemon 'agent'
	option url 'http://10.0.0.1:8000'
EOF
run_init start_service
check "respawn settings" "$(calls)" "$(instance '600 30 0')"

# 9. Reload triggers: both packages.
fresh
run_init service_triggers
check "reload triggers" "$(calls)" "procd_add_reload_trigger edgemon openwisp"

# 10. status runs the agent's own status with the config file and passes its exit code.
fresh
cat >"$work/bin/edgemon-agent" <<'EOF'
#!/bin/sh
echo "agent called: $*"
exit 3
EOF
chmod +x "$work/bin/edgemon-agent"
status=0
run_init status_service || status=$?
check "status: calls the agent" "$(cat "$work/stdout")" "agent called: status --config /etc/config/edgemon"
check "status: exit code" "$status" "3"

# 11. uci-defaults: adds the service section to a config without one, once.
fresh
uci_file edgemon <<'EOF'
config edgemon 'agent'
	option url 'http://10.0.0.1:8000'
EOF
run_defaults
check "uci-defaults: adds the service section" "$(calls)" "uci batch: set edgemon.service=service
uci batch: set edgemon.service.enabled='1'
uci batch: set edgemon.service.respawn_threshold='3600'
uci batch: set edgemon.service.respawn_timeout='5'
uci batch: set edgemon.service.respawn_retry='5'
uci batch: commit edgemon"
fresh
cp "$files/edgemon.config" "$work/uci/edgemon"
run_defaults
check "uci-defaults: leaves an existing service section alone" "$(calls)" ""

if [ "$failures" -ne 0 ]; then
	echo "init-test: $failures of $cases checks failed" >&2
	exit 1
fi
echo "init-test: $cases checks passed"

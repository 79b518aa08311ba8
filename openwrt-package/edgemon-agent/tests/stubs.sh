# shellcheck shell=sh
# Stand-ins for the parts of OpenWrt that the init script and the uci-defaults hook call:
# /lib/functions.sh's config_* (reading UCI files from $UCI_DIR), procd.sh's procd_*
# functions and the `uci` command. Each stub appends what it was asked to $CALLS, one line
# per call, so a test compares what the script did with what it should have done.
#
# The UCI reading follows OpenWrt's semantics: `config_load` forgets the previous package;
# named sections keep their name, anonymous ones are numbered; `config_get` gives the
# default when the option is unset or empty; `config_get_bool` knows 1/0, on/off,
# true/false, yes/no, enabled/disabled; `config_get VAR SECTION TYPE` is the section's type.

STUB_SECTIONS=""

config() {
	STUB_ANON=$((STUB_ANON + 1))
	STUB_CUR="${2:-cfg$STUB_ANON}"
	STUB_SECTIONS="$STUB_SECTIONS $STUB_CUR"
	eval "CONFIG_${STUB_CUR}_TYPE=\$1"
}

option() {
	eval "CONFIG_${STUB_CUR}_$1=\$2"
}

list() {
	eval "CONFIG_${STUB_CUR}_$1=\"\${CONFIG_${STUB_CUR}_$1:+\$CONFIG_${STUB_CUR}_$1 }\$2\""
}

config_load() {
	for s in $STUB_SECTIONS; do
		for v in $(set | sed -n "s/^\(CONFIG_${s}_[A-Za-z0-9_]*\)=.*/\1/p"); do
			unset "$v"
		done
	done
	STUB_SECTIONS="" STUB_ANON=0 STUB_CUR=""
	echo "config_load $1" >>"$CALLS"
	[ -f "$UCI_DIR/$1" ] || return 1
	# shellcheck disable=SC1090 # UCI files are shell syntax: config/option/list calls.
	. "$UCI_DIR/$1"
}

config_get() {
	eval "$1=\"\${CONFIG_${2}_${3}:-\${4-}}\""
}

config_get_bool() {
	config_get _stub_b "$2" "$3"
	case "$_stub_b" in
	1 | on | true | yes | enabled) _stub_b=1 ;;
	0 | off | false | no | disabled) _stub_b=0 ;;
	*) _stub_b="${4-0}" ;;
	esac
	eval "$1=\$_stub_b"
}

config_foreach() {
	_stub_fn="$1" _stub_type="$2"
	shift 2
	for s in $STUB_SECTIONS; do
		_stub_t=""
		eval "_stub_t=\$CONFIG_${s}_TYPE"
		[ "$_stub_t" = "$_stub_type" ] && "$_stub_fn" "$s" "$@"
	done
	return 0
}

logger() { echo "logger $*" >>"$CALLS"; }
procd_open_instance() { echo "procd_open_instance" >>"$CALLS"; }
procd_close_instance() { echo "procd_close_instance" >>"$CALLS"; }
procd_set_param() { echo "procd_set_param $*" >>"$CALLS"; }
procd_append_param() { echo "procd_append_param $*" >>"$CALLS"; }
procd_add_reload_trigger() { echo "procd_add_reload_trigger $*" >>"$CALLS"; }

# `uci -q get PKG.SECTION[.OPTION]` answers from $UCI_DIR; `uci -q batch` records the
# commands it reads. Anything else is recorded and fails.
uci() {
	[ "$1" = -q ] && shift
	case "$1" in
	get)
		_stub_pkg="${2%%.*}" _stub_rest="${2#*.}"
		_stub_sec="${_stub_rest%%.*}" _stub_opt="${_stub_rest#*.}"
		config_load "$_stub_pkg" || return 1
		if [ "$_stub_opt" = "$_stub_rest" ]; then
			config_get _stub_v "$_stub_sec" TYPE
		else
			config_get _stub_v "$_stub_sec" "$_stub_opt"
		fi
		[ -n "$_stub_v" ] && echo "$_stub_v"
		;;
	batch)
		while IFS= read -r line; do echo "uci batch: $line" >>"$CALLS"; done
		;;
	*)
		echo "uci $*" >>"$CALLS"
		return 1
		;;
	esac
}

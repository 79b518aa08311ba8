#!/bin/sh
# Evaluates the package Makefile with GNU make against stand-ins for the OpenWrt SDK's
# include files (rules.mk, package.mk, the packages feed's rust-package.mk), written
# below: it checks what the Makefile itself decides, not the SDK. Checked: the menu options
# become cargo features (default features off), the size profile is used unless
# CONFIG_DEBUG, cargo is pointed at the agent, Build/Prepare copies the workspace without
# target/ and .git, the install step lays out the package's files with their modes, and
# the TLS option pulls in the CA bundle.
# Usage: sh openwrt-package/edgemon-agent/tests/makefile-test.sh
set -eu

here="$(cd "$(dirname "$0")" && pwd)"
pkgdir="$(cd "$here/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failures=0
cases=0

check() {
	cases=$((cases + 1))
	if [ "$2" != "$3" ]; then
		failures=$((failures + 1))
		printf 'FAIL: %s\n--- expected\n%s\n--- got\n%s\n' "$1" "$3" "$2" >&2
	fi
}

sdk="$work/sdk"
mkdir -p "$sdk/include" "$sdk/feeds/packages/lang/rust"
cat >"$sdk/rules.mk" <<'EOF'
INSTALL_DIR:=install -d -m0755
INSTALL_BIN:=install -m0755
INSTALL_CONF:=install -m0600
BUILD_DIR:=$(TOPDIR)/build
EOF
cat >"$sdk/include/package.mk" <<'EOF'
PKG_BUILD_DIR:=$(BUILD_DIR)/$(PKG_NAME)-$(PKG_VERSION)
PKG_INSTALL_DIR:=$(PKG_BUILD_DIR)/ipkg-install
define BuildPackage
$$(eval $$(Package/$(1)))
depends:
	@echo '$$(strip $$(DEPENDS))'
prepare:
	$$(Build/Prepare)
compile:
	$$(Build/Compile)
install:
	$$(call Package/$(1)/install,$$(DEST))
conffiles:
	@echo '$$(subst $$(newline), ,$$(Package/$(1)/conffiles))'
endef
define newline


endef
EOF
cat >"$sdk/feeds/packages/lang/rust/rust-package.mk" <<'EOF'
CARGO_PKG_PROFILE:=$(if $(CONFIG_DEBUG),dev,release)
define Build/Compile/Cargo
	@echo 'cargo install --profile $(CARGO_PKG_PROFILE) features=[$(strip $(RUST_PKG_FEATURES))] path=$(PKG_BUILD_DIR)/$(1) args=$(2)'
endef
define RustBinPackage
endef
Build/Compile=$(call Build/Compile/Cargo)
EOF

mk() { make -s --no-print-directory -C "$pkgdir" TOPDIR="$sdk" INCLUDE_DIR="$sdk/include" "$@"; }

build="$sdk/build/edgemon-agent-0.1.0"
check "both options" "$(mk compile CONFIG_EDGEMON_AGENT_TLS=y CONFIG_EDGEMON_AGENT_MQTT=y)" \
	"cargo install --profile agent features=[tls mqtt] path=$build/agent args=--no-default-features"
check "TLS only" "$(mk compile CONFIG_EDGEMON_AGENT_TLS=y)" \
	"cargo install --profile agent features=[tls] path=$build/agent args=--no-default-features"
check "MQTT only" "$(mk compile CONFIG_EDGEMON_AGENT_MQTT=y)" \
	"cargo install --profile agent features=[mqtt] path=$build/agent args=--no-default-features"
check "no options" "$(mk compile)" \
	"cargo install --profile agent features=[] path=$build/agent args=--no-default-features"
check "debug build" "$(mk compile CONFIG_DEBUG=y CONFIG_EDGEMON_AGENT_TLS=y)" \
	"cargo install --profile dev features=[tls] path=$build/agent args=--no-default-features"
check "conffiles" "$(mk conffiles)" "/etc/config/edgemon /etc/edgemon/identity"
check "TLS needs the CA bundle" "$(mk depends RUST_ARCH_DEPENDS=@rust)" "@rust +EDGEMON_AGENT_TLS:ca-bundle"

# Build/Prepare: the workspace, without target/ and .git.
src="$work/src"
mkdir -p "$src/agent/src" "$src/target/junk" "$src/.git"
echo '[workspace]' >"$src/Cargo.toml"
echo 'fn main() {}' >"$src/agent/src/main.rs"
mk prepare EDGEMON_SRC="$src"
check "prepare copies the workspace" \
	"$(cd "$build" && find . -path ./ipkg-install -prune -o -print | sort | tr '\n' ' ')" \
	". ./Cargo.toml ./agent ./agent/src ./agent/src/main.rs "

# Install: the binary cargo installed, the init script, the UCI file, the hook.
mkdir -p "$build/ipkg-install/bin"
printf '#!/bin/sh\n' >"$build/ipkg-install/bin/edgemon-agent"
mk install DEST="$work/root"
check "install layout" \
	"$(cd "$work/root" && find . -type f -printf '%m %p\n' | sort)" \
	"600 ./etc/config/edgemon
755 ./etc/init.d/edgemon-agent
755 ./etc/uci-defaults/90-edgemon-agent
755 ./usr/bin/edgemon-agent"
check "installed init script is the package's" \
	"$(cmp "$work/root/etc/init.d/edgemon-agent" "$pkgdir/files/edgemon-agent.init" && echo same)" "same"

if [ "$failures" -ne 0 ]; then
	echo "makefile-test: $failures of $cases checks failed" >&2
	exit 1
fi
echo "makefile-test: $cases checks passed"

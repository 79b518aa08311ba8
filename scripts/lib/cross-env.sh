# shellcheck shell=bash
# Cross toolchain for the agent's static musl builds, sourced by scripts/cross and
# scripts/size-report (docs/openwrt.md explains the route and its caveats).
#
# - rustc 1.85 from Debian (rustc-web, the workspace's rust-version) with its std source
#   (rust-web-src) builds std for each target (-Zbuild-std); rustup's cargo drives it.
# - The cross gcc (Debian's gcc-<triple>) links, against Debian's musl-dev of the target
#   architecture. musl-dev is downloaded and unpacked under target/cross/ with a private apt
#   configuration, so the machine's dpkg never gets a foreign architecture (which can make
#   every later `apt-get update` exit 100) and nothing outside the build folder changes.
# - qemu-user-static runs the binaries (static: no sysroot, no -L).
#
# Everything built goes to target/cross/ (gitignored): the unpacked sysroots, the linker
# wrappers and the cargo target directory, kept apart from target/ so the two compilers do
# not invalidate each other's builds.

CROSS_RUST_VERSION="1.96.0+dfsg1-1~deb12u2"
CROSS_ROOT="$(pwd)/target/cross"
CROSS_ALL_TARGETS=(armv7-unknown-linux-musleabihf mipsel-unknown-linux-musl aarch64-unknown-linux-musl x86_64-unknown-linux-musl)

# Per Rust target: Debian architecture, GNU triple of the cross gcc, musl's multiarch
# folder, qemu binary (`native` for x86_64: OpenWrt's x86/64 target, run as is here).
cross_arch() {
    case "$1" in
    armv7-unknown-linux-musleabihf) echo "armhf arm-linux-gnueabihf arm-linux-musleabihf qemu-arm-static" ;;
    mipsel-unknown-linux-musl) echo "mipsel mipsel-linux-gnu mipsel-linux-musl qemu-mipsel-static" ;;
    aarch64-unknown-linux-musl) echo "arm64 aarch64-linux-gnu aarch64-linux-musl qemu-aarch64-static" ;;
    x86_64-unknown-linux-musl) echo "amd64 x86_64-linux-gnu x86_64-linux-musl native" ;;
    *)
        echo "cross: unknown target $1 (known: ${CROSS_ALL_TARGETS[*]})" >&2
        return 1
        ;;
    esac
}

log() { echo "== $*" >&2; }

# Host packages from the machine's own apt sources (amd64 only). Quick when present.
cross_install_host() {
    local want=(
        "rustc-web=$CROSS_RUST_VERSION" "libstd-rust-web-dev=$CROSS_RUST_VERSION"
        "rust-web-src=$CROSS_RUST_VERSION" qemu-user-static shellcheck make binutils
        gcc-arm-linux-gnueabihf gcc-mipsel-linux-gnu gcc-aarch64-linux-gnu
    )
    local missing=() p name version
    for p in "${want[@]}"; do
        name="${p%%=*}"
        version="${p#*=}"
        [ "$version" = "$p" ] && version=""
        local have
        have="$(dpkg-query -W -f='${db:Status-Abbrev}${Version}' "$name" 2>/dev/null || true)"
        if [ "${have:0:2}" != "ii" ] || { [ -n "$version" ] && [ "${have:3}" != "$version" ]; }; then
            missing+=("$p")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    local apt=(apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends)
    if ! "${apt[@]}" "${missing[@]}"; then
        # Lists may be stale or missing: refresh them. An exit status 100 from `update`
        # (one bad index somewhere) is tolerated; the install below says whether the
        # packages were found.
        apt-get -o DPkg::Lock::Timeout=600 update || log "apt-get update failed (status $?); trying the install anyway"
        if ! apt-cache madison rustc-web | grep -qF "| $CROSS_RUST_VERSION |"; then
            # The archive keeps only the newest security update: take the three Rust
            # packages at the version it has now (one version for all three).
            log "rustc-web $CROSS_RUST_VERSION is gone from the archive; using its current version (update CROSS_RUST_VERSION)"
            missing=("${missing[@]/%=$CROSS_RUST_VERSION/}")
        fi
        "${apt[@]}" "${missing[@]}"
    fi
}

# Private apt configuration for the foreign architectures' musl-dev (download only).
cross_apt() {
    local dir="$CROSS_ROOT/apt"
    apt-get -q -o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts=/nonexistent \
        -o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache" -o Debug::NoLocking=1 \
        -o APT::Architectures::=armhf -o APT::Architectures::=arm64 -o APT::Architectures::=mipsel \
        -o APT::Architectures::=amd64 \
        -o Acquire::Languages=none -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false \
        -o APT::Sandbox::User=root "$@"
}

# Unpacks musl-dev for a Debian architecture into target/cross/sysroot/<arch>.
cross_sysroot() {
    local arch="$1" dir="$CROSS_ROOT/apt"
    local root="$CROSS_ROOT/sysroot/$arch"
    [ -f "$root/.done" ] && return 0
    mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$CROSS_ROOT/debs"
    # bookworm main is enough (musl has no security updates) and keeps the download small.
    echo "deb [arch=armhf,arm64,mipsel,amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main" \
        >"$dir/sources.list"
    if ! ls "$dir/lists/"*_Packages* >/dev/null 2>&1; then
        log "apt lists for armhf, arm64, mipsel, amd64 (private, under $dir)"
        cross_apt update || log "apt-get update exited $? (checking the packages anyway)"
    fi
    rm -f "$CROSS_ROOT/debs/musl-dev_"*"_$arch.deb"
    if ! (cd "$CROSS_ROOT/debs" && cross_apt download "musl-dev:$arch"); then
        # Stale lists (a newer musl-dev replaced the one they name): refresh, try again.
        cross_apt update || log "apt-get update exited $? (checking the packages anyway)"
        (cd "$CROSS_ROOT/debs" && cross_apt download "musl-dev:$arch") || {
            echo "cross: musl-dev:$arch could not be downloaded" >&2
            return 1
        }
    fi
    rm -rf "$root"
    mkdir -p "$root"
    dpkg-deb -x "$CROSS_ROOT/debs/musl-dev_"*"_$arch.deb" "$root"
    touch "$root/.done"
}

# Linker/compiler wrapper for a target: the cross gcc with musl's specs pointed at the
# unpacked sysroot, libunwind.a = the cross gcc's libgcc_eh.a (Rust's unwind crate asks
# for -lunwind), and a stub for _dl_find_object (gcc 12's libgcc_eh calls this glibc-only
# function; -1 makes it fall back to walking the program headers, as on older glibc).
cross_wrapper() {
    local target="$1" arch gnu musl _q
    read -r arch gnu musl _q <<<"$(cross_arch "$target")"
    local root="$CROSS_ROOT/sysroot/$arch" out="$CROSS_ROOT/bin/$target"
    if [ -x "$out/cc" ] && [ "$out/cc" -nt "${BASH_SOURCE[0]}" ]; then
        return 0
    fi
    mkdir -p "$out"
    sed -e "s#/usr/include/#$root/usr/include/#g" -e "s#/usr/lib/#$root/usr/lib/#g" \
        "$root/usr/lib/$musl/musl-gcc.specs" >"$out/musl-gcc.specs"
    ln -sf "$(dirname "$("$gnu-gcc" -print-libgcc-file-name)")/libgcc_eh.a" "$out/libunwind.a"
    printf 'int _dl_find_object(void *pc, void *result) { (void)pc; (void)result; return -1; }\n' >"$out/dlfo.c"
    "$gnu-gcc" -O2 -fPIC -c "$out/dlfo.c" -o "$out/dlfo.o"
    cat >"$out/cc" <<EOF
#!/bin/sh
# Generated by scripts/lib/cross-env.sh: $gnu-gcc against musl ($arch) for $target.
case " \$* " in
*" -c "* | *" -E "* | *" -S "*) exec $gnu-gcc -specs=$out/musl-gcc.specs "\$@" ;;
*) exec $gnu-gcc -specs=$out/musl-gcc.specs "\$@" -L$out $out/dlfo.o ;;
esac
EOF
    chmod +x "$out/cc"
}

# Exports what cargo needs to build for a target with the Debian compiler.
cross_env() {
    local target="$1" arch gnu musl qemu
    read -r arch gnu musl qemu <<<"$(cross_arch "$target")"
    local up="${target^^}"
    up="${up//-/_}"
    local low="${target//-/_}"
    export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
    export CARGO_TARGET_DIR="$CROSS_ROOT/build"
    export "CARGO_TARGET_${up}_LINKER=$CROSS_ROOT/bin/$target/cc"
    [ "$qemu" = native ] || export "CARGO_TARGET_${up}_RUNNER=$qemu"
    export "CC_${low}=$CROSS_ROOT/bin/$target/cc" "AR_${low}=$gnu-ar"
    local flags="-C target-feature=+crt-static -C link-self-contained=no"
    # Debian's mipsel musl is built hard-float; Rust's mipsel musl target is soft-float.
    # The two ABIs pass floats in different registers, so std is built hard-float too
    # (OpenWrt kernels emulate the FPU; docs/openwrt.md).
    [ "$arch" = mipsel ] && flags="$flags -C target-feature=-soft-float"
    # Rust's x86_64 musl target links static-pie, which musl's gcc specs give a program
    # interpreter; a plain static executable, as the other targets build, has none.
    [ "$arch" = amd64 ] && flags="$flags -C relocation-model=static"
    export "CARGO_TARGET_${up}_RUSTFLAGS=$flags"
}

# Builds the agent for a target. Arguments: target, cargo profile, feature arguments.
# Two size options on top of cross_env's flags (docs/openwrt.md has what each saves):
# std is built with its `optimize_for_size` feature, and without unwind tables, which an
# agent built with panic = "abort" never reads (a panic still prints its message and
# location; the backtrace is empty). The unit tests (panic = "unwind") keep cross_env's.
cross_build_agent() {
    local target="$1" profile="$2"
    shift 2
    local up="${target^^}"
    up="${up//-/_}"
    local var="CARGO_TARGET_${up}_RUSTFLAGS"
    env "$var=${!var} -C force-unwind-tables=no" \
        cargo build --locked -q -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size \
        --target "$target" --profile "$profile" -p edgemon-agent --bin edgemon-agent "$@"
}

cross_prepare() {
    cross_install_host
    local t arch _rest
    for t in "$@"; do
        read -r arch _rest <<<"$(cross_arch "$t")"
        cross_sysroot "$arch"
        cross_wrapper "$t"
    done
}

#!/usr/bin/env bash
# Installs lifecycle-kit at a pinned version, unless that version is already installed
# (restored from the cache), and says where it is.
#
#   install.sh               install if needed; print the binary's path
#   install.sh --cache-key   print `key=...` and `root=...` for actions/cache, install nothing
#
# Environment (the composite action sets it from its inputs):
#   LIFECYCLE_KIT_VERSION      the version to install, exactly (default 0.1.0)
#   LIFECYCLE_KIT_SOURCE       where from: empty for crates.io (`cargo install lifecycle-kit
#                              --version =V`), a directory holding a checkout of the kit
#                              (`cargo install --path DIR`), or a git URL (`cargo install
#                              --git URL --tag vV`)
#   LIFECYCLE_KIT_ROOT         the install root, `cargo install --root` (default
#                              $HOME/.lifecycle-kit/VERSION); the binary is ROOT/bin/lifecycle-kit
#   LIFECYCLE_KIT_CARGO_FLAGS  more `cargo install` flags, split on spaces (`--debug`, say)
#
# On GitHub Actions it also writes `kit=PATH` (and `key`, `root`) to $GITHUB_OUTPUT and
# adds ROOT/bin to $GITHUB_PATH. Exit 0 once the pinned version is there, 1 if cargo
# failed or installed another version, 2 on a source that is neither a directory nor a
# git URL.
set -euo pipefail

version=${LIFECYCLE_KIT_VERSION:-0.1.0}
source=${LIFECYCLE_KIT_SOURCE:-}
root=${LIFECYCLE_KIT_ROOT:-$HOME/.lifecycle-kit/$version}
read -ra cargo_flags <<<"${LIFECYCLE_KIT_CARGO_FLAGS:-}"
kit=$root/bin/lifecycle-kit

output() { if [[ -n ${GITHUB_OUTPUT:-} ]]; then printf '%s\n' "$@" >>"$GITHUB_OUTPUT"; fi; }

if [[ ! $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]]; then
    echo "install.sh: version \`$version\` is not a semantic version such as 0.1.0" >&2
    exit 2
fi

case $source in
    '') kind=crates.io ;;
    http://* | https://* | ssh://* | git://* | git@*) kind=git ;;
    *)
        if [[ ! -f $source/Cargo.toml ]]; then
            echo "install.sh: kit source \`$source\` is neither a git URL nor a directory with a Cargo.toml" >&2
            exit 2
        fi
        kind=path
        ;;
esac

if [[ ${1:-} == --cache-key ]]; then
    # Keyed on the version and where it comes from (hashed: a key may not hold commas).
    # A path source is keyed the same way: set the action's `cache: false` to rebuild it.
    digest=$(printf '%s' "$kind:$source" | sha256sum | cut -c1-16)
    key="lifecycle-kit-${RUNNER_OS:-$(uname -s)}-${RUNNER_ARCH:-$(uname -m)}-$version-$digest"
    printf 'key=%s\nroot=%s\n' "$key" "$root"
    output "key=$key" "root=$root"
    exit 0
fi

# The version a binary says it is (`lifecycle-kit 0.1.0`), or nothing.
installed() { [[ -x $kit ]] && "$kit" --version 2>/dev/null | awk '{print $2}'; }

if [[ $(installed || true) == "$version" ]]; then
    echo "install.sh: lifecycle-kit $version is already installed at $kit (cache hit)"
else
    args=(install --locked --root "$root" "${cargo_flags[@]}")
    case $kind in
        crates.io) args+=(lifecycle-kit --version "=$version") ;;
        git) args+=(--git "$source" --tag "v$version" lifecycle-kit) ;;
        path) args+=(--path "$source") ;;
    esac
    echo "install.sh: cargo ${args[*]}"
    cargo "${args[@]}"
    got=$(installed || true)
    if [[ $got != "$version" ]]; then
        echo "install.sh: wanted lifecycle-kit $version, but $kit says \`${got:-nothing}\` (from $kind ${source})" >&2
        exit 1
    fi
    echo "install.sh: installed lifecycle-kit $version at $kit (from $kind${source:+ $source})"
fi

output "kit=$kit"
if [[ -n ${GITHUB_PATH:-} ]]; then echo "$root/bin" >>"$GITHUB_PATH"; fi
echo "$kit"

#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine with the Rust toolchain. Idempotent.
# Under CI=true a test whose prerequisite is missing fails instead of being skipped, so every one
# of them is installed here:
# - redis-server: the end-to-end test of `inspect` talks to a real one on loopback.
# - python3: the hostile processes of tests/hostile_inspect.rs are small Python programs.
# - util-linux: `unshare -n` (a process in another network namespace) and `setpriv` (running
#   forklint as an unprivileged user against unreadable files and another user's process).
# - coreutils: `mkfifo` (a FIFO named like a source file).
# - postgresql, gcc (libgomp), python3-venv, and a venv under target/inspect-venv with pinned
#   numpy, tokenizers, psycopg2 and pymongo: tests/inspect_ground_truth.rs builds real processes from
#   them and forks them for real.
# - uwsgi-core and uwsgi-plugin-python3: tests/trace_live.rs traces a uWSGI master preforking its
#   workers, with and without lazy-apps.
# - @microsoft/sarif-multitool (npm; a self-contained .NET build): the official SARIF validator
#   that tests/cli_formats.rs runs on `--format sarif` output. Installed under target/tools.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v python3 >/dev/null 2>&1 || need+=(python3)
{ command -v unshare && command -v setpriv; } >/dev/null 2>&1 || need+=(util-linux)
command -v mkfifo >/dev/null 2>&1 || need+=(coreutils)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
python3 -c "import venv, ensurepip" >/dev/null 2>&1 || need+=(python3-venv)
command -v uwsgi >/dev/null 2>&1 || need+=(uwsgi-core)
ls /usr/lib/uwsgi/plugins/python3*_plugin.so >/dev/null 2>&1 || need+=(uwsgi-plugin-python3)
if [ "${FORKLINT_SKIP_SARIF_VALIDATOR:-}" != 1 ] && ! command -v npm >/dev/null 2>&1; then
    need+=(nodejs npm)
fi
if [ ${#need[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The venv is complete once its marker names the pinned set; a partial one is rebuilt.
INSPECT_PACKAGES="numpy==2.4.6 tokenizers==0.23.3 psycopg2-binary==2.9.13 pymongo==4.20.1"
venv="$root/target/inspect-venv"
if [ "$(cat "$venv/.forklint-packages" 2>/dev/null)" != "$INSPECT_PACKAGES" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    # shellcheck disable=SC2086
    "$venv/bin/pip" install --quiet --disable-pip-version-check $INSPECT_PACKAGES
    echo "$INSPECT_PACKAGES" >"$venv/.forklint-packages"
fi

SARIF_MULTITOOL_VERSION=5.7.0
tools="$root/target/tools"
if [ "${FORKLINT_SKIP_SARIF_VALIDATOR:-}" != 1 ] &&
    ! grep -qs "\"version\": \"$SARIF_MULTITOOL_VERSION\"" \
        "$tools/node_modules/@microsoft/sarif-multitool/package.json"; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "setup: npm is needed to install the SARIF validator (or set FORKLINT_SKIP_SARIF_VALIDATOR=1)" >&2
        exit 1
    fi
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-audit --no-fund --loglevel=error \
        "@microsoft/sarif-multitool@$SARIF_MULTITOOL_VERSION" >/dev/null
fi
# npm may skip the package's postinstall `chmod u+x`; do it here.
for exe in "$tools"/node_modules/@microsoft/sarif-multitool-*/Sarif.Multitool; do
    [ -f "$exe" ] && chmod u+x "$exe"
done
exit 0

# Sourced by the test scripts that need a Python package from PyPI (tests/webhooks/run,
# tests/mail/run): `python_with NAME MODULE PACKAGE` prints the Python of a virtual
# environment under target/ that imports MODULE, installing PACKAGE into it first if needed.
# Outside CI, a machine without Python 3 and venv gets an empty answer (the caller skips
# with a message); in CI that is a failure.

python_with() {
    local name="$1" module="$2" package="$3"
    local root venv
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    if ! command -v python3 >/dev/null || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
        if [[ "${CI:-}" == true ]]; then
            echo "python3 with venv is missing; install it with: apt-get install python3-venv" >&2
            return 1
        fi
        return 0
    fi
    venv="$root/target/$name-venv"
    if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c "import $module" 2>/dev/null; then
        echo "installing $package from PyPI into $venv" >&2
        python3 -m venv "$venv" >&2
        "$venv/bin/pip" install --quiet --disable-pip-version-check "$package" >&2
    fi
    echo "$venv/bin/python"
}

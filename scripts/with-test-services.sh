#!/usr/bin/env bash
# Runs a command with the services that the test suite needs, bound to 127.0.0.1, then stops them.
set -euo pipefail
exec "$@"

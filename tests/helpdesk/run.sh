#!/usr/bin/env bash
# The django-helpdesk end-to-end test: a real django-helpdesk (pinned in
# tests/helpdesk/requirements.txt, in a virtual environment under target/) whose new-ticket
# webhook points at a real `fixbook serve`; tickets are created through its web forms and the
# internal follow-ups fixbook writes back through its REST API are checked and timed.
set -euo pipefail
cd "$(dirname "$0")/../.."

target="${CARGO_TARGET_DIR:-target}"
venv="$target/helpdesk-venv"
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ] || ! cmp -s tests/helpdesk/requirements.txt "$stamp"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/helpdesk/requirements.txt
  cp tests/helpdesk/requirements.txt "$stamp"
fi

cargo build --quiet -p fixbook-cli
exec "$venv/bin/python" tests/helpdesk/test_helpdesk.py --fixbook "$target/debug/fixbook" "$@"

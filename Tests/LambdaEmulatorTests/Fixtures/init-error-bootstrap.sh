#!/bin/sh
# The first process posts /init/error and exits 1 (a missing setting); later ones (the marker file
# in $TEST_STATE_DIR exists) echo events.
. "$LAMBDA_TASK_ROOT/runtime-lib.sh"
if [ ! -e "$TEST_STATE_DIR/init-failed" ]; then
    : > "$TEST_STATE_DIR/init-failed"
    echo "init: MISSING_SETTING is not set" >&2
    post "init/error" '{"errorMessage":"MISSING_SETTING is not set","errorType":"Runtime.ConfigInvalid"}' \
        "Lambda-Runtime-Function-Error-Type: Runtime.ConfigInvalid" > "$TEST_STATE_DIR/init-error-status"
    exit 1
fi
while true; do
    next
    echo_event
done

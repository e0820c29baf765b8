#!/bin/sh
# The smallest custom runtime there is, with nothing but sh and curl: wait on /next, answer each
# event with the event itself plus what Lambda told us (the Runtime API headers and environment).
set -u
api="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
work=$(mktemp -d "${TMPDIR:-/tmp}/echo-bootstrap.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
header() { grep -i "^$1:" "$work/headers" | head -n 1 | cut -d' ' -f2- | tr -d '\r'; }
while true; do
    curl -sS -D "$work/headers" -o "$work/event" "$api/invocation/next" || exit 1
    id=$(header lambda-runtime-aws-request-id)
    {
        printf '{"event":'; cat "$work/event"
        printf ',"requestId":"%s","deadlineMs":"%s","functionArn":"%s","traceId":"%s"' \
            "$id" "$(header lambda-runtime-deadline-ms)" "$(header lambda-runtime-invoked-function-arn)" "$(header lambda-runtime-trace-id)"
        printf ',"env":{"AWS_LAMBDA_FUNCTION_NAME":"%s","AWS_LAMBDA_FUNCTION_VERSION":"%s","AWS_LAMBDA_FUNCTION_MEMORY_SIZE":"%s","AWS_LAMBDA_FUNCTION_TIMEOUT":"%s","_HANDLER":"%s","LAMBDA_TASK_ROOT":"%s","AWS_REGION":"%s","FROM_ENV_FILE":"%s","PWD":"%s"},"pid":%s}' \
            "$AWS_LAMBDA_FUNCTION_NAME" "$AWS_LAMBDA_FUNCTION_VERSION" "$AWS_LAMBDA_FUNCTION_MEMORY_SIZE" "$AWS_LAMBDA_FUNCTION_TIMEOUT" \
            "$_HANDLER" "$LAMBDA_TASK_ROOT" "$AWS_REGION" "${FROM_ENV_FILE:-}" "$(pwd)" "$$"
    } > "$work/answer"
    curl -sS -o /dev/null -X POST --data-binary @"$work/answer" "$api/invocation/$id/response" || exit 1
done

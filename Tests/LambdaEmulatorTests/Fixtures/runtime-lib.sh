# Helpers shared by the test bootstraps (POSIX sh and curl only). Source it, then call `next`.
set -u
api="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
work=$(mktemp -d "${TMPDIR:-/tmp}/test-bootstrap.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

header() { grep -i "^$1:" "$work/headers" | head -n 1 | cut -d' ' -f2- | tr -d '\r'; }

# Waits for the next invocation: sets `id` and `event`.
next() {
    curl -sS -D "$work/headers" -o "$work/event" "$api/invocation/next" || exit 1
    id=$(header lambda-runtime-aws-request-id)
    event=$(cat "$work/event")
}

# post PATH BODY [HEADER]: POSTs BODY to $api/PATH; prints the HTTP status, keeps the reply in $work/reply.
post() {
    printf '%s' "$2" > "$work/body"
    if [ $# -ge 3 ]; then
        curl -sS -o "$work/reply" -w '%{http_code}' -H "$3" -X POST --data-binary @"$work/body" "$api/$1"
    else
        curl -sS -o "$work/reply" -w '%{http_code}' -X POST --data-binary @"$work/body" "$api/$1"
    fi
}

# Answers the current invocation with {"echo": EVENT, "pid": PID} (plus $extra, if set).
echo_event() {
    post "invocation/$id/response" "{\"echo\":$event,\"pid\":$$${extra:-}}" > /dev/null
}

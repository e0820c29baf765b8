#!/usr/bin/env python3
"""Writes events/*.json: one recorded Lambda event per API parameter, event format and 400 case.

The shapes follow the real events API Gateway (REST v1, HTTP API 2.0), Lambda Function URLs and
direct invocations send (see Tests/AIUsageAPITests/Fixtures/events-public for captured ones).
Run it again after changing a case: `python3 scripts/make-events.py`.
"""
import base64
import json
import pathlib
import urllib.parse

EVENTS = pathlib.Path(__file__).resolve().parent.parent / "events"
TIME = "01/Dec/2026:12:00:00 +0000"
EPOCH = 1796126400000


def rest_v1(params=None, method="GET", path="/prod/ai_usage", multi=None, body=None):
    """An API Gateway REST proxy (v1) event, as API Gateway sends it for GET /prod/ai_usage."""
    if multi is None and params is not None:
        multi = {k: [v] for k, v in params.items()}
    return {
        "resource": "/ai_usage",
        "path": path,
        "httpMethod": method,
        "headers": {"Accept": "application/json", "Host": "abc123.execute-api.us-east-1.amazonaws.com", "User-Agent": "curl/8.5.0"},
        "multiValueHeaders": {"Accept": ["application/json"], "Host": ["abc123.execute-api.us-east-1.amazonaws.com"], "User-Agent": ["curl/8.5.0"]},
        "queryStringParameters": params,
        "multiValueQueryStringParameters": multi,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "a1b2c3", "resourcePath": "/ai_usage", "httpMethod": method,
            "extendedRequestId": "Ab1CdEfGhIJKLmN=", "requestTime": TIME, "path": path,
            "accountId": "123456789012", "protocol": "HTTP/1.1", "stage": "prod", "domainPrefix": "abc123",
            "requestTimeEpoch": EPOCH, "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "curl/8.5.0"},
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com", "apiId": "abc123",
        },
        "body": body,
        "isBase64Encoded": False,
    }


def http_v2(raw_query="", method="GET", path="/ai_usage", domain="abc123.execute-api.us-east-1.amazonaws.com",
            body=None, base64_body=False):
    """An HTTP API payload 2.0 event; repeated parameters are comma-joined in queryStringParameters."""
    pairs = urllib.parse.parse_qsl(raw_query, keep_blank_values=True)
    joined = {}
    for key, value in pairs:
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    event = {
        "version": "2.0",
        "routeKey": "GET /ai_usage" if "lambda-url" not in domain else "$default",
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": {"accept": "application/json", "host": domain, "user-agent": "Mozilla/5.0", "x-forwarded-proto": "https"},
        "requestContext": {
            "accountId": "123456789012", "apiId": domain.split(".")[0], "domainName": domain, "domainPrefix": domain.split(".")[0],
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "Mozilla/5.0"},
            "requestId": "JKJaXmPLvHcESHA=", "routeKey": "GET /ai_usage", "stage": "$default", "time": TIME, "timeEpoch": EPOCH,
        },
        "isBase64Encoded": base64_body,
    }
    if joined:
        event["queryStringParameters"] = joined
    if body is not None:
        event["body"] = base64.b64encode(body.encode()).decode() if base64_body else body
    return event


def function_url(raw_query=""):
    event = http_v2(raw_query, domain="a1b2c3d4e5f6g7h8.lambda-url.us-east-1.on.aws")
    event["requestContext"]["routeKey"] = "$default"
    event["requestContext"]["stage"] = "$default"
    event["requestContext"]["authorizer"] = {"iam": {"accessKey": "AKIA...", "accountId": "123456789012", "callerId": "AIDA...", "userArn": "arn:aws:iam::123456789012:user/reporter"}}
    return event


CASES = {
    # Every event format.
    "format-rest-v1-full-report.json": rest_v1({"aggregation": "day,service,model,operation,hour"}),
    "format-rest-v1-no-parameters.json": rest_v1(None),
    "format-http-v2-repeated-aggregation.json": http_v2("aggregation=service&aggregation=model"),
    "format-http-v2-base64-body.json": http_v2("aggregation=service", body="ignored by GET", base64_body=True),
    "format-function-url.json": function_url("aggregation=day,service"),
    "format-direct-invocation.json": {"queryStringParameters": {"aggregation": "service,operation"}},
    # Every parameter.
    "param-service-upper-case.json": rest_v1({"service": "OpenAI", "aggregation": "model,operation"}),
    "param-operation.json": rest_v1({"operation": "embedding", "aggregation": "service,model"}),
    "param-model.json": http_v2("model=gpt-4o-mini&aggregation=day"),
    "param-job-id.json": rest_v1({"job_id": "receipt-ocr-nightly", "aggregation": "service,model"}),
    "param-batch-id.json": rest_v1({"batch_id": "adhoc-7", "aggregation": "model"}),
    "param-user-id.json": http_v2("user_id=alice&aggregation=service"),
    "param-environment.json": rest_v1({"environment": "production", "aggregation": "service"}),
    "param-aggregation-hour.json": rest_v1({"aggregation": " hour "}),
    "param-dates-november-2026.json": rest_v1({"start_date": "2026-11-01", "end_date": "2026-11-30", "aggregation": "service"}),
    # Routing.
    "route-options-preflight.json": rest_v1(None, method="OPTIONS"),
    "route-post-not-allowed.json": rest_v1(None, method="POST", body="{}"),
    "route-unknown-path.json": http_v2("", path="/ai_usage_export"),
    # Every 400.
    "bad-date-malformed.json": rest_v1({"start_date": "yesterday"}),
    "bad-date-impossible.json": rest_v1({"end_date": "2026-02-30"}),
    "bad-start-after-end.json": rest_v1({"start_date": "2026-11-30", "end_date": "2026-11-01"}),
    "bad-range-over-366-days.json": rest_v1({"start_date": "2025-01-01", "end_date": "2026-06-01"}),
    "bad-aggregation-unknown.json": rest_v1({"aggregation": "day,week"}),
    "bad-service-key-injection.json": rest_v1({"service": "openai#x"}),
    "bad-filter-value.json": http_v2("job_id=Job%2042"),
    "bad-unknown-parameter.json": rest_v1({"servce": "openai"}),
    "bad-repeated-parameter.json": rest_v1({"service": "anthropic"}, multi={"service": ["openai", "anthropic"]}),
    "bad-not-an-http-event.json": {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
                                               "eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "reports"}, "object": {"key": "x.json"}}}]},
}

EVENTS.mkdir(exist_ok=True)
for name, event in CASES.items():
    (EVENTS / name).write_text(json.dumps(event, indent=2) + "\n")
print(f"wrote {len(CASES)} events to {EVENTS}")

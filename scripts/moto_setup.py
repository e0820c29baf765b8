#!/usr/bin/env python3
"""Prepare a running moto server for signature-checked tests.

Creates an IAM user and an assumable role, both allowed dynamodb:*, then switches moto's
request authentication on (every later request must carry a valid SigV4 signature from a
known key), checks that it really is on, and prints `export` lines for the shell.

Usage: moto_setup.py http://127.0.0.1:PORT
"""
import json
import shlex
import sys
import urllib.request

import boto3
from botocore.exceptions import ClientError

endpoint = sys.argv[1]
region = "us-east-1"
POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}],
})
TRUST = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
})


def client(service, key="testing", secret="testing", token=None):
    return boto3.session.Session().client(
        service, endpoint_url=endpoint, region_name=region,
        aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token,
    )


# Before auth is on, moto accepts any credentials.
iam = client("iam")
iam.create_user(UserName="ai-usage-test")
policy_arn = iam.create_policy(PolicyName="ai-usage-dynamodb", PolicyDocument=POLICY)["Policy"]["Arn"]
iam.attach_user_policy(UserName="ai-usage-test", PolicyArn=policy_arn)
key = iam.create_access_key(UserName="ai-usage-test")["AccessKey"]

role_arn = iam.create_role(RoleName="ai-usage-test-role", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
iam.attach_role_policy(RoleName="ai-usage-test-role", PolicyArn=policy_arn)
session = client("sts").assume_role(RoleArn=role_arn, RoleSessionName="ai-usage-tests")["Credentials"]

# From now on every request is authenticated and its signature verified.
request = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=b"0", method="POST",
                                 headers={"Content-Type": "text/plain"})
urllib.request.urlopen(request, timeout=10).read()

# Prove it: the right key works, a wrong secret is refused, the session credentials work.
client("dynamodb", key["AccessKeyId"], key["SecretAccessKey"]).list_tables()
client("dynamodb", session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"]).list_tables()
try:
    client("dynamodb", key["AccessKeyId"], "wrong-secret").list_tables()
    sys.exit("moto_setup: signature checking is NOT on: a wrong secret was accepted")
except ClientError as error:
    # moto answers 403 with an XML body that botocore's JSON parser only half reads.
    if error.response["ResponseMetadata"]["HTTPStatusCode"] != 403 or "SignatureDoesNotMatch" not in str(error):
        raise

for name, value in [
    ("AWS_ACCESS_KEY_ID", key["AccessKeyId"]),
    ("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"]),
    ("AI_USAGE_TEST_SESSION_ACCESS_KEY_ID", session["AccessKeyId"]),
    ("AI_USAGE_TEST_SESSION_SECRET_ACCESS_KEY", session["SecretAccessKey"]),
    ("AI_USAGE_TEST_SESSION_TOKEN", session["SessionToken"]),
]:
    print(f"export {name}={shlex.quote(value)}")

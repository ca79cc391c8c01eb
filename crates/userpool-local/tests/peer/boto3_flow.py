"""boto3 against the local user pool: sign-up, admin confirm, USER_PASSWORD_AUTH, wrong password.

Usage: boto3_flow.py ENDPOINT POOL_ID CLIENT_ID
"""
import base64
import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, pool_id, client_id = sys.argv[1:4]
idp = boto3.client(
    "cognito-idp",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="local",
    aws_secret_access_key="local",
    config=Config(retries={"max_attempts": 1}),
)

password = "Boto3-Passw0rd!"
out = idp.sign_up(
    ClientId=client_id,
    Username="boto-user",
    Password=password,
    UserAttributes=[{"Name": "email", "Value": "boto@example.com"}],
)
assert out["UserConfirmed"] is False, out
assert out["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL", out
sub = out["UserSub"]

idp.admin_confirm_sign_up(UserPoolId=pool_id, Username="boto-user")
user = idp.admin_get_user(UserPoolId=pool_id, Username="boto-user")
assert user["UserStatus"] == "CONFIRMED", user

auth = idp.initiate_auth(
    ClientId=client_id,
    AuthFlow="USER_PASSWORD_AUTH",
    AuthParameters={"USERNAME": "boto-user", "PASSWORD": password},
)
result = auth["AuthenticationResult"]
payload = result["IdToken"].split(".")[1]
claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
assert claims["sub"] == sub, claims
assert claims["token_use"] == "id", claims
me = idp.get_user(AccessToken=result["AccessToken"])
assert me["Username"] == "boto-user", me

try:
    idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "boto-user", "PASSWORD": "Wrong-Passw0rd!"},
    )
    raise SystemExit("a wrong password was accepted")
except idp.exceptions.NotAuthorizedException as e:
    assert e.response["Error"]["Message"] == "Incorrect username or password.", e.response

try:
    idp.sign_up(ClientId=client_id, Username="boto-user", Password=password)
    raise SystemExit("a duplicate sign-up was accepted")
except ClientError as e:
    assert e.response["Error"]["Code"] == "UsernameExistsException", e.response

print("boto3 flow ok")

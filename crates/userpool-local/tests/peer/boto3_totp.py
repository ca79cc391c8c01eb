"""boto3 and pyotp against the local user pool's authenticator apps (TOTP, RFC 6238).

pyotp computes every code from the SecretCode alone, so the server's TOTP is checked by an
implementation it shares nothing with (the Rust tests and the server both use totp-rs).

- A pool with MFA OPTIONAL: sign in, AssociateSoftwareToken with the access token,
  VerifySoftwareToken (a wrong code first), SetUserMFAPreference, then sign-ins that get
  SOFTWARE_TOKEN_MFA: a wrong code, the right one, the same code again.
- A pool with MFA ON and a user without a factor: MFA_SETUP, answered through
  AssociateSoftwareToken and VerifySoftwareToken with the session, then a sign-in with the
  new authenticator.

Usage: boto3_totp.py ENDPOINT

It creates its own pools. Its last line of output is a JSON object naming the pools and
users, for the caller to look at them through another client. No secret or code is
printed.
"""
import json
import sys
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

try:
    import pyotp
except ImportError:
    # USERPOOL_BOTO3_PYTHON may name a venv made before pyotp was pinned.
    raise SystemExit("pyotp is not installed for this Python: run cargo xtask peers")

endpoint = sys.argv[1]
idp = boto3.client(
    "cognito-idp",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="local",
    aws_secret_access_key="local",
    config=Config(retries={"max_attempts": 1}),
)

PASSWORD = "Pyotp-Passw0rd!"
CODE_MISMATCH = ("CodeMismatchException", "Invalid code or auth state for the user.")
# Seconds this script slept waiting for a new TOTP step (reported, to explain its run time).
waited = 0.0


def refused(operation, **params):
    """The (code, message) of the error `operation` answers; exits if it succeeds.

    Only the operation's name is shown on success: the parameters hold passwords and codes.
    """
    try:
        getattr(idp, operation)(**params)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"]
    raise SystemExit(f"{operation} was accepted where it must be refused")


def new_pool(name, mode):
    """A pool with authenticator apps and MFA `mode`, a USER_PASSWORD_AUTH client, and a
    confirmed user; returns (pool_id, client_id, username)."""
    pool_id = idp.create_user_pool(PoolName=name)["UserPool"]["Id"]
    config = idp.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        SoftwareTokenMfaConfiguration={"Enabled": True},
        MfaConfiguration=mode,
    )
    assert config["MfaConfiguration"] == mode, config
    assert config["SoftwareTokenMfaConfiguration"] == {"Enabled": True}, config
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="pyotp",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    username = f"{name}-user"
    idp.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        TemporaryPassword="Temp-Passw0rd!",
        MessageAction="SUPPRESS",
    )
    idp.admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True
    )
    return pool_id, client_id, username


def sign_in(client_id, username):
    return idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )


def authenticator(secret_code):
    """pyotp's TOTP of a SecretCode, with the parameters authenticator apps assume."""
    assert len(secret_code) == 32, "a SecretCode of 160 bits is 32 base32 characters"
    totp = pyotp.TOTP(secret_code)
    assert (totp.digits, totp.interval) == (6, 30), (totp.digits, totp.interval)
    return totp


def now_code(totp, after_step):
    """The code of now, as a user would type it, and its step; waits for the next step when
    now's step is not after `after_step`, the last one the server accepted (it takes a code
    only once)."""
    global waited
    while True:
        now = time.time()
        step = int(now // totp.interval)
        if step > after_step:
            return totp.at(now), step
        # Just past the boundary, so the step computed above is the new one.
        pause = (step + 1) * totp.interval - now + 0.05
        waited += pause
        time.sleep(pause)


def wrong_code(totp):
    """A 6-digit code of no step near now: the server takes one step of skew either way,
    and two more steps leave room for a step boundary passing before it checks."""
    now = time.time()
    near = {totp.at(now, offset) for offset in range(-2, 3)}
    return next(c for c in (f"{n:06d}" for n in range(10**6)) if c not in near)


def answer_totp(client_id, username, session, code):
    return idp.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=session,
        ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": code},
    )


def totp_challenge(client_id, username):
    """Signs in and returns the session of the SOFTWARE_TOKEN_MFA challenge it must get."""
    auth = sign_in(client_id, username)
    assert auth.get("ChallengeName") == "SOFTWARE_TOKEN_MFA", auth.get("ChallengeName")
    assert "AuthenticationResult" not in auth, "tokens before the MFA code"
    return auth["Session"]


# --- MFA OPTIONAL: enrol with an access token --------------------------------------------

opt_pool, opt_client, opt_user = new_pool("totp-optional", "OPTIONAL")
# No factor yet: OPTIONAL signs in with the password alone.
first = sign_in(opt_client, opt_user)
assert "ChallengeName" not in first, first.get("ChallengeName")
access = first["AuthenticationResult"]["AccessToken"]

opt_totp = authenticator(idp.associate_software_token(AccessToken=access)["SecretCode"])
assert refused(
    "verify_software_token", AccessToken=access, UserCode=wrong_code(opt_totp)
) == (
    "EnableSoftwareTokenMFAException",
    "Code mismatch and fail enable Software Token MFA",
)
code, opt_step = now_code(opt_totp, after_step=-1)
verified = idp.verify_software_token(
    AccessToken=access, UserCode=code, FriendlyDeviceName="pyotp"
)
assert verified["Status"] == "SUCCESS", verified["Status"]

idp.set_user_mfa_preference(
    AccessToken=access,
    SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
)
me = idp.get_user(AccessToken=access)
assert me.get("UserMFASettingList") == ["SOFTWARE_TOKEN_MFA"], me.get("UserMFASettingList")
assert me.get("PreferredMfaSetting") == "SOFTWARE_TOKEN_MFA", me.get("PreferredMfaSetting")

session = totp_challenge(opt_client, opt_user)
assert (
    refused(
        "respond_to_auth_challenge",
        ClientId=opt_client,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=session,
        ChallengeResponses={
            "USERNAME": opt_user,
            "SOFTWARE_TOKEN_MFA_CODE": wrong_code(opt_totp),
        },
    )
    == CODE_MISMATCH
)

# --- MFA ON, no factor: MFA_SETUP with the challenge session ------------------------------
# Set up before the OPTIONAL user's next sign-in, so that both wait for the same new step.

req_pool, req_client, req_user = new_pool("totp-required", "ON")
setup = sign_in(req_client, req_user)
assert setup.get("ChallengeName") == "MFA_SETUP", setup.get("ChallengeName")
assert "SOFTWARE_TOKEN_MFA" in json.loads(
    setup["ChallengeParameters"]["MFAS_CAN_SETUP"]
), setup["ChallengeParameters"]
associated = idp.associate_software_token(Session=setup["Session"])
req_totp = authenticator(associated["SecretCode"])
code, req_step = now_code(req_totp, after_step=-1)
verified = idp.verify_software_token(Session=associated["Session"], UserCode=code)
assert verified["Status"] == "SUCCESS", verified["Status"]
done = idp.respond_to_auth_challenge(
    ClientId=req_client,
    ChallengeName="MFA_SETUP",
    Session=verified["Session"],
    ChallengeResponses={"USERNAME": req_user},
)
me = idp.get_user(AccessToken=done["AuthenticationResult"]["AccessToken"])
assert me.get("UserMFASettingList") == ["SOFTWARE_TOKEN_MFA"], me.get("UserMFASettingList")

# --- Sign-ins answered with pyotp's codes ---------------------------------------------------

session = totp_challenge(opt_client, opt_user)
code, opt_step = now_code(opt_totp, after_step=opt_step)
tokens = answer_totp(opt_client, opt_user, session, code)["AuthenticationResult"]
assert idp.get_user(AccessToken=tokens["AccessToken"])["Username"] == opt_user
# The code just accepted, again, in the same step (no wait since): refused.
session = totp_challenge(opt_client, opt_user)
assert refused(
    "respond_to_auth_challenge",
    ClientId=opt_client,
    ChallengeName="SOFTWARE_TOKEN_MFA",
    Session=session,
    ChallengeResponses={"USERNAME": opt_user, "SOFTWARE_TOKEN_MFA_CODE": code},
) == CODE_MISMATCH

session = totp_challenge(req_client, req_user)
code, req_step = now_code(req_totp, after_step=req_step)
tokens = answer_totp(req_client, req_user, session, code)["AuthenticationResult"]
assert idp.get_user(AccessToken=tokens["AccessToken"])["Username"] == req_user

print(
    json.dumps(
        {
            "result": "ok",
            "optional": {"pool_id": opt_pool, "username": opt_user},
            "required": {"pool_id": req_pool, "username": req_user},
            "waited_seconds": round(waited, 1),
        }
    )
)

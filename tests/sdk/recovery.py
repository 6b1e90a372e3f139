"""Account recovery by code with the official Kratos SDK (ory-kratos-client).

Usage: recovery.py PUBLIC_URL ADMIN_URL API_KEY MAILS

MAILS is the JSON-lines file the SMTP peer (tests/peers/smtp) writes every mail it receives
to; the codes are read from there. The server must have recovery on, mail through that peer,
and `feature_flags.use_continue_with_transitions` on.

The SDK validates every response against Kratos' models, so a missing field, a wrong type or
an unknown enum value fails here.
"""
import json
import re
import sys
import time
import uuid
from urllib.parse import parse_qs, urlparse

import ory_kratos_client
from ory_kratos_client.api import courier_api, frontend_api, identity_api
from ory_kratos_client.exceptions import BadRequestException
from ory_kratos_client.models import (
    ContinueWithSetOrySessionToken,
    ContinueWithSettingsUi,
    CreateRecoveryCodeForIdentityBody,
    UpdateLoginFlowWithPasswordMethod,
    UpdateRecoveryFlowWithCodeMethod,
    UpdateRegistrationFlowWithPasswordMethod,
    UpdateSettingsFlowWithPasswordMethod,
)
from ory_kratos_client.models.update_login_flow_body import UpdateLoginFlowBody
from ory_kratos_client.models.update_recovery_flow_body import UpdateRecoveryFlowBody
from ory_kratos_client.models.update_registration_flow_body import UpdateRegistrationFlowBody
from ory_kratos_client.models.update_settings_flow_body import UpdateSettingsFlowBody

PASSWORD = "sdk recovery password 1234"
NEW_PASSWORD = "sdk recovered password 5678"


def state_of(model) -> str:
    state = model.state
    return getattr(state, "value", state)


def recovery_code_mailed_to(mails: str, email: str, count: int) -> str:
    """The code in the `count`-th recovery mail to `email`, waiting for it to arrive."""
    deadline = time.monotonic() + 15
    while True:
        try:
            with open(mails, encoding="utf-8") as f:
                received = [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            received = []
        matching = [
            m for m in received if email in m.get("to", "") and "recover" in m.get("subject", "")
        ]
        if len(matching) >= count:
            found = re.search(r"\b\d{6}\b", matching[count - 1]["text"])
            assert found, matching[count - 1]
            return found.group(0)
        assert time.monotonic() < deadline, f"no recovery mail {count} to {email}: {received}"
        time.sleep(0.1)


def recover(api, flow_id: str, code: str):
    return api.update_recovery_flow(
        flow=flow_id,
        update_recovery_flow_body=UpdateRecoveryFlowBody(
            UpdateRecoveryFlowWithCodeMethod(method="code", code=code)
        ),
    )


def session_token_and_settings(done) -> tuple:
    """What a recovered API flow continues with: the session token and the settings flow."""
    kinds = [type(c.actual_instance) for c in done.continue_with]
    assert kinds == [ContinueWithSetOrySessionToken, ContinueWithSettingsUi], kinds
    token = done.continue_with[0].actual_instance.ory_session_token
    settings = done.continue_with[1].actual_instance.flow
    assert token.startswith("ory_st_"), token
    assert settings.url, settings
    return token, settings.id


def log_in(api, email: str, password: str):
    return api.update_login_flow(
        flow=api.create_native_login_flow().id,
        update_login_flow_body=UpdateLoginFlowBody(
            UpdateLoginFlowWithPasswordMethod(
                method="password", identifier=email, password=password
            )
        ),
    )


def main(public_url: str, admin_url: str, key: str, mails: str) -> None:
    email = f"sdk-recovery-{uuid.uuid4().hex[:8]}@example.com"
    admin_config = ory_kratos_client.Configuration(host=admin_url)
    admin_config.api_key["oryAccessToken"] = key
    admin_config.api_key_prefix["oryAccessToken"] = "Bearer"
    with ory_kratos_client.ApiClient(
        ory_kratos_client.Configuration(host=public_url)
    ) as public, ory_kratos_client.ApiClient(admin_config) as admin:
        api = frontend_api.FrontendApi(public)
        reg = api.update_registration_flow(
            flow=api.create_native_registration_flow().id,
            update_registration_flow_body=UpdateRegistrationFlowBody(
                UpdateRegistrationFlowWithPasswordMethod(
                    method="password", password=PASSWORD, traits={"email": email}
                )
            ),
        )
        identity_id = reg.identity.id

        flow = api.create_native_recovery_flow()
        assert state_of(flow) == "choose_method", flow.state
        assert flow.type == "api", flow.type
        fetched = api.get_recovery_flow(id=flow.id)
        assert fetched.id == flow.id

        sent = api.update_recovery_flow(
            flow=flow.id,
            update_recovery_flow_body=UpdateRecoveryFlowBody(
                UpdateRecoveryFlowWithCodeMethod(method="code", email=email)
            ),
        )
        assert state_of(sent) == "sent_email", sent.state
        assert [m.id for m in sent.ui.messages] == [1060003], sent.ui.messages
        code = recovery_code_mailed_to(mails, email, 1)

        # A wrong code is the flow again, with Kratos' message, as a 400.
        wrong = "000000" if code != "000000" else "111111"
        try:
            recover(api, flow.id, wrong)
            raise AssertionError("a wrong recovery code was accepted")
        except BadRequestException as err:
            assert "4060006" in err.body, err.body

        done = recover(api, flow.id, code)
        assert state_of(done) == "passed_challenge", done.state
        token, settings_id = session_token_and_settings(done)

        session = api.to_session(x_session_token=token)
        assert session.identity.id == identity_id
        assert session.authentication_methods[0].method == "code_recovery"

        settings = api.get_settings_flow(id=settings_id, x_session_token=token)
        assert 1060001 in [m.id for m in settings.ui.messages], settings.ui.messages
        changed = api.update_settings_flow(
            flow=settings_id,
            x_session_token=token,
            update_settings_flow_body=UpdateSettingsFlowBody(
                UpdateSettingsFlowWithPasswordMethod(method="password", password=NEW_PASSWORD)
            ),
        )
        assert state_of(changed) == "success", changed.state

        assert log_in(api, email, NEW_PASSWORD).session.identity.id == identity_id
        try:
            log_in(api, email, PASSWORD)
            raise AssertionError("the old password still works")
        except BadRequestException as err:
            assert "4000006" in err.body, err.body

        # An administrator's code, for an API flow: typed into the flow its link names.
        identities = identity_api.IdentityApi(admin)
        issued = identities.create_recovery_code_for_identity(
            create_recovery_code_for_identity_body=CreateRecoveryCodeForIdentityBody(
                identity_id=identity_id, expires_in="15m", flow_type="api"
            )
        )
        assert issued.expires_at is not None
        admin_flow_id = parse_qs(urlparse(issued.recovery_link).query)["flow"][0]
        admin_flow = api.get_recovery_flow(id=admin_flow_id)
        assert state_of(admin_flow) == "sent_email", admin_flow.state
        assert admin_flow.type == "api", admin_flow.type
        token, _ = session_token_and_settings(recover(api, admin_flow_id, issued.recovery_code))
        assert api.to_session(x_session_token=token).identity.id == identity_id

        browser_code = identities.create_recovery_code_for_identity(
            create_recovery_code_for_identity_body=CreateRecoveryCodeForIdentityBody(
                identity_id=identity_id
            )
        )
        assert browser_code.recovery_code, browser_code

        courier = courier_api.CourierApi(admin)
        messages = courier.list_courier_messages(recipient=email)
        templates = sorted(m.template_type for m in messages)
        assert "recovery_code_valid" in templates, templates
        recovery = next(m for m in messages if m.template_type == "recovery_code_valid")
        assert recovery.recipient == email
        assert courier.get_courier_message(id=recovery.id).id == recovery.id
    print("sdk recovery: ok")


if __name__ == "__main__":
    main(*sys.argv[1:5])

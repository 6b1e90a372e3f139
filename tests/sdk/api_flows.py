"""Drives Latchkey's API flows with the official Kratos SDK (ory-kratos-client).

The SDK validates every response against Kratos' models, so a missing field, a wrong type or
an unknown enum value fails here.
"""
import sys
import uuid

import ory_kratos_client
from ory_kratos_client.api import frontend_api
from ory_kratos_client.models import (
    UpdateLoginFlowWithPasswordMethod,
    UpdateRegistrationFlowWithPasswordMethod,
)
from ory_kratos_client.models.update_login_flow_body import UpdateLoginFlowBody
from ory_kratos_client.models.update_registration_flow_body import UpdateRegistrationFlowBody


def main(base_url: str) -> None:
    config = ory_kratos_client.Configuration(host=base_url)
    with ory_kratos_client.ApiClient(config) as client:
        api = frontend_api.FrontendApi(client)
        email = f"sdk-{uuid.uuid4().hex[:8]}@example.com"
        password = "sdk password 1234"

        flow = api.create_native_registration_flow()
        assert flow.state == "choose_method", flow.state
        reg = api.update_registration_flow(
            flow=flow.id,
            update_registration_flow_body=UpdateRegistrationFlowBody(
                UpdateRegistrationFlowWithPasswordMethod(
                    method="password", password=password, traits={"email": email}
                )
            ),
        )
        assert reg.identity.traits["email"] == email
        assert reg.session_token.startswith("ory_st_")

        login_flow = api.create_native_login_flow()
        assert str(login_flow.requested_aal.value if hasattr(login_flow.requested_aal, "value") else login_flow.requested_aal) == "aal1"
        login = api.update_login_flow(
            flow=login_flow.id,
            update_login_flow_body=UpdateLoginFlowBody(
                UpdateLoginFlowWithPasswordMethod(
                    method="password", identifier=email, password=password
                )
            ),
        )
        token = login.session_token
        session = api.to_session(x_session_token=token)
        assert session.identity.traits["email"] == email
        assert session.authentication_methods[0].method == "password"

        fetched = api.get_login_flow(id=login_flow.id)
        assert fetched.id == login_flow.id

        # A wrong password comes back as a 400 with the flow; the SDK raises for it.
        wrong_flow = api.create_native_login_flow()
        try:
            api.update_login_flow(
                flow=wrong_flow.id,
                update_login_flow_body=UpdateLoginFlowBody(
                    UpdateLoginFlowWithPasswordMethod(
                        method="password", identifier=email, password="not it at all"
                    )
                ),
            )
            raise AssertionError("a wrong password was accepted")
        except ory_kratos_client.exceptions.BadRequestException as err:
            assert "4000006" in err.body, err.body

        api.perform_native_logout(
            perform_native_logout_body=ory_kratos_client.PerformNativeLogoutBody(
                session_token=token
            )
        )
        try:
            api.to_session(x_session_token=token)
            raise AssertionError("a logged-out session still works")
        except ory_kratos_client.exceptions.UnauthorizedException:
            pass
    print("sdk: ok")


if __name__ == "__main__":
    main(sys.argv[1])

"""Every self-service flow and variant through the official Kratos SDK (ory-kratos-client).

The SDK validates each response against Kratos' models: a missing field, a wrong type or an
unknown enum value fails here. Browser flows are driven the way a server-side app does it:
it forwards the browser's cookies with `cookie=`.
"""
import sys
import uuid

import ory_kratos_client as k
from ory_kratos_client.api import frontend_api, identity_api
from ory_kratos_client.models import (
    UpdateLoginFlowWithPasswordMethod,
    UpdateRegistrationFlowWithPasswordMethod,
    UpdateSettingsFlowWithPasswordMethod,
    UpdateSettingsFlowWithProfileMethod,
)
from ory_kratos_client.models.update_login_flow_body import UpdateLoginFlowBody
from ory_kratos_client.models.update_registration_flow_body import UpdateRegistrationFlowBody
from ory_kratos_client.models.update_settings_flow_body import UpdateSettingsFlowBody


class Jar:
    """The cookies a browser would hold, fed back to the SDK as a Cookie header."""

    def __init__(self):
        self.cookies = {}

    def take(self, headers):
        # The SDK folds repeated Set-Cookie headers into one comma-separated value; our
        # cookies carry no Expires dates, so a comma always separates two cookies.
        joined = headers.get("set-cookie") or headers.get("Set-Cookie") or ""
        for raw in filter(None, (c.strip() for c in joined.split(","))):
            pair = raw.split(";", 1)[0]
            name, _, value = pair.partition("=")
            if value:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)

    def header(self):
        return "; ".join(f"{n}={v}" for n, v in self.cookies.items())


def csrf(flow):
    for node in flow.ui.nodes:
        attrs = node.attributes.actual_instance
        if getattr(attrs, "name", None) == "csrf_token":
            return attrs.value
    raise AssertionError("no csrf_token node")


def expect(exc_type, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except exc_type as err:
        return err
    raise AssertionError(f"expected {exc_type.__name__}")


def native(api, email, password):
    flow = api.create_native_registration_flow()
    reg = api.update_registration_flow(
        flow=flow.id,
        update_registration_flow_body=UpdateRegistrationFlowBody(
            UpdateRegistrationFlowWithPasswordMethod(
                method="password", password=password, traits={"email": email}
            )
        ),
    )
    token = reg.session_token

    settings = api.create_native_settings_flow(x_session_token=token)
    assert settings.state.value == "show_form" if hasattr(settings.state, "value") else settings.state == "show_form"
    fetched = api.get_settings_flow(id=settings.id, x_session_token=token)
    assert fetched.id == settings.id
    saved = api.update_settings_flow(
        flow=settings.id,
        x_session_token=token,
        update_settings_flow_body=UpdateSettingsFlowBody(
            UpdateSettingsFlowWithProfileMethod(method="profile", traits={"email": email})
        ),
    )
    assert saved.ui.messages[0].id == 1050001
    saved = api.update_settings_flow(
        flow=settings.id,
        x_session_token=token,
        update_settings_flow_body=UpdateSettingsFlowBody(
            UpdateSettingsFlowWithPasswordMethod(method="password", password=password + "!")
        ),
    )
    assert saved.ui.messages[0].id == 1050001

    second = api.update_login_flow(
        flow=api.create_native_login_flow().id,
        update_login_flow_body=UpdateLoginFlowBody(
            UpdateLoginFlowWithPasswordMethod(
                method="password", identifier=email, password=password + "!"
            )
        ),
    )
    mine = api.list_my_sessions(x_session_token=token)
    assert len(mine) == 1 and mine[0].id == second.session.id
    count = api.disable_my_other_sessions(x_session_token=token)
    assert count.count == 1
    expect(k.exceptions.UnauthorizedException, api.to_session, x_session_token=second.session_token)
    return token


def browser(api, email, password):
    jar = Jar()
    resp = api.create_browser_registration_flow_with_http_info()
    jar.take(resp.headers)
    flow = resp.data
    assert flow.type == "browser"
    again = api.get_registration_flow(id=flow.id, cookie=jar.header())
    assert again.id == flow.id
    done = api.update_registration_flow_with_http_info(
        flow=flow.id,
        cookie=jar.header(),
        update_registration_flow_body=UpdateRegistrationFlowBody(
            UpdateRegistrationFlowWithPasswordMethod(
                method="password",
                password=password,
                traits={"email": email},
                csrf_token=csrf(flow),
            )
        ),
    )
    jar.take(done.headers)
    assert done.data.identity.traits["email"] == email
    session = api.to_session(cookie=jar.header())
    assert session.identity.traits["email"] == email

    settings_resp = api.create_browser_settings_flow_with_http_info(cookie=jar.header())
    settings = settings_resp.data
    saved = api.update_settings_flow(
        flow=settings.id,
        cookie=jar.header(),
        update_settings_flow_body=UpdateSettingsFlowBody(
            UpdateSettingsFlowWithProfileMethod(
                method="profile", traits={"email": email}, csrf_token=csrf(settings)
            )
        ),
    )
    assert saved.state.value == "success" if hasattr(saved.state, "value") else saved.state == "success"

    logout = api.create_browser_logout_flow(cookie=jar.header())
    assert logout.logout_url and logout.logout_token
    api.update_logout_flow(token=logout.logout_token, cookie=jar.header())
    expect(k.exceptions.UnauthorizedException, api.to_session, cookie=jar.header())

    jar2 = Jar()
    resp = api.create_browser_login_flow_with_http_info()
    jar2.take(resp.headers)
    login = api.update_login_flow_with_http_info(
        flow=resp.data.id,
        cookie=jar2.header(),
        update_login_flow_body=UpdateLoginFlowBody(
            UpdateLoginFlowWithPasswordMethod(
                method="password", identifier=email, password=password, csrf_token=csrf(resp.data)
            )
        ),
    )
    jar2.take(login.headers)
    assert login.data.session.identity.traits["email"] == email
    err = expect(
        k.exceptions.ForbiddenException,
        api.update_login_flow,
        flow=api.create_browser_login_flow_with_http_info(cookie=jar2.header(), refresh=True).data.id,
        cookie=jar2.header(),
        update_login_flow_body=UpdateLoginFlowBody(
            UpdateLoginFlowWithPasswordMethod(
                method="password", identifier=email, password=password, csrf_token="forged"
            )
        ),
    )
    assert "security_csrf_violation" in err.body


def main(base_url):
    with k.ApiClient(k.Configuration(host=base_url)) as client:
        api = frontend_api.FrontendApi(client)
        suffix = uuid.uuid4().hex[:8]
        native(api, f"native-{suffix}@example.com", "sdk native pw 1")
        browser(api, f"browser-{suffix}@example.com", "sdk browser pw 1")
        schemas = identity_api.IdentityApi(client).list_identity_schemas()
        assert schemas[0].id == "default"
    print("sdk: ok")


if __name__ == "__main__":
    main(sys.argv[1])

"""Drives Latchkey's admin API with the official Kratos SDK (ory-kratos-client).

Usage: admin_api.py PUBLIC_URL ADMIN_URL API_KEY

The SDK validates every response against Kratos' models, so a missing field, a wrong type or
an unknown enum value fails here.
"""
import sys
import uuid

import ory_kratos_client
from ory_kratos_client.api import frontend_api, identity_api
from ory_kratos_client.exceptions import NotFoundException, UnauthorizedException
from ory_kratos_client.models import (
    CreateIdentityBody,
    IdentityWithCredentials,
    IdentityWithCredentialsPassword,
    IdentityWithCredentialsPasswordConfig,
    UpdateIdentityBody,
    UpdateLoginFlowWithPasswordMethod,
)
from ory_kratos_client.models.update_login_flow_body import UpdateLoginFlowBody

PASSWORD = "sdk admin password 1234"


def admin_client(admin_url: str, key):
    config = ory_kratos_client.Configuration(host=admin_url)
    if key is not None:
        config.api_key["oryAccessToken"] = key
        config.api_key_prefix["oryAccessToken"] = "Bearer"
    return ory_kratos_client.ApiClient(config)


def log_in(public_url: str, email: str) -> str:
    config = ory_kratos_client.Configuration(host=public_url)
    with ory_kratos_client.ApiClient(config) as client:
        api = frontend_api.FrontendApi(client)
        flow = api.create_native_login_flow()
        login = api.update_login_flow(
            flow=flow.id,
            update_login_flow_body=UpdateLoginFlowBody(
                UpdateLoginFlowWithPasswordMethod(
                    method="password", identifier=email, password=PASSWORD
                )
            ),
        )
        return login.session.id


def main(public_url: str, admin_url: str, key: str) -> None:
    with admin_client(admin_url, None) as client:
        try:
            identity_api.IdentityApi(client).list_identities()
            raise AssertionError("the admin API answered without an API key")
        except UnauthorizedException:
            pass

    with admin_client(admin_url, key) as client:
        api = identity_api.IdentityApi(client)
        email = f"sdk-{uuid.uuid4().hex[:8]}@example.com"

        created = api.create_identity(
            create_identity_body=CreateIdentityBody(
                schema_id="default",
                traits={"email": email},
                metadata_public={"plan": "free"},
                credentials=IdentityWithCredentials(
                    password=IdentityWithCredentialsPassword(
                        config=IdentityWithCredentialsPasswordConfig(password=PASSWORD)
                    )
                ),
            )
        )
        assert created.traits["email"] == email
        assert created.state == "active"
        assert created.metadata_public == {"plan": "free"}
        assert created.credentials["password"].identifiers == [email]

        fetched = api.get_identity(id=created.id, include_credential=["password"])
        assert fetched.id == created.id
        hashed = fetched.credentials["password"].config["hashed_password"]
        assert hashed.startswith("$argon2id$"), hashed

        others = [
            api.create_identity(
                create_identity_body=CreateIdentityBody(
                    schema_id="default", traits={"email": f"other{i}-{email}"}
                )
            ).id
            for i in range(3)
        ]
        listed = api.list_identities(page_size=2)
        assert len(listed) == 2, listed
        everyone = api.list_identities(page_size=500)
        assert {i.id for i in everyone} == {created.id, *others}
        found = api.list_identities(credentials_identifier=email)
        assert [i.id for i in found] == [created.id]
        with_hash = api.list_identities(
            credentials_identifier=email, include_credential=["password"]
        )
        assert with_hash[0].credentials["password"].config["hashed_password"] == hashed

        new_email = f"renamed-{email}"
        updated = api.update_identity(
            id=created.id,
            update_identity_body=UpdateIdentityBody(
                schema_id="default",
                state="active",
                traits={"email": new_email},
                metadata_admin={"note": "renamed"},
            ),
        )
        assert updated.traits["email"] == new_email
        assert updated.metadata_admin == {"note": "renamed"}
        assert updated.metadata_public is None
        assert updated.credentials["password"].identifiers == [new_email]

        session_id = log_in(public_url, new_email)
        sessions = api.list_sessions(active=True, expand=["identity", "devices"])
        mine = [s for s in sessions if s.id == session_id]
        assert len(mine) == 1, sessions
        assert mine[0].identity.id == created.id
        assert mine[0].active is True
        plain = api.list_sessions()
        assert all(s.identity is None for s in plain)

        session = api.get_session(id=session_id, expand=["identity"])
        assert session.identity.traits["email"] == new_email
        extended = api.extend_session(id=session_id)
        assert extended.id == session_id
        assert extended.expires_at >= session.expires_at
        identity_sessions = api.list_identity_sessions(id=created.id)
        assert [s.id for s in identity_sessions] == [session_id]

        api.disable_session(id=session_id)
        assert api.get_session(id=session_id).active is False
        assert api.list_identity_sessions(id=created.id, active=True) == []

        api.delete_identity(id=created.id)
        try:
            api.get_identity(id=created.id)
            raise AssertionError("a deleted identity is still there")
        except NotFoundException:
            pass
        for other in others:
            api.delete_identity(id=other)
        assert api.list_identities() == []
    print("sdk admin: ok")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])

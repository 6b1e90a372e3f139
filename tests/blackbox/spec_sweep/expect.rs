//! What Kratos answers to each probe: a generic rule, from how Kratos' handlers read requests,
//! and a table of the parameters where a handler does otherwise, each row citing the Kratos
//! source it comes from (paths in github.com/ory/kratos).
//!
//! The generic rule: Kratos reads a query parameter with `r.URL.Query().Get(name)`, so an
//! unknown parameter is ignored, an empty one is the same as an absent one, a repeated one is
//! its first value, and a value that does not parse (`strconv.ParseBool`, the page paginator)
//! falls back to the default. An unknown or malformed id in the path is the persister's 404
//! (`x.ParseUUID` gives `uuid.Nil`, which names nothing). A body that is not JSON, not an
//! object, lacks a required field or has a field of the wrong type is a 400; an unknown body
//! field is ignored.

use super::probes::{Kind, Target};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Whatever the baseline answers.
    Baseline,
    Code(u16),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Id {
    Any,
    /// An error without an `id` (herodot's generic errors have none).
    None,
    Is(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expect {
    pub status: Status,
    pub id: Id,
}

pub const SAME: Expect = Expect {
    status: Status::Baseline,
    id: Id::Any,
};

pub const fn status(code: u16) -> Expect {
    Expect {
        status: Status::Code(code),
        id: Id::Any,
    }
}

pub const fn error(code: u16, id: &'static str) -> Expect {
    Expect {
        status: Status::Code(code),
        id: Id::Is(id),
    }
}

pub const fn without_id(code: u16) -> Expect {
    Expect {
        status: Status::Code(code),
        id: Id::None,
    }
}

/// What a row is about, spelled as in the spec.
#[derive(Debug, Clone, Copy)]
pub enum T {
    Q(&'static str),
    H(&'static str),
    P(&'static str),
    F(&'static str),
    Body,
}

pub struct Row {
    /// Operation ids, or `operationId[variant]` for one way of calling it.
    pub cases: &'static [&'static str],
    pub target: T,
    pub kind: Kind,
    pub expect: Expect,
}

const fn row(cases: &'static [&'static str], target: T, kind: Kind, expect: Expect) -> Row {
    Row {
        cases,
        target,
        kind,
        expect,
    }
}

use Kind::*;
use T::*;

const SUBMITS: &[&str] = &[
    "updateLoginFlow",
    "updateRegistrationFlow",
    "updateSettingsFlow",
    "updateRecoveryFlow",
    "updateVerificationFlow",
];
const FETCHES: &[&str] = &[
    "getLoginFlow",
    "getRegistrationFlow",
    "getSettingsFlow",
    "getRecoveryFlow",
    "getVerificationFlow",
];
const API_SUBMITS: &[&str] = &[
    "updateLoginFlow[api]",
    "updateRegistrationFlow[api]",
    "updateSettingsFlow[api]",
    "updateVerificationFlow[api]",
];
/// Submissions of recovery and verification flows that ask for a code to be sent.
const CHALLENGE_SENDS: &[&str] = &["updateRecoveryFlow", "updateVerificationFlow"];
/// Admin endpoints of a method that is off (`selfservice.methods.<id>.enabled: false`).
pub const DISABLED: &[&str] = &["createRecoveryLinkForIdentity"];
const RETURN_TO_CHECKED: &[&str] = &[
    "createNativeLoginFlow",
    "createBrowserLoginFlow",
    "createNativeRegistrationFlow",
    "createBrowserRegistrationFlow",
    "createBrowserSettingsFlow",
    "createBrowserRecoveryFlow",
    "createNativeVerificationFlow",
    "createBrowserVerificationFlow",
    "createBrowserLogoutFlow",
    "updateLogoutFlow",
];
const MY_SESSIONS: &[&str] = &[
    "listMySessions",
    "disableMyOtherSessions",
    "disableMySession",
];
const ADMIN_SESSION_BY_ID: &[&str] = &["getSession", "disableSession", "extendSession"];

pub const TABLE: &[Row] = &[
    // ---- Flow ids -------------------------------------------------------------------------
    // selfservice/flow/flow.go `GetFlowID` (settings: flow/settings/strategy_helper.go): a
    // missing or malformed `flow` is a 400 "The flow query parameter is missing or
    // malformed."; an unknown one is the persister's 404 (login/handler.go updateLoginFlow).
    row(SUBMITS, Q("flow"), Absent, without_id(400)),
    row(SUBMITS, Q("flow"), WrongType, without_id(400)),
    row(SUBMITS, Q("flow"), Unknown, status(404)),
    // login/handler.go getLoginFlow, registration/handler.go getRegistrationFlow,
    // settings/handler.go getSettingsFlow, recovery/handler.go getRecoveryFlow,
    // verification/handler.go getVerificationFlow: `x.ParseUUID(Query().Get("id"))`, so a missing or
    // malformed id is `uuid.Nil`, which the persister does not find: 404.
    row(FETCHES, Q("id"), Absent, status(404)),
    row(FETCHES, Q("id"), WrongType, status(404)),
    row(FETCHES, Q("id"), Unknown, status(404)),
    // ---- Browser flows and their CSRF cookie ---------------------------------------------
    // login/handler.go getLoginFlow (and registration's): a browser flow read without its
    // CSRF cookie is `nosurfx.CSRFErrorReason`, 403 security_csrf_violation.
    row(
        &[
            "getLoginFlow[browser]",
            "getRegistrationFlow[browser]",
            "getRecoveryFlow[browser]",
            "getVerificationFlow[browser]",
        ],
        H("Cookie"),
        Absent,
        error(403, "security_csrf_violation"),
    ),
    // The strategies' `flow.EnsureCSRF` on submit (e.g. strategy/password/login.go): same,
    // without the cookie or without the form's `csrf_token`. In recovery and verification
    // (strategy/code/strategy_recovery.go Recover, strategy_verification.go
    // verificationHandleFormSubmission) the 403 is no validation error the flow can show
    // (`UI.ParseError` takes only 400s), so the error handler answers it as it is.
    row(
        &[
            "updateLoginFlow[browser]",
            "updateRegistrationFlow[browser]",
            "updateRecoveryFlow[browser]",
            "updateVerificationFlow[browser]",
        ],
        H("Cookie"),
        Absent,
        error(403, "security_csrf_violation"),
    ),
    row(
        &[
            "updateLoginFlow[browser]",
            "updateRegistrationFlow[browser]",
            "updateSettingsFlow[browser]",
            "updateRecoveryFlow[browser]",
            "updateVerificationFlow[browser]",
        ],
        F("csrf_token"),
        Absent,
        error(403, "security_csrf_violation"),
    ),
    // flow/flow.go `EnsureCSRF`: an API flow submitted with a `Cookie` header looks like a
    // browser riding an API flow past CSRF protection: 400.
    row(API_SUBMITS, H("Cookie"), Unknown, without_id(400)),
    // strategy/code/strategy_recovery.go Recover: a recovery flow that fails `EnsureCSRF` is
    // retried (`retryRecoveryFlow`) as a new browser flow carrying the error, and a JSON
    // client without `use_continue_with_transitions` is redirected to fetch it.
    row(
        &["updateRecoveryFlow[api]"],
        H("Cookie"),
        Unknown,
        status(303),
    ),
    // ---- Recovery and verification -------------------------------------------------------
    // strategy/code/strategy_recovery.go recoveryHandleFormSubmission and
    // strategy_verification.go verificationHandleFormSubmission: without `email` (and without
    // `code`, in a flow that sent none), `schema.NewRequiredError("#/email", "email")`: the
    // flow with the message, 400.
    row(CHALLENGE_SENDS, F("email"), Absent, status(400)),
    // strategy/code/strategy_recovery_admin.go createRecoveryCodeForIdentity: the body is
    // decoded without a schema, so a missing `identity_id` is `uuid.Nil`, and `GetIdentity`
    // finds nothing: 404 "could not find identity".
    row(
        &["createRecoveryCodeForIdentity"],
        F("identity_id"),
        Absent,
        status(404),
    ),
    // ---- Sessions ------------------------------------------------------------------------
    // settings/handler.go RegisterPublicRoutes: fetching and submitting a settings flow go
    // through `IsAuthenticated(…, OnUnauthenticated)`, which answers a JSON request with a 401
    // without an id (settings/strategy_helper.go OnUnauthenticated) — before the flow or its
    // CSRF token is looked at.
    row(
        &["getSettingsFlow[api]", "updateSettingsFlow[api]"],
        H("X-Session-Token"),
        Absent,
        without_id(401),
    ),
    row(
        &["getSettingsFlow[browser]", "updateSettingsFlow[browser]"],
        H("Cookie"),
        Absent,
        without_id(401),
    ),
    // session/manager_http.go extractToken: an `X-Session-Token` header wins over the
    // session cookie, so a garbage one next to a good cookie means no session.
    row(
        &["getSettingsFlow[browser]", "updateSettingsFlow[browser]"],
        H("X-Session-Token"),
        Unknown,
        without_id(401),
    ),
    row(
        &["toSession[cookie]"],
        H("X-Session-Token"),
        Unknown,
        error(401, "session_inactive"),
    ),
    // settings/handler.go: initialising needs a session, `session.NewErrNoActiveSessionFound`.
    row(
        &["createNativeSettingsFlow"],
        H("X-Session-Token"),
        Absent,
        error(401, "session_inactive"),
    ),
    row(
        &["createBrowserSettingsFlow"],
        H("Cookie"),
        Absent,
        error(401, "session_inactive"),
    ),
    // session/handler.go whoami: `ErrNoSessionFound`.
    row(
        &["toSession[token]"],
        H("X-Session-Token"),
        Absent,
        error(401, "session_inactive"),
    ),
    row(
        &["toSession[cookie]"],
        H("Cookie"),
        Absent,
        error(401, "session_inactive"),
    ),
    // session/handler.go listMySessions, deleteMySessions, deleteMySession:
    // `herodot.ErrUnauthorized().WithReasonf("No valid session cookie found.")`, no id.
    row(MY_SESSIONS, H("X-Session-Token"), Absent, without_id(401)),
    // logout/handler.go createBrowserLogoutFlow and updateLogoutFlow: the session comes from
    // the request (`FetchFromRequest`); without one, its `ErrNoActiveSessionFound`.
    row(
        &["createBrowserLogoutFlow", "updateLogoutFlow"],
        H("Cookie"),
        Absent,
        error(401, "session_inactive"),
    ),
    // A login flow for a signed-in user is only for refreshing or raising the AAL
    // (login/handler.go NewLoginFlow); `refresh` is `strconv.ParseBool` with the error
    // dropped (login/flow.go NewFlow), so an empty or unparsable value is `false`.
    row(
        &[
            "createNativeLoginFlow[refresh]",
            "createBrowserLoginFlow[refresh]",
        ],
        Q("refresh"),
        Absent,
        error(400, "session_already_available"),
    ),
    row(
        &[
            "createNativeLoginFlow[refresh]",
            "createBrowserLoginFlow[refresh]",
        ],
        Q("refresh"),
        WrongType,
        error(400, "session_already_available"),
    ),
    // Without the session, the same request simply starts a login flow.
    row(
        &["createNativeLoginFlow[refresh]"],
        H("X-Session-Token"),
        Absent,
        SAME,
    ),
    row(
        &["createBrowserLoginFlow[refresh]"],
        H("Cookie"),
        Absent,
        SAME,
    ),
    // ---- Init parameters ------------------------------------------------------------------
    // login/handler.go NewLoginFlow: `aal` other than aal1/aal2 is a 400 "Unable to parse
    // AuthenticationMethod Assurance Level (AAL)".
    row(
        &["createNativeLoginFlow", "createBrowserLoginFlow"],
        Q("aal"),
        WrongType,
        without_id(400),
    ),
    // x/redir/secure_redirect.go SecureRedirectTo: a `return_to` outside the allow-list.
    row(
        RETURN_TO_CHECKED,
        Q("return_to"),
        WrongType,
        error(400, "self_service_flow_return_to_forbidden"),
    ),
    // driver/config/config.go SelfServiceFlowIdentitySchema: "Requested identity schema %q
    // does not exist.", 400.
    row(
        &[
            "createNativeLoginFlow",
            "createBrowserLoginFlow",
            "createNativeRegistrationFlow",
            "createBrowserRegistrationFlow",
        ],
        Q("identity_schema"),
        WrongType,
        without_id(400),
    ),
    // hydra/hydra.go GetLoginChallengeID: any `login_challenge` (even empty) without
    // `oauth2_provider.url` configured is `herodot.ErrMisconfiguration`, 500
    // invalid_configuration — and Latchkey has no OAuth2 provider to configure.
    row(
        &["createBrowserLoginFlow", "createBrowserRegistrationFlow"],
        Q("login_challenge"),
        Empty,
        error(500, "invalid_configuration"),
    ),
    row(
        &["createBrowserLoginFlow", "createBrowserRegistrationFlow"],
        Q("login_challenge"),
        WrongType,
        error(500, "invalid_configuration"),
    ),
    // session/handler.go whoami → session/tokenizer.go → config.go TokenizeTemplate: a
    // template that is not configured is a 400 "Unable to find tokenizer template".
    row(&["toSession"], Q("tokenize_as"), WrongType, without_id(400)),
    // selfservice/errorx/handler.go: the error is `cmp.Or(Get("error"), Get("id"))`, read with
    // `x.ParseUUID`; a missing, malformed or unknown one is the persister's 404.
    row(&["getFlowError"], Q("id"), Absent, status(404)),
    row(&["getFlowError"], Q("id"), WrongType, status(404)),
    row(&["getFlowError"], Q("id"), Unknown, status(404)),
    // ---- Logout ------------------------------------------------------------------------------
    // logout/handler.go updateLogoutFlow: no token is a 400 "Please include a token in the URL
    // query."; a token that is not the session's is a 403.
    row(&["updateLogoutFlow"], Q("token"), Absent, without_id(400)),
    row(
        &["updateLogoutFlow"],
        Q("token"),
        WrongType,
        without_id(403),
    ),
    // logout/handler.go performNativeLogout: `RevokeSessionByToken` finds no session for a
    // missing token: 403 "The provided Ory Session Token could not be found…", no id.
    row(
        &["performNativeLogout"],
        F("session_token"),
        Absent,
        without_id(403),
    ),
    // ---- My sessions -----------------------------------------------------------------------
    // session/handler.go deleteMySession: `uuid.FromString` fails: 400; an id that is not one
    // of the caller's sessions revokes nothing and still answers 204 (persister RevokeSession
    // is an UPDATE … WHERE identity_id = ?).
    row(&["disableMySession"], P("id"), WrongType, without_id(400)),
    row(&["disableMySession"], P("id"), Unknown, SAME),
    // ---- Admin: sessions ---------------------------------------------------------------
    // session/handler.go getSession, disableSession, adminSessionExtend,
    // listIdentitySessions, deleteIdentitySessions: `uuid.FromString` fails: 400.
    row(ADMIN_SESSION_BY_ID, P("id"), WrongType, without_id(400)),
    row(
        &["listIdentitySessions", "deleteIdentitySessions"],
        P("id"),
        WrongType,
        without_id(400),
    ),
    // listIdentitySessions lists by identity id without looking the identity up: an unknown
    // one has no sessions, 200 [].
    row(&["listIdentitySessions"], P("id"), Unknown, SAME),
    // adminListSessions and listIdentitySessions: `active` that `strconv.ParseBool` rejects is
    // a 400 "could not parse parameter active".
    row(
        &["listSessions", "listIdentitySessions"],
        Q("active"),
        WrongType,
        without_id(400),
    ),
    // adminListSessions: keyset pagination (`keysetpagination.Parse`): a page size that is
    // no number or a forged token is a 400.
    row(
        &["listSessions"],
        Q("page_size"),
        WrongType,
        without_id(400),
    ),
    row(
        &["listSessions"],
        Q("page_token"),
        WrongType,
        without_id(400),
    ),
    // adminListSessions, getSession: every `expand` value must be `identity` or `devices`,
    // an empty one included: 400 "Could not parse expand option".
    row(
        &["listSessions", "getSession"],
        Q("expand"),
        WrongType,
        without_id(400),
    ),
    row(
        &["listSessions", "getSession"],
        Q("expand"),
        Empty,
        without_id(400),
    ),
    // ---- Admin: identities -----------------------------------------------------------------
    // identity/handler.go parseListIdentitiesParameters: `ids` and `organization_id` must be
    // UUIDs, `include_credential` a credential type: 400; and one filter at a time.
    row(&["listIdentities"], Q("ids"), WrongType, without_id(400)),
    row(&["listIdentities"], Q("ids"), Empty, without_id(400)),
    row(
        &["listIdentities"],
        Q("organization_id"),
        WrongType,
        without_id(400),
    ),
    row(
        &["listIdentities", "getIdentity"],
        Q("include_credential"),
        WrongType,
        without_id(400),
    ),
    row(
        &["listIdentities", "getIdentity"],
        Q("include_credential"),
        Empty,
        without_id(400),
    ),
    // x/pagination.go ParseKeysetOrPagePagination: `page_size`/`per_page` that is no number,
    // or a forged `page_token`, is a 400 from `keysetpagination.Parse`.
    row(
        &["listIdentities"],
        Q("page_size"),
        WrongType,
        without_id(400),
    ),
    row(
        &["listIdentities"],
        Q("per_page"),
        WrongType,
        without_id(400),
    ),
    // A forged `page_token` reaches Kratos' identity persister as is (`id > ?`), so Kratos'
    // answer depends on its database (an empty page on SQLite, an error on PostgreSQL);
    // Latchkey refuses it as Kratos refuses a forged session page token.
    row(
        &["listIdentities"],
        Q("page_token"),
        WrongType,
        without_id(400),
    ),
    // identity/handler.go create: `jsonx.NewStrictDecoder` refuses unknown fields; a missing
    // `schema_id` is the default schema (identity/manager.go Create).
    row(&["createIdentity"], Body, Unknown, without_id(400)),
    row(&["createIdentity"], F("schema_id"), Absent, SAME),
    // identity/handler.go update: an empty `schema_id` or `state` keeps the identity's.
    row(&["updateIdentity"], F("schema_id"), Absent, SAME),
    row(&["updateIdentity"], F("state"), Absent, SAME),
    // ---- Admin: courier ----------------------------------------------------------------------
    // courier/handler.go parseMessagesFilter: a `status` that `ToMessageStatus` does not know,
    // and a page size or token `keysetpagination.ParseQueryParams` refuses, are a 400.
    row(
        &["listCourierMessages"],
        Q("status"),
        WrongType,
        without_id(400),
    ),
    row(
        &["listCourierMessages"],
        Q("page_size"),
        WrongType,
        without_id(400),
    ),
    row(
        &["listCourierMessages"],
        Q("page_token"),
        WrongType,
        without_id(400),
    ),
    // courier/handler.go getCourierMessage: `uuid.FromString` fails: 400.
    row(&["getCourierMessage"], P("id"), WrongType, without_id(400)),
];

/// The row for a probe, if the table has one. `Empty` falls back to `Absent`'s row (Go reads
/// both as ""), and so does a credential header that is empty or garbage.
pub fn lookup(case: &str, variant: &str, target: &Target, kind: Kind) -> Option<Expect> {
    let named = format!("{case}[{variant}]");
    let matches = |r: &&Row, kind: Kind| {
        r.kind == kind
            && r.cases.iter().any(|c| *c == case || *c == named)
            && match (r.target, target) {
                (Q(a), Target::Query(b)) | (P(a), Target::Path(b)) | (F(a), Target::Field(b)) => {
                    a == b
                }
                (H(a), Target::Header(b)) => a.eq_ignore_ascii_case(b),
                (Body, Target::Body) => true,
                _ => false,
            }
    };
    TABLE.iter().find(|r| matches(r, kind)).map(|r| r.expect)
}

/// The expectation for a probe: the table's row, else the generic rule; `None` when neither
/// knows (a required parameter or a credential header without a row).
pub fn expect(
    case: &str,
    variant: &str,
    target: &Target,
    kind: Kind,
    in_baseline: bool,
    required: bool,
) -> Option<Expect> {
    // strategy/handler.go IsDisabled wraps the handler of a method's admin endpoint: while the
    // method is off, every request is the same 404, whatever it carries.
    if DISABLED.contains(&case) {
        return Some(SAME);
    }
    if let Some(e) = lookup(case, variant, target, kind) {
        return Some(e);
    }
    let absent = || lookup(case, variant, target, Absent);
    match (target, kind) {
        (_, Baseline) => Some(SAME),
        (Target::Query(_), Absent) if !required => Some(SAME),
        (Target::Query(_), Empty) => absent().or((!required).then_some(SAME)),
        (Target::Query(_), Sample | Repeated) => Some(SAME),
        // x/redir/secure_redirect.go SecureRedirectTo: a relative `return_to` takes the scheme
        // and host of the default return URL (here the public base URL, which is allowed).
        (Target::Query(_), Relative) => Some(SAME),
        (Target::Query(_), WrongType) if !required => Some(SAME),
        (Target::UnknownQuery, _) => Some(SAME),
        (Target::Header(_), Unknown) if !in_baseline => Some(SAME),
        (Target::Header(_), Empty | Unknown) => absent(),
        (Target::Path(_), Unknown | WrongType) => Some(status(404)),
        (Target::Body, NotJson | Empty | NotObject) => Some(status(400)),
        (Target::Body, Unknown | Form) => Some(SAME),
        (Target::Field(_), Absent) => Some(if required { status(400) } else { SAME }),
        (Target::Field(_), WrongType) => Some(status(400)),
        _ => None,
    }
}

//! Authentication and authorisation: passwords, sessions, TOTP, API keys, and the
//! [`Principal`] every protected operation starts from.
//!
//! A caller presents a bearer token: a session token (`ils_s_…`, from [`login::sign_in`]) or an
//! API key (`ils_k_…`, from [`api_keys::create`]). [`Principals`] resolves it, reading the
//! database only when credentials changed since it last did, so revocation, role changes and
//! suspension take effect at once.
//! Turning an HTTP request into a token is the HTTP layer's job.

pub mod account;
pub mod api_keys;
pub mod login;
pub mod password;
mod principals;
pub mod rate_limit;
pub mod recovery;
pub(crate) mod store;
pub mod totp;

use ils_kernel::audit::{ActorKind, AuditCtx};
use ils_kernel::permissions::{Action, Role};
use ils_kernel::{Error, Result, TenantCtx};
use ils_storage::ids::{ApiKeyId, SessionId, TenantId, UserId};

use crate::tenants::TenantStatus;
use crate::users::MembershipStatus;

pub use principals::Principals;
pub use store::{NewSession, SessionInfo, create_session};

/// Where a request came from: its id and the client address.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    /// The `x-request-id` the server assigned or accepted.
    pub request_id: Option<String>,
    /// The peer address.
    pub ip: Option<String>,
}

impl RequestMeta {
    /// An anonymous actor for this request.
    pub fn anonymous(&self) -> AuditCtx {
        AuditCtx {
            actor_kind: ActorKind::Anonymous,
            actor_id: None,
            request_id: self.request_id.clone(),
            ip: self.ip.clone(),
        }
    }
}

/// How the caller authenticated.
#[derive(Clone, Debug)]
pub enum Credential {
    /// A user's sign-in session.
    Session {
        /// The session's id; `DELETE /me/sessions/{session_id}` ends it.
        session_id: SessionId,
        /// The signed-in user the session belongs to.
        user_id: UserId,
    },
    /// A tenant's API key.
    ApiKey {
        /// The key's id. An API key belongs to a tenant, not to a user.
        key_id: ApiKeyId,
    },
}

/// What the caller may do in their current tenant.
#[derive(Clone, Debug)]
pub enum Grant {
    /// A user's role.
    Role(Role),
    /// An API key's scopes.
    Scopes(Vec<Action>),
}

/// The tenant the caller acts in, as resolved for this request.
#[derive(Clone, Debug)]
pub struct TenantAccess {
    /// The tenant the request acts in: the session's selected tenant, or the API key's.
    pub tenant_id: TenantId,
    /// Its status.
    pub tenant_status: TenantStatus,
    /// The caller's membership status (always active for API keys).
    pub membership: MembershipStatus,
    /// What the caller may do.
    pub grant: Grant,
}

/// The authenticated caller.
#[derive(Clone, Debug)]
pub struct Principal {
    /// How they authenticated.
    pub credential: Credential,
    /// Whether the user administers the platform.
    pub is_platform_admin: bool,
    /// False for a platform admin who has not completed TOTP: they may only enrol.
    pub mfa_satisfied: bool,
    /// The current tenant, if one is selected.
    pub tenant: Option<TenantAccess>,
    /// Request id and client address.
    pub meta: RequestMeta,
}

impl Principal {
    /// The signed-in user (API keys are refused).
    pub fn user_id(&self) -> Result<UserId> {
        match self.credential {
            Credential::Session { user_id, .. } => Ok(user_id),
            Credential::ApiKey { .. } => Err(Error::forbidden(
                "user_required",
                "This endpoint needs a signed-in user, not an API key.",
            )),
        }
    }

    /// The session, for a signed-in user.
    pub fn session_id(&self) -> Result<SessionId> {
        match self.credential {
            Credential::Session { session_id, .. } => Ok(session_id),
            Credential::ApiKey { .. } => Err(Error::forbidden(
                "user_required",
                "This endpoint needs a signed-in user, not an API key.",
            )),
        }
    }

    /// Who to record in the audit log.
    pub fn audit(&self) -> AuditCtx {
        let (kind, id) = match self.credential {
            Credential::Session { user_id, .. } => (ActorKind::User, user_id.as_uuid()),
            Credential::ApiKey { key_id } => (ActorKind::ApiKey, key_id.as_uuid()),
        };
        AuditCtx {
            actor_kind: kind,
            actor_id: Some(id),
            request_id: self.meta.request_id.clone(),
            ip: self.meta.ip.clone(),
        }
    }

    fn require_mfa(&self) -> Result<()> {
        if self.mfa_satisfied {
            Ok(())
        } else {
            Err(Error::forbidden(
                "totp_enrolment_required",
                "Platform admins must enrol a TOTP second factor before doing anything else: POST /api/v1/me/totp.",
            ))
        }
    }

    /// Checks that the caller may perform `action` in their current tenant.
    pub fn tenant(&self, action: Action) -> Result<TenantCtx> {
        self.require_mfa()?;
        let access = self.tenant.as_ref().ok_or_else(|| {
            Error::forbidden(
                "no_tenant_selected",
                "No tenant selected: sign in with a tenant or POST /api/v1/me/tenant.",
            )
        })?;
        match access.tenant_status {
            TenantStatus::Active => {}
            TenantStatus::Suspended => {
                return Err(Error::forbidden(
                    "tenant_suspended",
                    "This tenant is suspended; contact the platform operator.",
                ));
            }
            TenantStatus::Pending => {
                return Err(Error::forbidden("tenant_pending", "This tenant is not active yet."));
            }
        }
        if access.membership != MembershipStatus::Active {
            return Err(Error::forbidden(
                "membership_not_active",
                "Your membership of this tenant is not active.",
            ));
        }
        if !self.may(action) {
            let what = action.in_words();
            let message = match &access.grant {
                Grant::Role(role) => {
                    let role = role.in_words();
                    let a = if role.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
                    format!("As {a} {role} you may not {what}; ask a company admin if you need to.")
                }
                Grant::Scopes(_) => format!("This API key may not {what}: it needs the {action} scope."),
            };
            return Err(Error::forbidden("forbidden", message));
        }
        let role = match access.grant {
            Grant::Role(role) => Some(role),
            Grant::Scopes(_) => None,
        };
        Ok(TenantCtx { tenant_id: access.tenant_id, user_id: self.user_id().ok(), audit: self.audit(), role })
    }

    /// Whether the caller's grant in their current tenant includes `action` (no other checks).
    pub fn may(&self, action: Action) -> bool {
        match self.tenant.as_ref().map(|t| &t.grant) {
            Some(Grant::Role(role)) => role.allows(action),
            Some(Grant::Scopes(scopes)) => scopes.contains(&action),
            None => false,
        }
    }

    /// Checks that the caller is a platform admin who has passed the second factor.
    pub fn platform_admin(&self) -> Result<UserId> {
        let user = self.user_id()?;
        if !self.is_platform_admin {
            return Err(Error::forbidden("platform_admin_required", "Only platform admins may do this."));
        }
        self.require_mfa()?;
        Ok(user)
    }
}

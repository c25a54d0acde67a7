//! # The ILS plugin registry as a service
//!
//! Third-party developers publish plugins here; platform admins review them; tenants only ever
//! see approved versions (docs/adr/022-plugin-registry.md).
//!
//! - A **publisher** is an account that owns plugin ids: any signed-in user may create one and
//!   is its member. The first version published under an id claims the id for its publisher;
//!   nobody else may publish under it (`foreign_plugin_id`).
//! - A publisher registers **ed25519 public keys** ([`ils_registry::signing`]) and revokes them.
//!   Every package is signed over its digest; the registry verifies the signature against a
//!   live key of the id's owner and refuses anything else.
//! - **Publishing tokens** (`ils_p_…`) let CI publish for one publisher without a person's
//!   session; they can publish and nothing else.
//! - A published version enters the catalogue as `pending`. A platform admin sees its manifest,
//!   signature, the imports the component really uses, its size, its `ils:platform` range and
//!   the capability diff against the previous approved version ([`ils_registry::diff`]), and
//!   approves it (choosing the lowest plan it is offered on) or rejects it with a reason the
//!   publisher sees. A publisher set to auto-approve skips review for versions whose diff adds
//!   nothing.
//! - A **yanked** version is offered to no one new; tenants on it are told (event
//!   `plugin.version_yanked`, and the `yanked` field of their enablement) and keep running it.

pub mod rollout;
mod store;

use std::collections::BTreeSet;

use ils_kernel::audit::{self, AuditCtx, Event};
use ils_kernel::error::{Error, Result};
use ils_kernel::permissions::Action;
use ils_kernel::secrets;
use ils_outbox::{DomainEvent, emit_system};
use ils_plugin_host::Plugins;
use ils_registry::diff::ManifestDiff;
use ils_registry::signing::{self, PublicKey};
use ils_registry::{Descriptor, Manifest, PluginId};
use ils_storage::Db;
use ils_storage::ids::{PublisherId, PublisherTokenId, UserId};
use ils_storage::types::Timestamp;
use ils_tenancy::tenants::{PlanSlug, Slug};
use semver::Version;
use serde::Serialize;

use store::{KeyRow, PublisherRow, TokenRow, VersionRow};

/// The prefix of publishing tokens.
pub const TOKEN_PREFIX: &str = "ils_p_";

/// Who acts on the registry.
#[derive(Clone, Copy, Debug)]
pub enum Actor {
    /// A signed-in user.
    User {
        /// The user.
        user_id: UserId,
        /// Whether they administer the platform (and so review).
        platform_admin: bool,
    },
    /// A publishing token: it may publish for its publisher, nothing else.
    Token {
        /// The publisher it publishes for.
        publisher: PublisherId,
        /// The token.
        token: PublisherTokenId,
    },
}

impl Actor {
    fn user(&self) -> Result<UserId> {
        match self {
            Self::User { user_id, .. } => Ok(*user_id),
            Self::Token { .. } => Err(Error::forbidden(
                "token_not_allowed",
                "A publishing token can only publish; sign in to manage the publisher.",
            )),
        }
    }

    fn is_platform_admin(&self) -> bool {
        matches!(self, Self::User { platform_admin: true, .. })
    }
}

/// A publisher, as its members and platform admins see it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Publisher {
    /// Its id.
    pub id: PublisherId,
    /// Its unique handle (`acme-plugins`).
    pub slug: String,
    /// Its display name.
    pub name: String,
    /// Whether versions that add nothing to the previous approved one skip review.
    pub auto_approve: bool,
    /// When it was created.
    pub created_at: Timestamp,
}

impl From<PublisherRow> for Publisher {
    fn from(r: PublisherRow) -> Self {
        Self { id: r.id, slug: r.slug, name: r.name, auto_approve: r.auto_approve, created_at: r.created_at }
    }
}

/// A publisher's signing key (the public half).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SigningKey {
    /// Its id: 16 hex digits of the SHA-256 of the key; signatures name it.
    pub key_id: String,
    /// What it is for (`ci`, `laptop`).
    pub name: String,
    /// The public key, base64 of its 32 bytes.
    pub public_key: String,
    /// When it was added.
    pub created_at: Timestamp,
    /// When it was revoked; signatures by a revoked key are refused.
    pub revoked_at: Option<Timestamp>,
}

impl From<KeyRow> for SigningKey {
    fn from(r: KeyRow) -> Self {
        Self {
            key_id: r.key_id,
            name: r.name,
            public_key: r.public_key,
            created_at: r.created_at,
            revoked_at: r.revoked_at,
        }
    }
}

/// A publishing token, without its secret.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublishingToken {
    /// Its id.
    pub id: PublisherTokenId,
    /// What it is for.
    pub name: String,
    /// Its first characters, to recognise it.
    pub prefix: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it stops working.
    pub expires_at: Option<Timestamp>,
    /// When it was last used.
    pub last_used_at: Option<Timestamp>,
    /// When it was revoked.
    pub revoked_at: Option<Timestamp>,
}

impl From<TokenRow> for PublishingToken {
    fn from(r: TokenRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            created_at: r.created_at,
            expires_at: r.expires_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        }
    }
}

/// A created token with its secret, shown this once.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedToken {
    /// The token's details.
    #[serde(flatten)]
    pub token: PublishingToken,
    /// Send it as `Authorization: Bearer …` (or `ils plugin publish --token`). Not retrievable later.
    pub secret: String,
}

/// Where a published version stands.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublishedVersion {
    /// The plugin.
    pub plugin_id: String,
    /// The version.
    pub version: String,
    /// `pending` (waiting for review), `approved` (offered to tenants) or `rejected`.
    pub status: String,
    /// The package digest (`sha256:…`) the signature covers.
    pub digest: String,
    /// The reviewer's reason, for a rejection (or a note with an approval).
    pub review_reason: Option<String>,
    /// When it was reviewed.
    pub reviewed_at: Option<Timestamp>,
    /// The lowest plan it is offered on, once approved.
    pub min_plan: PlanSlug,
    /// When it was published.
    pub published_at: Timestamp,
    /// When it was yanked, and why.
    pub yanked_at: Option<Timestamp>,
    /// Why it was yanked.
    pub yank_reason: Option<String>,
}

impl From<&VersionRow> for PublishedVersion {
    fn from(r: &VersionRow) -> Self {
        Self {
            plugin_id: r.plugin_id.clone(),
            version: r.version.clone(),
            status: r.status.clone(),
            digest: format!("sha256:{}", r.digest),
            review_reason: r.review_reason.clone(),
            reviewed_at: r.reviewed_at,
            min_plan: r.min_plan.clone(),
            published_at: r.added_at,
            yanked_at: r.yanked_at,
            yank_reason: r.yank_reason.clone(),
        }
    }
}

/// Everything a reviewer needs to decide on one version.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Review {
    /// The version and its state.
    #[serde(flatten)]
    pub version: PublishedVersion,
    /// The publisher's handle; none for a version a platform admin installed from disk.
    pub publisher: Option<String>,
    /// The manifest, as published (TOML).
    pub manifest: String,
    /// The key that signed it.
    pub key_id: Option<String>,
    /// The signature (base64), verified when it was published.
    pub signature: Option<String>,
    /// The interfaces the component really imports.
    pub imports: Vec<String>,
    /// The component's size in bytes.
    pub size: Option<i64>,
    /// The `ils:platform` versions it runs on (its WIT range).
    pub platform: String,
    /// What it asks for beyond the previous approved version.
    pub diff: ManifestDiff,
}

/// A publisher with its keys, tokens and published versions.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublisherDetail {
    /// The publisher.
    #[serde(flatten)]
    pub publisher: Publisher,
    /// Its signing keys, revoked ones included.
    pub keys: Vec<SigningKey>,
    /// Its publishing tokens, revoked ones included.
    pub tokens: Vec<PublishingToken>,
    /// Every version it published, by plugin then time.
    pub versions: Vec<PublishedVersion>,
}

/// A version was yanked: tenants on it keep running it, and should move.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PluginVersionYanked {
    /// The plugin.
    pub plugin_id: String,
    /// The yanked version, which the tenant runs.
    pub version: String,
    /// Why.
    pub reason: String,
}
impl DomainEvent for PluginVersionYanked {
    const TYPE: &'static str = "plugin.version_yanked";
    const READ: Action = Action::PluginsManage;
}

/// The events the registry emits to tenants, with the permission needed to read each.
pub const EVENTS: &[(&str, Action)] = &[
    (PluginVersionYanked::TYPE, PluginVersionYanked::READ),
    (rollout::PluginVersionMoved::TYPE, rollout::PluginVersionMoved::READ),
];

fn not_member() -> Error {
    Error::forbidden(
        "not_a_publisher_member",
        "Only the publisher's members (or platform admins) may do this.",
    )
}

async fn publisher_for(tx: &mut ils_storage::SystemTx, actor: &Actor, slug: &str) -> Result<PublisherRow> {
    let row = store::publisher_by_slug(tx, slug).await?.ok_or(Error::NotFound("publisher"))?;
    let allowed = match actor {
        Actor::Token { publisher, .. } => *publisher == row.id,
        Actor::User { platform_admin: true, .. } => true,
        Actor::User { user_id, .. } => store::is_member(tx, row.id, *user_id).await?,
    };
    // A publisher someone is not part of is as good as absent to them.
    if !allowed {
        return Err(Error::NotFound("publisher"));
    }
    Ok(row)
}

/// Creates a publisher with the signed-in user as its member.
pub async fn create_publisher(
    db: &Db,
    audit_ctx: &AuditCtx,
    actor: &Actor,
    slug: &str,
    name: &str,
) -> Result<Publisher> {
    let user = actor.user()?;
    let slug = Slug::parse(slug)?;
    let name = ils_kernel::input::name("name", name)?;
    let row = PublisherRow {
        id: PublisherId::new(),
        slug: slug.as_str().to_owned(),
        name,
        auto_approve: false,
        created_at: Timestamp::now(),
    };
    let mut tx = db.system().await?;
    if !store::insert_publisher(&mut tx, &row, user).await? {
        return Err(Error::conflict("publisher_exists", format!("A publisher named {:?} exists.", row.slug)));
    }
    let event = Event::new("publisher.created", "publisher", row.id)
        .changes(serde_json::json!({ "slug": row.slug, "name": row.name }));
    audit::record_system(&mut tx, None, audit_ctx, event).await?;
    tx.commit().await?;
    Ok(row.into())
}

/// The publishers the user is a member of (every publisher, for a platform admin).
pub async fn publishers(db: &Db, actor: &Actor) -> Result<Vec<Publisher>> {
    let mut tx = db.system().await?;
    let rows = match actor {
        Actor::User { platform_admin: true, .. } => store::all_publishers(&mut tx).await?,
        Actor::User { user_id, .. } => store::publishers_of(&mut tx, *user_id).await?,
        Actor::Token { publisher, .. } => {
            store::publisher_by_id(&mut tx, *publisher).await?.into_iter().collect()
        }
    };
    tx.commit().await?;
    Ok(rows.into_iter().map(Publisher::from).collect())
}

/// One publisher with its keys, tokens and versions.
pub async fn publisher(db: &Db, actor: &Actor, slug: &str) -> Result<PublisherDetail> {
    let mut tx = db.system().await?;
    let row = publisher_for(&mut tx, actor, slug).await?;
    let keys = store::keys_of(&mut tx, row.id).await?;
    let tokens = store::tokens_of(&mut tx, row.id).await?;
    let versions = store::versions_by(&mut tx, row.id).await?;
    tx.commit().await?;
    Ok(PublisherDetail {
        publisher: row.into(),
        keys: keys.into_iter().map(SigningKey::from).collect(),
        tokens: tokens.into_iter().map(PublishingToken::from).collect(),
        versions: versions.iter().map(PublishedVersion::from).collect(),
    })
}

/// A platform admin lets a publisher's versions that add nothing skip review (or not).
pub async fn set_auto_approve(
    db: &Db,
    audit_ctx: &AuditCtx,
    actor: &Actor,
    slug: &str,
    on: bool,
) -> Result<Publisher> {
    require_platform_admin(actor)?;
    let mut tx = db.system().await?;
    let mut row = store::publisher_by_slug(&mut tx, slug).await?.ok_or(Error::NotFound("publisher"))?;
    store::set_auto_approve(&mut tx, row.id, on).await?;
    let event = Event::new("publisher.auto_approve_changed", "publisher", row.id)
        .changes(serde_json::json!({ "auto_approve": { "from": row.auto_approve, "to": on } }));
    audit::record_system(&mut tx, None, audit_ctx, event).await?;
    tx.commit().await?;
    row.auto_approve = on;
    Ok(row.into())
}

fn require_platform_admin(actor: &Actor) -> Result<()> {
    if actor.is_platform_admin() {
        Ok(())
    } else {
        Err(Error::forbidden(
            "platform_admin_required",
            "Only platform admins review and moderate the registry.",
        ))
    }
}

/// Registers a public key for a publisher (a member, signed in).
pub async fn add_key(
    db: &Db,
    audit_ctx: &AuditCtx,
    actor: &Actor,
    slug: &str,
    name: &str,
    public_key: &str,
) -> Result<SigningKey> {
    let user = actor.user()?;
    let name = ils_kernel::input::name("name", name)?;
    let key =
        PublicKey::from_base64(public_key).map_err(|e| Error::invalid_field("public_key", e.to_string()))?;
    let mut tx = db.system().await?;
    let publisher = publisher_for(&mut tx, actor, slug).await?;
    let row = KeyRow {
        key_id: key.key_id(),
        publisher_id: publisher.id,
        name,
        public_key: key.to_base64(),
        created_at: Timestamp::now(),
        revoked_at: None,
    };
    if !store::insert_key(&mut tx, &row, user).await? {
        return Err(Error::conflict("key_exists", format!("Key {} is already registered.", row.key_id)));
    }
    let event = Event::new("publisher.key_added", "publisher", publisher.id)
        .changes(serde_json::json!({ "key_id": row.key_id, "name": row.name }));
    audit::record_system(&mut tx, None, audit_ctx, event).await?;
    tx.commit().await?;
    Ok(row.into())
}

/// Revokes a publisher's key: signatures by it are refused from now on.
pub async fn revoke_key(
    db: &Db,
    audit_ctx: &AuditCtx,
    actor: &Actor,
    slug: &str,
    key_id: &str,
) -> Result<()> {
    actor.user()?;
    let mut tx = db.system().await?;
    let publisher = publisher_for(&mut tx, actor, slug).await?;
    if !store::revoke_key(&mut tx, publisher.id, key_id).await? {
        return Err(Error::NotFound("signing key"));
    }
    let event = Event::new("publisher.key_revoked", "publisher", publisher.id)
        .changes(serde_json::json!({ "key_id": key_id }));
    audit::record_system(&mut tx, None, audit_ctx, event).await?;
    tx.commit().await?;
    Ok(())
}

/// Creates a publishing token (shown once).
pub async fn create_token(
    db: &Db,
    audit_ctx: &AuditCtx,
    actor: &Actor,
    slug: &str,
    name: &str,
    expires_in_days: Option<u32>,
) -> Result<CreatedToken> {
    let user = actor.user()?;
    let name = ils_kernel::input::name("name", name)?;
    if expires_in_days.is_some_and(|d| !(1..=3650).contains(&d)) {
        return Err(Error::invalid_field("expires_in_days", "must be between 1 and 3650"));
    }
    let mut tx = db.system().await?;
    let publisher = publisher_for(&mut tx, actor, slug).await?;
    let secret = secrets::new_token(TOKEN_PREFIX);
    let now = Timestamp::now();
    let row = TokenRow {
        id: PublisherTokenId::new(),
        publisher_id: publisher.id,
        name,
        prefix: secret.chars().take(TOKEN_PREFIX.len() + 6).collect(),
        created_at: now,
        expires_at: expires_in_days.map(|d| now.plus(std::time::Duration::from_secs(u64::from(d) * 86_400))),
        last_used_at: None,
        revoked_at: None,
    };
    store::insert_token(&mut tx, &row, &secrets::token_hash(&secret), user).await?;
    let event = Event::new("publisher.token_created", "publisher", publisher.id)
        .changes(serde_json::json!({ "token_id": row.id, "name": row.name }));
    audit::record_system(&mut tx, None, audit_ctx, event).await?;
    tx.commit().await?;
    Ok(CreatedToken { token: row.into(), secret })
}

/// Revokes a publishing token.
pub async fn revoke_token(
    db: &Db,
    audit_ctx: &AuditCtx,
    actor: &Actor,
    slug: &str,
    token: PublisherTokenId,
) -> Result<()> {
    actor.user()?;
    let mut tx = db.system().await?;
    let publisher = publisher_for(&mut tx, actor, slug).await?;
    if !store::revoke_token(&mut tx, publisher.id, token).await? {
        return Err(Error::NotFound("publishing token"));
    }
    let event = Event::new("publisher.token_revoked", "publisher", publisher.id)
        .changes(serde_json::json!({ "token_id": token }));
    audit::record_system(&mut tx, None, audit_ctx, event).await?;
    tx.commit().await?;
    Ok(())
}

/// The actor a publishing token stands for, if it is live.
pub async fn resolve_token(db: &Db, token: &str) -> Result<Option<Actor>> {
    let mut tx = db.system().await?;
    let row = store::use_token(&mut tx, &secrets::token_hash(token)).await?;
    tx.commit().await?;
    Ok(row.map(|r| Actor::Token { publisher: r.publisher_id, token: r.id }))
}

/// A package to publish, as `ils plugin publish` sends it.
#[derive(Clone, Debug)]
pub struct Publish {
    /// The publisher to publish as (its slug); needed only when a signed-in user belongs to
    /// several and the id is not claimed yet.
    pub publisher: Option<String>,
    /// The manifest, `ils-plugin.toml`, as text.
    pub manifest: String,
    /// The component bytes.
    pub component: Vec<u8>,
    /// The signing key's id.
    pub key_id: String,
    /// The ed25519 signature (base64) over the package digest.
    pub signature: String,
}

fn invalid_package(message: impl Into<String>) -> Error {
    Error::Invalid { code: "invalid_package", message: message.into(), fields: Vec::new() }
}

fn parsed(row: &VersionRow) -> Option<Manifest> {
    Manifest::from_toml(&row.manifest).ok()
}

/// The newest approved version below `version`, to diff against.
fn previous_approved<'a>(rows: &'a [VersionRow], version: &Version) -> Option<(&'a VersionRow, Manifest)> {
    rows.iter()
        .filter(|r| r.status == "approved")
        .filter_map(|r| parsed(r).map(|m| (r, m)))
        .filter(|(_, m)| &m.version < version)
        .max_by(|a, b| a.1.version.cmp(&b.1.version))
}

async fn publishing_publisher(
    tx: &mut ils_storage::SystemTx,
    actor: &Actor,
    named: Option<&str>,
    plugin: &PluginId,
) -> Result<PublisherRow> {
    match (actor, named) {
        (_, Some(slug)) => {
            let row = publisher_for(tx, actor, slug).await?;
            // A platform admin sees every publisher but publishes only for their own.
            if let Actor::User { user_id, platform_admin: true } = actor
                && !store::is_member(tx, row.id, *user_id).await?
            {
                return Err(not_member());
            }
            Ok(row)
        }
        (Actor::Token { publisher, .. }, None) => {
            store::publisher_by_id(tx, *publisher).await?.ok_or(Error::NotFound("publisher"))
        }
        (Actor::User { user_id, .. }, None) => {
            let mine = store::publishers_of(tx, *user_id).await?;
            if let Some(owner) = store::owner(tx, plugin.as_str()).await?
                && let Some(row) = mine.iter().find(|p| p.id == owner)
            {
                return Ok(row.clone());
            }
            match <[PublisherRow; 1]>::try_from(mine) {
                Ok([one]) => Ok(one),
                Err(mine) if mine.is_empty() => Err(Error::forbidden(
                    "not_a_publisher_member",
                    "You are not a member of any publisher: create one first (POST /api/v1/registry/publishers).",
                )),
                Err(_) => {
                    Err(Error::invalid_field("publisher", "you belong to several publishers: name one"))
                }
            }
        }
    }
}

/// Publishes a signed package: checks the signature against a live key of the id's owner, the
/// version against those published before, and the component with the plugin host, then
/// stores it as `pending` (or `approved`, for an auto-approved publisher whose version adds
/// nothing). Publishing the same bytes again returns the version as it stands.
pub async fn publish(
    db: &Db,
    plugins: &Plugins,
    audit_ctx: &AuditCtx,
    actor: &Actor,
    req: Publish,
) -> Result<Review> {
    let manifest =
        Manifest::from_toml(&req.manifest).map_err(|e| invalid_package(format!("ils-plugin.toml: {e}")))?;
    let digest = Descriptor::of_package(&manifest, &req.manifest, &req.component).digest();
    let mut tx = db.system().await?;
    let publisher = publishing_publisher(&mut tx, actor, req.publisher.as_deref(), &manifest.id).await?;
    let id = manifest.id.as_str();
    let versions = store::versions(&mut tx, id).await?;
    match store::owner(&mut tx, id).await? {
        Some(owner) if owner != publisher.id => {
            return Err(Error::forbidden(
                "foreign_plugin_id",
                format!("The plugin id {id:?} belongs to another publisher."),
            ));
        }
        None if !versions.is_empty() => {
            return Err(Error::forbidden(
                "foreign_plugin_id",
                format!(
                    "The plugin id {id:?} is installed by the platform; a platform admin must release it."
                ),
            ));
        }
        _ => {}
    }
    let key = store::key(&mut tx, &req.key_id).await?.filter(|k| k.publisher_id == publisher.id).ok_or_else(
        || Error::Invalid {
            code: "unknown_key",
            message: format!("{:?} is not a signing key of publisher {}.", req.key_id, publisher.slug),
            fields: vec![ils_kernel::error::FieldError {
                field: "key_id".into(),
                message: "unknown key".into(),
            }],
        },
    )?;
    if key.revoked_at.is_some() {
        return Err(Error::forbidden(
            "key_revoked",
            format!("Key {} was revoked; sign with a live key.", key.key_id),
        ));
    }
    let public = PublicKey::from_base64(&key.public_key).map_err(|e| Error::Internal(e.to_string()))?;
    signing::verify(&public, &digest, &req.signature).map_err(|e| Error::Invalid {
        code: "bad_signature",
        message: format!("{e}: the package was changed after signing, or signed with another key."),
        fields: vec![ils_kernel::error::FieldError { field: "signature".into(), message: e.to_string() }],
    })?;
    let version_text = manifest.version.to_string();
    if let Some(same) = versions.iter().find(|r| r.version == version_text) {
        if same.digest == digest.hex() {
            let review = review_of(&mut tx, same, &versions).await?;
            tx.commit().await?;
            return Ok(review);
        }
        return Err(Error::conflict(
            "version_exists",
            format!(
                "{id} {version_text} was published with other content; give the new build a new version."
            ),
        ));
    }
    let highest = versions
        .iter()
        .filter(|r| r.status != "rejected")
        .filter_map(parsed)
        .max_by(|a, b| a.version.cmp(&b.version));
    if let Some(highest) = highest
        && highest.platform != manifest.platform
        && manifest.version <= highest.version
    {
        return Err(Error::conflict(
            "version_not_greater",
            format!(
                "{id} {version_text} targets ils:platform {} where {} targets {}: a change of platform needs a version above {}.",
                manifest.platform, highest.version, highest.platform, highest.version
            ),
        ));
    }
    // Check the component with the host and store its package (content-addressed, in its own
    // transaction: SQLite has one writer), then record the version in a new transaction that
    // checks again what a concurrent publish could have changed.
    tx.commit().await?;
    let stored = store_package(plugins, &req.manifest, &req.component).await?;
    let mut tx = db.system().await?;
    if store::owner(&mut tx, id).await?.is_some_and(|owner| owner != publisher.id) {
        return Err(Error::forbidden(
            "foreign_plugin_id",
            format!("The plugin id {id:?} belongs to another publisher."),
        ));
    }
    let versions = store::versions(&mut tx, id).await?;
    if versions.iter().any(|r| r.version == version_text) {
        return Err(Error::conflict(
            "version_exists",
            format!("{id} {version_text} was published meanwhile; publish again to see it."),
        ));
    }
    let diff = ManifestDiff::between(
        previous_approved(&versions, &manifest.version).map(|(_, m)| m).as_ref(),
        &manifest,
    );
    let auto = publisher.auto_approve && diff.adds_nothing();
    let row = VersionRow {
        plugin_id: id.to_owned(),
        version: version_text,
        digest: stored.digest,
        manifest: req.manifest.clone(),
        min_plan: match previous_approved(&versions, &manifest.version) {
            Some((r, _)) => r.min_plan.clone(),
            None => ils_plugin_host::plans::lowest(&mut tx).await?,
        },
        added_at: Timestamp::now(),
        status: if auto { "approved" } else { "pending" }.to_owned(),
        publisher_id: Some(publisher.id),
        key_id: Some(key.key_id.clone()),
        signature: Some(req.signature.trim().to_owned()),
        size: Some(i64::try_from(req.component.len()).unwrap_or(i64::MAX)),
        imports: Some(serde_json::to_string(&stored.imports).unwrap_or_else(|_| "[]".into())),
        review_reason: auto
            .then(|| "auto-approved: adds nothing to the previous approved version".to_owned()),
        reviewed_at: auto.then(Timestamp::now),
        yanked_at: None,
        yank_reason: None,
    };
    store::claim(&mut tx, id, publisher.id).await?;
    store::insert_version(&mut tx, &row).await?;
    let event = Event::new("plugin_version.published", "plugin", id).changes(serde_json::json!({
        "version": row.version, "digest": digest.to_string(), "key_id": key.key_id,
        "publisher": publisher.slug, "status": row.status,
    }));
    audit::record_system(&mut tx, None, audit_ctx, event).await?;
    let review = Review { diff, ..review_of(&mut tx, &row, &versions).await? };
    tx.commit().await?;
    Ok(review)
}

/// What storing a package produced.
struct StoredPackage {
    digest: String,
    imports: Vec<String>,
}

async fn store_package(plugins: &Plugins, manifest_text: &str, component: &[u8]) -> Result<StoredPackage> {
    let stored = plugins.check_and_store(manifest_text, component).await?;
    Ok(StoredPackage { digest: stored.record.digest.hex(), imports: stored.version.imports().to_vec() })
}

async fn review_of(tx: &mut ils_storage::SystemTx, row: &VersionRow, all: &[VersionRow]) -> Result<Review> {
    let manifest = parsed(row)
        .ok_or_else(|| Error::Internal(format!("{} {}: manifest unreadable", row.plugin_id, row.version)))?;
    let previous = previous_approved(all, &manifest.version).map(|(_, m)| m);
    let publisher = match row.publisher_id {
        Some(id) => store::publisher_by_id(tx, id).await?.map(|p| p.slug),
        None => None,
    };
    Ok(Review {
        version: row.into(),
        publisher,
        manifest: row.manifest.clone(),
        key_id: row.key_id.clone(),
        signature: row.signature.clone(),
        imports: row.imports.as_deref().and_then(|i| serde_json::from_str(i).ok()).unwrap_or_default(),
        size: row.size,
        platform: manifest.platform.to_string(),
        diff: ManifestDiff::between(previous.as_ref(), &manifest),
    })
}

/// The versions waiting for review, oldest first (platform admins).
pub async fn review_queue(db: &Db, actor: &Actor) -> Result<Vec<Review>> {
    require_platform_admin(actor)?;
    let mut tx = db.system().await?;
    let pending = store::pending(&mut tx).await?;
    let mut out = Vec::with_capacity(pending.len());
    let plugins: BTreeSet<String> = pending.iter().map(|r| r.plugin_id.clone()).collect();
    for plugin in plugins {
        let all = store::versions(&mut tx, &plugin).await?;
        for row in all.iter().filter(|r| r.status == "pending") {
            out.push(review_of(&mut tx, row, &all).await?);
        }
    }
    tx.commit().await?;
    out.sort_by_key(|r| r.version.published_at);
    Ok(out)
}

async fn version_row(
    tx: &mut ils_storage::SystemTx,
    plugin: &str,
    version: &str,
) -> Result<(VersionRow, Vec<VersionRow>)> {
    let all = store::versions(tx, plugin).await?;
    let row = all.iter().find(|r| r.version == version).cloned().ok_or(Error::NotFound("plugin version"))?;
    Ok((row, all))
}

/// One version with its review details: for platform admins and the owning publisher's members.
pub async fn review(db: &Db, actor: &Actor, plugin: &str, version: &str) -> Result<Review> {
    let mut tx = db.system().await?;
    let (row, all) = version_row(&mut tx, plugin, version).await?;
    if !actor.is_platform_admin() {
        let owner = row.publisher_id.ok_or(Error::NotFound("plugin version"))?;
        let slug =
            store::publisher_by_id(&mut tx, owner).await?.ok_or(Error::NotFound("plugin version"))?.slug;
        publisher_for(&mut tx, actor, &slug).await.map_err(|_| Error::NotFound("plugin version"))?;
    }
    let review = review_of(&mut tx, &row, &all).await?;
    tx.commit().await?;
    Ok(review)
}

/// A platform admin's decision on a pending version.
#[derive(Clone, Debug)]
pub enum Decision {
    /// Offer it, from this plan up.
    Approve {
        /// The lowest plan it is offered on; by default the previous approved version's
        /// (free for a first version).
        min_plan: Option<PlanSlug>,
        /// An optional note to the publisher.
        note: Option<String>,
    },
    /// Refuse it; the publisher sees why.
    Reject {
        /// Why (required).
        reason: String,
    },
}

/// Approves or rejects a pending version (platform admins).
pub async fn decide(
    db: &Db,
    audit_ctx: &AuditCtx,
    actor: &Actor,
    plugin: &str,
    version: &str,
    decision: Decision,
) -> Result<Review> {
    require_platform_admin(actor)?;
    let user = actor.user()?;
    let mut tx = db.system().await?;
    let (row, _) = version_row(&mut tx, plugin, version).await?;
    let (status, min_plan, reason) = match &decision {
        Decision::Approve { min_plan, note } => {
            ("approved", min_plan.clone().unwrap_or_else(|| row.min_plan.clone()), note.clone())
        }
        Decision::Reject { reason } => {
            let reason = reason.trim();
            if reason.is_empty() {
                return Err(Error::invalid_field("reason", "say why, for the publisher"));
            }
            ("rejected", row.min_plan.clone(), Some(reason.to_owned()))
        }
    };
    ils_plugin_host::plans::require(&mut tx, "min_plan", &min_plan).await?;
    if !store::decide(&mut tx, plugin, version, status, &min_plan, reason.as_deref(), user).await? {
        return Err(Error::conflict(
            "not_pending",
            format!("{plugin} {version} is {}, not waiting for review.", row.status),
        ));
    }
    let event = Event::new(
        if status == "approved" { "plugin_version.approved" } else { "plugin_version.rejected" },
        "plugin",
        plugin,
    )
    .changes(serde_json::json!({ "version": version, "min_plan": min_plan, "reason": reason }));
    audit::record_system(&mut tx, None, audit_ctx, event).await?;
    if status == "approved" {
        // Approving from a plan includes the plugin in it and every plan above (ADR 025).
        ils_plugin_host::plans::include_from(&mut tx, audit_ctx, &min_plan, plugin).await?;
    }
    let (row, all) = version_row(&mut tx, plugin, version).await?;
    let review = review_of(&mut tx, &row, &all).await?;
    tx.commit().await?;
    Ok(review)
}

/// Yanks an approved version (its publisher's members, or platform admins): no tenant may
/// enable it from now on; the tenants on it are told and keep running it.
pub async fn yank(
    db: &Db,
    audit_ctx: &AuditCtx,
    actor: &Actor,
    plugin: &str,
    version: &str,
    reason: &str,
) -> Result<PublishedVersion> {
    actor.user()?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::invalid_field("reason", "say why, for the tenants on this version"));
    }
    let mut tx = db.system().await?;
    let (row, _) = version_row(&mut tx, plugin, version).await?;
    if !actor.is_platform_admin() {
        let owner = row.publisher_id.ok_or(Error::NotFound("plugin version"))?;
        let slug =
            store::publisher_by_id(&mut tx, owner).await?.ok_or(Error::NotFound("plugin version"))?.slug;
        publisher_for(&mut tx, actor, &slug).await.map_err(|_| Error::NotFound("plugin version"))?;
    }
    if !store::yank(&mut tx, plugin, version, reason).await? {
        return Err(Error::conflict(
            "not_yankable",
            format!(
                "{plugin} {version} is {}{}; only an approved version can be yanked, once.",
                row.status,
                if row.yanked_at.is_some() { " and already yanked" } else { "" }
            ),
        ));
    }
    let tenants = store::tenants_on(&mut tx, plugin, version).await?;
    let told = PluginVersionYanked {
        plugin_id: plugin.to_owned(),
        version: version.to_owned(),
        reason: reason.to_owned(),
    };
    for tenant in &tenants {
        emit_system(&mut tx, *tenant, &told).await?;
    }
    let event = Event::new("plugin_version.yanked", "plugin", plugin)
        .changes(serde_json::json!({ "version": version, "reason": reason, "tenants_on_it": tenants.len() }));
    audit::record_system(&mut tx, None, audit_ctx, event).await?;
    let (row, _) = version_row(&mut tx, plugin, version).await?;
    tx.commit().await?;
    Ok(PublishedVersion::from(&row))
}

//! Which network addresses a plugin's outbound HTTP may reach when the operator has not allowed
//! private networks: the host's one rule set, [`ils_net`] (webhooks use the same).

pub use ils_net::is_public;

//! Pool and app client configuration: the Rust form of `CreateUserPool` and
//! `CreateUserPoolClient`, their wire (JSON) forms, and the server's limits.
//!
//! One submodule per subject: `pool` (`CreateUserPool`), `client` (`CreateUserPoolClient`)
//! and `limits`; everything is re-exported here.

mod client;
mod limits;
mod pool;

pub use client::{ClientConfig, ClientInfo, RefreshTokenRotation, TimeUnit, TokenValidity};
pub use limits::Limits;
pub use pool::{
    AttributeType, CustomAttribute, DeviceConfig, MfaConfig, MfaMode, PasswordPolicy, PoolConfig,
    PoolInfo, PoolTier,
};

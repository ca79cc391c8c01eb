//! Integration tests of the local user pool over real HTTP: the official Rust SDK, raw
//! HTTP for the error shapes, a crash test of the server program, and boto3 (skipped
//! loudly without it, see `peer.rs`).

mod abuse;
mod admin;
mod admin_auth;
mod amplify_v6;
mod auth;
mod booleans;
mod boto3;
mod boto3_totp;
mod browser;
mod common;
mod control_plane;
mod crash;
mod dashboard;
mod devices;
mod domains;
mod errors;
mod groups;
mod hosted_common;
mod hosted_pages;
mod hosted_tokens;
mod hostile;
mod js_devices;
mod js_flow;
mod keys;
mod lockout;
mod mfa;
mod peer;
mod races;
mod refresh;
mod seeds;
mod stall;
mod url_text;
mod user_auth;
mod users;

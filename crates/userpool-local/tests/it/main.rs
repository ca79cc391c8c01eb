//! Integration tests of the local user pool over real HTTP: the official Rust SDK, raw
//! HTTP for the error shapes, a crash test of the server program, and boto3 (skipped
//! loudly without it, see `peer.rs`).

mod abuse;
mod admin;
mod auth;
mod booleans;
mod boto3;
mod browser;
mod common;
mod crash;
mod errors;
mod lockout;
mod peer;
mod races;
mod stall;
mod users;

//! Integration tests of the local user pool over real HTTP: the official Rust SDK, raw
//! HTTP for the error shapes, a crash test of the server program, and boto3.

mod admin;
mod auth;
mod boto3;
mod common;
mod crash;
mod errors;
mod users;

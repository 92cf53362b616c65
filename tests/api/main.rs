//! Integration tests: the real router against the embedded demo store, over
//! real TCP on random ports.

mod common;

mod accounts;
mod cache;
mod cart;
mod catalogue;
mod config;
mod contract;
mod errors;
mod exposure;
mod faults;
mod fixtures;
mod index;
mod ops;
mod partners;
mod realwoo_regressions;
mod rest_auth;
mod scaleout;
mod security;
mod security_http;
mod serve;
mod tokens;
mod webhooks;

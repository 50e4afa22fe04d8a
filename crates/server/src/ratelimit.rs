//! Per-client-address limit on sign-in attempts, in addition to the per-account lock-out of the
//! store: a client trying many accounts (or many passwords on unknown ones) is slowed down before
//! any password is hashed.
//!
//! The client is the TCP peer address of the connection ([`ClientIp`]); `X-Forwarded-For` is
//! ignored (the server has no trusted-proxy setting, and the header is the client's to forge).
//! IPv6 clients are counted per /64 network (one host usually holds a whole /64).

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Sign-in attempts allowed per client address and minute (a burst of this many, then one more
/// every `60 / LOGIN_ATTEMPTS_PER_MINUTE` seconds).
pub const LOGIN_ATTEMPTS_PER_MINUTE: u32 = 10;

/// Beyond this many tracked addresses, idle ones are forgotten on the next check.
const TRACKED_BEFORE_CLEANUP: usize = 4096;

/// The address a request came from: the connection's peer, when the server was started with
/// connection information (as [`crate::Application`] is); `None` otherwise.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ClientIp, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(a)| a.ip()),
        ))
    }
}

/// The sign-in limiter, keyed by client address.
#[derive(Clone)]
pub struct LoginLimiter {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl Default for LoginLimiter {
    fn default() -> LoginLimiter {
        LoginLimiter::per_minute(
            NonZeroU32::new(LOGIN_ATTEMPTS_PER_MINUTE).unwrap_or(NonZeroU32::MIN),
        )
    }
}

impl LoginLimiter {
    /// A limiter allowing `n` attempts per minute per address.
    #[must_use]
    pub fn per_minute(n: NonZeroU32) -> LoginLimiter {
        LoginLimiter {
            limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(n))),
        }
    }

    /// Counts an attempt from `ip` (requests without a known address share one count): `Ok`
    /// when allowed, otherwise the whole seconds to wait (at least 1).
    ///
    /// # Errors
    /// The seconds to wait, when the address is over its limit.
    pub fn check(&self, ip: Option<IpAddr>) -> Result<(), u64> {
        if self.limiter.len() > TRACKED_BEFORE_CLEANUP {
            self.limiter.retain_recent();
        }
        let key = ip.map_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED), network);
        self.limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
        })
    }
}

/// The key of an address: IPv4 as is (IPv4-mapped IPv6 too), IPv6 by its /64 network.
fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_per_address_and_ipv6_per_64() {
        let l = LoginLimiter::per_minute(NonZeroU32::MIN.saturating_add(1));
        let a: IpAddr = "192.0.2.1"
            .parse()
            .unwrap_or(IpAddr::V6(Ipv6Addr::LOCALHOST));
        assert!(l.check(Some(a)).is_ok() && l.check(Some(a)).is_ok());
        let wait = l.check(Some(a)).err();
        assert!(wait.is_some_and(|s| (1..=30).contains(&s)), "{wait:?}");
        assert!(l.check(Some("192.0.2.2".parse().unwrap_or(a))).is_ok());
        let v6 = |s: &str| Some(s.parse().unwrap_or(a));
        assert!(l.check(v6("2001:db8::1")).is_ok() && l.check(v6("2001:db8::2")).is_ok());
        assert!(l.check(v6("2001:db8::ffff")).is_err(), "same /64");
        assert!(l.check(v6("2001:db8:0:1::1")).is_ok());
    }
}

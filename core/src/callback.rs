//! Which callback URLs a job may carry, and which addresses a callback may
//! reach.
//!
//! A callback URL is `http` or `https`, at most [`MAX_CALLBACK_URL_LEN`]
//! characters, with a host and no user or password. Unless private callbacks
//! are allowed, its host may not be `localhost` (or a name under
//! `.localhost`) nor an IP literal that [`is_internal`] rejects. Names are
//! resolved, and their addresses checked again, when the callback is sent.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// Longest callback URL accepted, in bytes.
pub const MAX_CALLBACK_URL_LEN: usize = 2048;

/// Why a callback URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackUrlError {
    /// Not a usable http(s) URL.
    #[error("callback_url {0}")]
    Invalid(&'static str),
    /// A loopback, private, link-local or otherwise internal destination.
    #[error("callback_url points to {0}, which this server does not call back")]
    NotAllowed(String),
}

/// Parses and checks `raw`; returns the URL as it will be called.
pub fn check_url(raw: &str, allow_private: bool) -> Result<Url, CallbackUrlError> {
    if raw.len() > MAX_CALLBACK_URL_LEN {
        return Err(CallbackUrlError::Invalid("is longer than 2048 characters"));
    }
    let url =
        Url::parse(raw.trim()).map_err(|_| CallbackUrlError::Invalid("is not an absolute URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(CallbackUrlError::Invalid("must be an http or https URL"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(CallbackUrlError::Invalid(
            "must not carry a user name or password",
        ));
    }
    match url.host() {
        None => return Err(CallbackUrlError::Invalid("has no host")),
        Some(host) if !allow_private => check_host(&host)?,
        Some(_) => {}
    }
    Ok(url)
}

/// Refuses `localhost` names and internal IP literals.
pub fn check_host(host: &Host<&str>) -> Result<(), CallbackUrlError> {
    match host {
        Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if name == "localhost" || name.ends_with(".localhost") {
                return Err(CallbackUrlError::NotAllowed("localhost".into()));
            }
            Ok(())
        }
        Host::Ipv4(ip) => check_ip(IpAddr::V4(*ip)),
        Host::Ipv6(ip) => check_ip(IpAddr::V6(*ip)),
    }
}

/// `Err(NotAllowed)` when [`is_internal`] rejects `ip`.
pub fn check_ip(ip: IpAddr) -> Result<(), CallbackUrlError> {
    if is_internal(ip) {
        Err(CallbackUrlError::NotAllowed(format!(
            "{ip}, a {} address",
            kind(ip)
        )))
    } else {
        Ok(())
    }
}

/// Whether `ip` is an address a callback may not reach unless private
/// callbacks are allowed: loopback, private (RFC 1918, unique local),
/// link-local (cloud metadata included), shared CGNAT space, unspecified,
/// "this network", broadcast, multicast or reserved — and IPv4 addresses
/// embedded in IPv6 (mapped, compatible, NAT64) of those.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => is_internal_v6(v6),
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

fn is_internal_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_internal_v4(v4);
    }
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (first & 0xffc0) == 0xfec0 // deprecated site-local fec0::/10
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible
/// (`::a.b.c.d`) or NAT64 (`64:ff9b::a.b.c.d`) address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s[..6] {
        [0, 0, 0, 0, 0, 0xffff] => Some(tail),
        // `::` and `::1` stay IPv6 (unspecified, loopback).
        [0, 0, 0, 0, 0, 0] if u32::from(tail) > 1 => Some(tail),
        [0x64, 0xff9b, 0, 0, 0, 0] => Some(tail),
        _ => None,
    }
}

fn kind(ip: IpAddr) -> &'static str {
    match ip {
        _ if ip.is_loopback() => "loopback",
        IpAddr::V4(v4) if v4.is_link_local() => "link-local",
        IpAddr::V4(v4) if v4.is_private() => "private",
        IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80 => "link-local",
        IpAddr::V6(v6) if (v6.segments()[0] & 0xfe00) == 0xfc00 => "private",
        IpAddr::V6(v6) if embedded_v4(v6).is_some() => "IPv4-embedding",
        _ => "non-public",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn internal(s: &str) -> bool {
        is_internal(s.parse().unwrap())
    }

    #[test]
    fn classifies_addresses() {
        for ip in [
            "127.0.0.1",
            "127.255.0.9",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "169.254.0.1",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.1.2.3",
            "::10.1.2.3",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(internal(ip), "{ip} should be internal");
        }
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.255.255",
            "172.32.0.1",
            "192.169.0.1",
            "169.253.0.1",
            "2606:4700::1111",
            "2001:db8::1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(!internal(ip), "{ip} should be public");
        }
    }

    fn refused(url: &str) -> bool {
        matches!(check_url(url, false), Err(CallbackUrlError::NotAllowed(_)))
    }

    #[test]
    fn refuses_internal_hosts_unless_allowed() {
        for url in [
            "http://127.0.0.1:9000/hook",
            "http://localhost/hook",
            "https://LOCALHOST./hook",
            "http://app.localhost/hook",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/",
            "http://[::1]:8080/",
            "http://[::ffff:127.0.0.1]/",
            "http://[fe80::1]/",
            "http://2130706433/",   // 127.0.0.1 as one number
            "http://0x7f.1/",       // 127.0.0.1 in hex shorthand
            "http://0177.0.0.1/",   // octal
            "http://127.0.0.1./",   // trailing dot
            "http://100.100.1.1/",  // CGNAT
            "http://0.0.0.0:8080/", // unspecified
        ] {
            assert!(refused(url), "{url} should be refused");
            assert!(
                check_url(url, true).is_ok(),
                "{url} allowed when private is on"
            );
        }
        for url in [
            "https://hooks.example.com/pixpipe?token=abc",
            "http://93.184.216.34:8080/x",
            "https://[2606:4700::1111]/",
        ] {
            assert!(check_url(url, false).is_ok(), "{url} should pass");
        }
    }

    #[test]
    fn refuses_malformed_urls() {
        let long = format!("https://example.com/{}", "a".repeat(MAX_CALLBACK_URL_LEN));
        for url in [
            "",
            "example.com/hook",
            "/hook",
            "ftp://example.com/",
            "file:///etc/passwd",
            "https://user:pw@example.com/",
            "https://user@example.com/",
            "http://",
            "https://:443/",
            long.as_str(),
        ] {
            assert!(
                matches!(check_url(url, true), Err(CallbackUrlError::Invalid(_))),
                "{url:?} should be invalid"
            );
        }
    }
}

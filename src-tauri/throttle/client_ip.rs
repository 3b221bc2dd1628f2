//! The client's IP: the TCP peer, unless the peer is a proxy named by `--trusted-proxy`,
//! in which case the right-most `X-Forwarded-For` hop that is not itself a trusted proxy.
//! A header from anyone else is ignored: it is whatever the sender wants it to be.

use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

/// The proxies whose `X-Forwarded-For` is believed (addresses or CIDR ranges).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(nets: Vec<IpNet>) -> Self {
        TrustedProxies(nets)
    }

    /// Parses one `--trusted-proxy` value: an IP (`10.0.0.5`) or a CIDR (`10.0.0.0/8`).
    pub fn parse_one(raw: &str) -> Result<IpNet, String> {
        let raw = raw.trim();
        if let Ok(net) = raw.parse::<IpNet>() {
            return Ok(net.trunc());
        }
        raw.parse::<IpAddr>()
            .map(|ip| IpNet::from(ip.to_canonical()))
            .map_err(|_| format!("{raw:?} is not an IP address or CIDR range"))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client IP of a request that came from `peer` with these headers.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        // Hops in order, over every X-Forwarded-For header line.
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            // A hop a trusted proxy wrote that is not an address: stop at the last hop
            // we could read rather than believe anything further left.
            let Some(ip) = parse_hop(hop) else {
                return client;
            };
            client = ip;
            if !self.trusts(ip) {
                return ip;
            }
        }
        client
    }
}

/// `203.0.113.7`, `203.0.113.7:4711`, `2001:db8::1` or `[2001:db8::1]:4711`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(
            list.iter()
                .map(|p| TrustedProxies::parse_one(p).unwrap())
                .collect(),
        )
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn parses_addresses_and_ranges() {
        assert!(TrustedProxies::parse_one("10.0.0.1").is_ok());
        assert!(TrustedProxies::parse_one(" 10.1.2.3/8 ").is_ok());
        assert!(TrustedProxies::parse_one("::1").is_ok());
        assert!(TrustedProxies::parse_one("fd00::/8").is_ok());
        assert!(TrustedProxies::parse_one("proxy.example").is_err());
        assert!(TrustedProxies::parse_one("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse_one("").is_err());
        let p = proxies(&["10.1.2.3/8"]);
        assert!(p.trusts(ip("10.200.0.1")));
        assert!(!p.trusts(ip("11.0.0.1")));
    }

    #[test]
    fn spoofed_header_from_an_untrusted_peer_is_ignored() {
        let p = proxies(&["10.0.0.1"]);
        let h = xff(&["198.51.100.1"]);
        assert_eq!(p.client_ip(ip("203.0.113.9"), &h), ip("203.0.113.9"));
        // No proxies configured: the header means nothing.
        assert_eq!(
            TrustedProxies::default().client_ip(ip("203.0.113.9"), &h),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn trusted_peer_gives_the_right_most_untrusted_hop() {
        let p = proxies(&["10.0.0.0/8"]);
        // The client put a fake hop first; the proxy appended the real peer.
        let h = xff(&["1.1.1.1, 198.51.100.7"]);
        assert_eq!(p.client_ip(ip("10.0.0.1"), &h), ip("198.51.100.7"));
        // A chain of trusted proxies, over two header lines, with a port.
        let h = xff(&["6.6.6.6", "198.51.100.7:5555, 10.0.0.2"]);
        assert_eq!(p.client_ip(ip("10.0.0.1"), &h), ip("198.51.100.7"));
        let h = xff(&["[2001:db8::5]:443"]);
        assert_eq!(p.client_ip(ip("10.0.0.1"), &h), ip("2001:db8::5"));
        // IPv4-mapped peers are matched as IPv4.
        let h = xff(&["198.51.100.7"]);
        assert_eq!(p.client_ip(ip("::ffff:10.0.0.1"), &h), ip("198.51.100.7"));
    }

    #[test]
    fn trusted_peer_without_a_usable_header() {
        let p = proxies(&["10.0.0.1", "10.0.0.2"]);
        assert_eq!(
            p.client_ip(ip("10.0.0.1"), &HeaderMap::new()),
            ip("10.0.0.1")
        );
        // Every hop trusted: the left-most one.
        let h = xff(&["10.0.0.2"]);
        assert_eq!(p.client_ip(ip("10.0.0.1"), &h), ip("10.0.0.2"));
        // Garbage where an address should be: the last hop that could be read.
        let h = xff(&["198.51.100.7, garbage"]);
        assert_eq!(p.client_ip(ip("10.0.0.1"), &h), ip("10.0.0.1"));
        let h = xff(&["nonsense, 10.0.0.2"]);
        assert_eq!(p.client_ip(ip("10.0.0.1"), &h), ip("10.0.0.2"));
    }
}

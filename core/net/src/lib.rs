//! Which network addresses ILS's outbound HTTP may reach when the operator has not allowed
//! private networks: public unicast addresses only. Tenants choose webhook URLs and plugins choose
//! where they call, so without this rule they could reach the operator's internal network (SSRF).
//! Every sender — the webhook client's resolver (`ils-core`'s `outbound`) and the plugin host's
//! own sender (`ils-host-api`) — resolves a name once and keeps only the addresses this allows,
//! then connects to those (no DNS rebinding between check and connect).
//!
//! ```
//! assert!(ils_net::is_public("93.184.216.34".parse().unwrap()));
//! assert!(!ils_net::is_public("169.254.169.254".parse().unwrap()));
//! ```

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether `ip` is a public unicast address (not loopback, private, link-local, shared,
/// documentation, benchmarking, multicast or reserved). IPv4-mapped IPv6 is judged as IPv4.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let [first, second, ..] = ip.segments();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link local
        || (first & 0xffc0) == 0xfec0 // site local (deprecated)
        || first == 0x2001 && second == 0x0db8 // documentation
        || first == 0x0064 && second == 0xff9b) // NAT64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_reserved_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.5.5",
            "192.168.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "2001:db8::1",
            "64:ff9b::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "fec0::1",
            "ff02::1",
            "100.127.255.255",
            "192.0.0.8",
            "198.51.100.1",
            "203.0.113.9",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "93.184.216.34", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8"]
        {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }
}

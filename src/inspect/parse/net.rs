//! Socket tables of a network namespace (`/proc/PID/net/{tcp,tcp6,udp,udp6,unix}`), parsed and
//! indexed by inode, so each socket fd is one hash lookup; and the other end of a connection.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SockEntry {
    Inet(InetEntry),
    Unix(UnixEntry),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InetEntry {
    /// tcp, tcp6, udp, udp6
    pub protocol: &'static str,
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub state: &'static str,
    pub inode: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnixEntry {
    pub socket_type: &'static str,
    pub state: &'static str,
    pub inode: u64,
    pub path: Option<String>,
    /// The inode of the socket at the other end (sock_diag `UNIX_DIAG_PEER`; the text table
    /// does not carry it).
    pub peer: Option<u64>,
}

impl InetEntry {
    pub fn is_tcp(&self) -> bool {
        self.protocol.starts_with("tcp")
    }

    /// A peer exists: an established or closing TCP connection, or a connect()ed UDP socket.
    pub fn has_peer(&self) -> bool {
        !self.remote.ip().is_unspecified() || self.remote.port() != 0
    }
}

/// Address as the kernel prints it: `%08X` of the network-order bytes as read in host order.
fn parse_ip(hex: &str) -> Option<IpAddr> {
    let word = |s: &str| u32::from_str_radix(s, 16).ok().map(u32::to_ne_bytes);
    match hex.len() {
        8 => Some(IpAddr::V4(Ipv4Addr::from(word(hex)?))),
        32 => {
            let mut bytes = [0u8; 16];
            for i in 0..4 {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&word(hex.get(i * 8..i * 8 + 8)?)?);
            }
            Some(IpAddr::V6(Ipv6Addr::from(bytes)))
        }
        _ => None,
    }
}

fn parse_addr(text: &str) -> Option<SocketAddr> {
    let (ip, port) = text.split_once(':')?;
    Some(SocketAddr::new(
        parse_ip(ip)?,
        u16::from_str_radix(port, 16).ok()?,
    ))
}

/// Prints an endpoint; a v4-mapped IPv6 address prints as the IPv4 address it carries.
pub fn display_addr(addr: &SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => SocketAddr::new(IpAddr::V4(v4), addr.port()).to_string(),
            None => addr.to_string(),
        },
        IpAddr::V4(_) => addr.to_string(),
    }
}

fn tcp_state(code: &str) -> &'static str {
    match code {
        "01" => "ESTABLISHED",
        "02" => "SYN_SENT",
        "03" => "SYN_RECV",
        "04" => "FIN_WAIT1",
        "05" => "FIN_WAIT2",
        "06" => "TIME_WAIT",
        "07" => "CLOSE",
        "08" => "CLOSE_WAIT",
        "09" => "LAST_ACK",
        "0A" => "LISTEN",
        "0B" => "CLOSING",
        "0C" => "NEW_SYN_RECV",
        _ => "UNKNOWN",
    }
}

fn udp_state(code: &str) -> &'static str {
    match code {
        "01" => "CONNECTED",
        "07" => "UNCONNECTED",
        _ => "UNKNOWN",
    }
}

/// The name of a state code as the tables print it (two hex digits).
pub fn state_name(udp: bool, code: &str) -> &'static str {
    if udp {
        udp_state(code)
    } else {
        tcp_state(code)
    }
}

/// Parses a `tcp`, `tcp6`, `udp` or `udp6` table; `protocol` names which.
pub fn parse_inet_table(protocol: &'static str, text: &str) -> Vec<InetEntry> {
    let udp = protocol.starts_with("udp");
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let t: Vec<&str> = line.split_whitespace().collect();
            let state = *t.get(3)?;
            Some(InetEntry {
                protocol,
                local: parse_addr(t.get(1)?)?,
                remote: parse_addr(t.get(2)?)?,
                state: if udp {
                    udp_state(state)
                } else {
                    tcp_state(state)
                },
                inode: t.get(9)?.parse().ok()?,
            })
        })
        .collect()
}

/// `__SO_ACCEPTCON`: the socket is listening.
const SO_ACCEPTCON: u32 = 0x0001_0000;

/// Parses `/proc/net/unix` (`Num RefCount Protocol Flags Type St Inode Path`), keeping the flags
/// that procfs drops so listening sockets can be told apart.
pub fn parse_unix_table(text: &str) -> Vec<UnixEntry> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut t = line.split_whitespace();
            let _num = t.next()?;
            let _refcount = t.next()?;
            let _protocol = t.next()?;
            let flags = u32::from_str_radix(t.next()?, 16).ok()?;
            let socket_type = match t.next()? {
                "0001" => "stream",
                "0002" => "dgram",
                "0005" => "seqpacket",
                _ => "other",
            };
            let st = t.next()?;
            let inode = t.next()?.parse().ok()?;
            // The path is the rest of the line after the inode column; it may hold spaces.
            let path = after_tokens(line, 7)
                .map(|rest| rest.trim().to_string())
                .filter(|p| !p.is_empty());
            let state = if flags & SO_ACCEPTCON != 0 {
                "LISTEN"
            } else {
                match st {
                    "01" => "UNCONNECTED",
                    "02" => "CONNECTING",
                    "03" => "CONNECTED",
                    "04" => "DISCONNECTING",
                    _ => "UNKNOWN",
                }
            };
            Some(UnixEntry {
                socket_type,
                state,
                inode,
                path,
                peer: None,
            })
        })
        .collect()
}

/// The text after the first `n` whitespace-separated tokens of `line`.
fn after_tokens(line: &str, n: usize) -> Option<&str> {
    let mut rest = line;
    for _ in 0..n {
        rest = rest.trim_start();
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        if end == 0 {
            return None;
        }
        rest = &rest[end..];
    }
    Some(rest)
}

/// Every socket of one network namespace, by inode.
#[derive(Debug, Default)]
pub struct SocketIndex {
    pub by_inode: HashMap<u64, SockEntry>,
    /// Tables that could not be read, with the reason.
    pub missing: Vec<(String, String)>,
}

impl SocketIndex {
    pub fn from_tables(inet: Vec<InetEntry>, unix: Vec<UnixEntry>) -> SocketIndex {
        let mut by_inode = HashMap::with_capacity(inet.len() + unix.len());
        for e in inet {
            // Inode 0 marks TIME_WAIT and other sockets no fd refers to.
            if e.inode != 0 {
                by_inode.insert(e.inode, SockEntry::Inet(e));
            }
        }
        for e in unix {
            if e.inode != 0 {
                by_inode.insert(e.inode, SockEntry::Unix(e));
            }
        }
        SocketIndex {
            by_inode,
            missing: Vec::new(),
        }
    }

    pub fn get(&self, inode: u64) -> Option<&SockEntry> {
        self.by_inode.get(&inode)
    }

    /// The socket at the other end of a connection in this namespace: for TCP the one whose
    /// endpoints are this one's swapped (a 4-tuple is unique, so the answer does not depend on
    /// table order, and a listener on the address is never it); for unix sockets the kernel's
    /// peer inode.
    pub fn peer_of(&self, entry: &SockEntry) -> Option<u64> {
        match entry {
            SockEntry::Unix(u) => u.peer.filter(|p| *p != 0 && *p != u.inode),
            SockEntry::Inet(e) if e.is_tcp() && e.has_peer() && e.state != "LISTEN" => {
                self.by_inode.values().find_map(|other| match other {
                    SockEntry::Inet(o)
                        if o.is_tcp()
                            && o.inode != e.inode
                            && o.state != "LISTEN"
                            && same_endpoint(&o.local, &e.remote)
                            && same_endpoint(&o.remote, &e.local) =>
                    {
                        Some(o.inode)
                    }
                    _ => None,
                })
            }
            SockEntry::Inet(_) => None,
        }
    }
}

/// Compares endpoints across the tcp and tcp6 tables (v4-mapped addresses equal their IPv4 form).
pub fn same_endpoint(a: &SocketAddr, b: &SocketAddr) -> bool {
    fn canon(addr: &SocketAddr) -> (IpAddr, u16) {
        let ip = match addr.ip() {
            IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .map(IpAddr::V4)
                .unwrap_or(IpAddr::V6(v6)),
            v4 => v4,
        };
        (ip, addr.port())
    }
    canon(a) == canon(b)
}

#[cfg(all(test, target_endian = "little"))]
mod tests {
    use super::*;

    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:B813 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 8029 1 0000000000000000 100 0 0 10 0
   1: 0100007F:D431 0100007F:18EB 01 00000000:00000000 00:00000000 00000000  1000        0 81234 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:D432 0100007F:18EB 06 00000000:00000000 03:00001234 00000000     0        0 0 3 0000000000000000
";

    #[test]
    fn tcp_v4_addresses_ports_states() {
        let t = parse_inet_table("tcp", TCP);
        assert_eq!(t.len(), 3);
        assert_eq!(t[0].local.to_string(), "127.0.0.1:47123");
        assert_eq!(t[0].state, "LISTEN");
        assert!(!t[0].has_peer());
        assert_eq!(t[1].remote.to_string(), "127.0.0.1:6379");
        assert_eq!(t[1].state, "ESTABLISHED");
        assert_eq!(t[1].inode, 81234);
        assert!(t[1].has_peer());
        let index = SocketIndex::from_tables(t, vec![]);
        assert_eq!(
            index.by_inode.len(),
            2,
            "TIME_WAIT with inode 0 is not indexed"
        );
    }

    #[test]
    fn tcp6_loopback_and_v4_mapped() {
        let text = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 9001 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:9C40 0000000000000000FFFF00000100007F:1538 01 00000000:00000000 00:00000000 00000000     0        0 9002 1 0000000000000000 20 4 30 10 -1
   2: B80D0120000000000000000001000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 9003 1
";
        let t = parse_inet_table("tcp6", text);
        assert_eq!(t.len(), 3);
        assert_eq!(t[0].local.to_string(), "[::1]:8080");
        assert_eq!(display_addr(&t[1].local), "127.0.0.1:40000");
        assert_eq!(display_addr(&t[1].remote), "127.0.0.1:5432");
        assert_eq!(t[1].remote.port(), 5432);
        assert_eq!(t[2].local.to_string(), "[2001:db8::1]:443");
        let v4: SocketAddr = "127.0.0.1:5432".parse().unwrap();
        assert!(same_endpoint(&t[1].remote, &v4));
    }

    #[test]
    fn tcp_peer_is_the_swapped_four_tuple_never_the_listener() {
        // A postmaster listening on 5433 and a backend holding the accepted end: both have the
        // local address 127.0.0.1:5433, and only the backend is the peer.
        let text = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1539 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 700 1
   1: 0100007F:1539 0100007F:D431 01 00000000:00000000 00:00000000 00000000   101        0 701 1
   2: 0100007F:D431 0100007F:1539 01 00000000:00000000 00:00000000 00000000     0        0 702 1
   3: 0100007F:1539 0100007F:D432 01 00000000:00000000 00:00000000 00000000   101        0 703 1
";
        let index = SocketIndex::from_tables(parse_inet_table("tcp", text), vec![]);
        for _ in 0..20 {
            let client = index.get(702).unwrap();
            assert_eq!(index.peer_of(client), Some(701));
            assert_eq!(index.peer_of(index.get(701).unwrap()), Some(702));
        }
        assert_eq!(index.peer_of(index.get(700).unwrap()), None, "a listener");
        assert_eq!(
            index.peer_of(index.get(703).unwrap()),
            None,
            "the client end is not in this namespace"
        );
        let unix = UnixEntry {
            socket_type: "stream",
            state: "CONNECTED",
            inode: 9,
            path: None,
            peer: Some(10),
        };
        assert_eq!(index.peer_of(&SockEntry::Unix(unix)), Some(10));
    }

    #[test]
    fn udp_states() {
        let text = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1234 2 0000000000000000 0
  101: 0100007F:A000 0100007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 1235 2 0000000000000000 0
";
        let t = parse_inet_table("udp", text);
        assert_eq!(t[0].state, "UNCONNECTED");
        assert_eq!(t[0].local.port(), 68);
        assert_eq!(t[1].state, "CONNECTED");
        assert_eq!(t[1].remote.port(), 53);
    }

    #[test]
    fn unix_listen_connected_abstract_and_spaces() {
        let text = "Num       RefCount Protocol Flags    Type St Inode Path
0000000000000000: 00000002 00000000 00010000 0001 01 8072 /tmp/app.sock
0000000000000000: 00000003 00000000 00000000 0001 03 8073
0000000000000000: 00000002 00000000 00000000 0002 01 8074 @abstract-name
0000000000000000: 00000002 00000000 00010000 0005 01 8075 /tmp/with space.sock
";
        let t = parse_unix_table(text);
        assert_eq!(t.len(), 4);
        assert_eq!(t[0].state, "LISTEN");
        assert_eq!(t[0].path.as_deref(), Some("/tmp/app.sock"));
        assert_eq!(t[1].state, "CONNECTED");
        assert_eq!(t[1].path, None);
        assert_eq!(t[2].socket_type, "dgram");
        assert_eq!(t[2].path.as_deref(), Some("@abstract-name"));
        assert_eq!(t[3].socket_type, "seqpacket");
        assert_eq!(t[3].path.as_deref(), Some("/tmp/with space.sock"));
    }

    #[test]
    fn malformed_rows_are_skipped() {
        let text = "header\n 0: ZZ:0000 00000000:0000 0A x x x x x 1\n 1: 0100007F:0050\n";
        assert!(parse_inet_table("tcp", text).is_empty());
        assert!(parse_unix_table("header\n0: 1 2\n").is_empty());
    }
}

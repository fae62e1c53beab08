//! TCP, UDP and unix sockets through `NETLINK_SOCK_DIAG`, used when the target shares our network
//! namespace: the kernel then dumps only the sockets that exist, while reading
//! `/proc/PID/net/tcp` walks every bucket of the connection hash (milliseconds on an idle host);
//! and for unix sockets it tells the peer's inode, which `/proc/net/unix` does not.

use crate::inspect::parse::net::{InetEntry, UnixEntry};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLMSG_HDRLEN: usize = 16;
const REQ_LEN: usize = 56;
const MSG_LEN: usize = 72;

/// Every TCP and UDP socket (IPv4 and IPv6) of the caller's network namespace.
pub fn inet_sockets() -> io::Result<Vec<InetEntry>> {
    let mut all = Vec::new();
    for (family, protocol, name) in [
        (libc::AF_INET, libc::IPPROTO_TCP, "tcp"),
        (libc::AF_INET6, libc::IPPROTO_TCP, "tcp6"),
        (libc::AF_INET, libc::IPPROTO_UDP, "udp"),
        (libc::AF_INET6, libc::IPPROTO_UDP, "udp6"),
    ] {
        let mut req = [0u8; REQ_LEN];
        // inet_diag_req_v2: family, protocol, ext, pad, states (all), then a zero sockid.
        req[0] = family as u8;
        req[1] = protocol as u8;
        req[4..8].copy_from_slice(&u32::MAX.to_ne_bytes());
        dump(&req, |m| {
            if m.len() >= MSG_LEN {
                all.extend(parse_msg(m, name));
            }
        })?;
    }
    Ok(all)
}

const UDIAG_SHOW_NAME: u32 = 0x01;
const UDIAG_SHOW_PEER: u32 = 0x04;
const UNIX_DIAG_NAME: u16 = 0;
const UNIX_DIAG_PEER: u16 = 2;
/// `struct unix_diag_msg`: family, type, state, pad, inode, cookie[2].
const UNIX_MSG_LEN: usize = 16;

/// Every unix socket of the caller's network namespace, with its bound name and its peer.
pub fn unix_sockets() -> io::Result<Vec<UnixEntry>> {
    // unix_diag_req: family, protocol, pad, states (all), inode (any), show, cookie[2].
    let mut req = [0u8; 24];
    req[0] = libc::AF_UNIX as u8;
    req[4..8].copy_from_slice(&u32::MAX.to_ne_bytes());
    req[12..16].copy_from_slice(&(UDIAG_SHOW_NAME | UDIAG_SHOW_PEER).to_ne_bytes());
    let mut all = Vec::new();
    dump(&req, |m| all.extend(parse_unix_msg(m)))?;
    Ok(all)
}

/// One `unix_diag_msg` and its attributes.
pub fn parse_unix_msg(m: &[u8]) -> Option<UnixEntry> {
    if m.len() < UNIX_MSG_LEN {
        return None;
    }
    let socket_type = match m[1] {
        1 => "stream",
        2 => "dgram",
        5 => "seqpacket",
        _ => "other",
    };
    // The kernel reuses TCP's state numbers: 1 established, 7 close, 10 listen.
    let state = match m[2] {
        1 => "CONNECTED",
        7 => "UNCONNECTED",
        10 => "LISTEN",
        2 => "CONNECTING",
        _ => "UNKNOWN",
    };
    let inode = u64::from(u32_at(m, 4));
    let mut path = None;
    let mut peer = None;
    let mut off = UNIX_MSG_LEN;
    while off + 4 <= m.len() {
        let len = usize::from(u16::from_ne_bytes([m[off], m[off + 1]]));
        let kind = u16::from_ne_bytes([m[off + 2], m[off + 3]]);
        if len < 4 || off + len > m.len() {
            break;
        }
        let payload = &m[off + 4..off + len];
        match kind {
            UNIX_DIAG_NAME if !payload.is_empty() => {
                // An abstract name starts with NUL and is printed with `@`, as ss does.
                let text = match payload.split_first() {
                    Some((0, rest)) => format!("@{}", String::from_utf8_lossy(rest)),
                    _ => {
                        let end = payload
                            .iter()
                            .position(|b| *b == 0)
                            .unwrap_or(payload.len());
                        String::from_utf8_lossy(&payload[..end]).into_owned()
                    }
                };
                path = Some(text);
            }
            UNIX_DIAG_PEER if payload.len() >= 4 => {
                peer = Some(u64::from(u32_at(payload, 0))).filter(|p| *p != 0);
            }
            _ => {}
        }
        off += (len + 3) & !3;
    }
    Some(UnixEntry {
        socket_type,
        state,
        inode,
        path,
        peer,
    })
}

struct Fd(i32);

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: closing an fd this struct owns, once.
        unsafe { libc::close(self.0) };
    }
}

/// Sends one dump request (`req` is the family's request body) and hands each answer's body to
/// `on_msg` until the kernel says done.
fn dump(req_body: &[u8], mut on_msg: impl FnMut(&[u8])) -> io::Result<()> {
    // SAFETY: plain socket(2) call; the result is checked.
    let raw = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
            libc::NETLINK_SOCK_DIAG,
        )
    };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    let sock = Fd(raw);
    let mut req = vec![0u8; NLMSG_HDRLEN + req_body.len()];
    let total = req.len() as u32;
    req[0..4].copy_from_slice(&total.to_ne_bytes());
    req[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    let flags = (libc::NLM_F_REQUEST | libc::NLM_F_DUMP) as u16;
    req[6..8].copy_from_slice(&flags.to_ne_bytes());
    req[8..12].copy_from_slice(&1u32.to_ne_bytes());
    req[NLMSG_HDRLEN..].copy_from_slice(req_body);
    // SAFETY: sending a fully initialised buffer of the stated length.
    let sent = unsafe { libc::send(sock.0, req.as_ptr().cast(), req.len(), 0) };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        // SAFETY: receiving into a buffer we own, bounded by its length.
        let n = unsafe { libc::recv(sock.0, buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        let data = &buf[..n as usize];
        let mut off = 0;
        while off + NLMSG_HDRLEN <= data.len() {
            let len = u32_at(data, off) as usize;
            let kind = u16::from_ne_bytes([data[off + 4], data[off + 5]]);
            if len < NLMSG_HDRLEN || off + len > data.len() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "bad netlink message",
                ));
            }
            match kind {
                NLMSG_DONE => return Ok(()),
                NLMSG_ERROR => {
                    let errno =
                        i32::from_ne_bytes(data[off + 16..off + 20].try_into().unwrap_or([0; 4]));
                    // The kernel sends a negative errno; 0 is an acknowledgement.
                    if errno != 0 {
                        return Err(io::Error::from_raw_os_error(-errno));
                    }
                }
                _ => on_msg(&data[off + NLMSG_HDRLEN..off + len]),
            }
            off += (len + 3) & !3;
        }
    }
}

fn u32_at(data: &[u8], off: usize) -> u32 {
    data.get(off..off + 4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_ne_bytes)
        .unwrap_or(0)
}

/// inet_diag_msg: family, state, timer, retrans, sockid {sport, dport (big-endian), src[16],
/// dst[16], if, cookie[8]}, expires, rqueue, wqueue, uid, inode.
fn parse_msg(m: &[u8], protocol: &'static str) -> Option<InetEntry> {
    let family = *m.first()?;
    let state = *m.get(1)?;
    let sport = u16::from_be_bytes([*m.get(4)?, *m.get(5)?]);
    let dport = u16::from_be_bytes([*m.get(6)?, *m.get(7)?]);
    let ip = |at: usize| -> Option<IpAddr> {
        let bytes: [u8; 16] = m.get(at..at + 16)?.try_into().ok()?;
        Some(if i32::from(family) == libc::AF_INET {
            IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]))
        } else {
            IpAddr::V6(Ipv6Addr::from(bytes))
        })
    };
    let inode = u32_at(m, 68);
    let udp = protocol.starts_with("udp");
    let code = format!("{state:02X}");
    Some(InetEntry {
        protocol,
        local: SocketAddr::new(ip(8)?, sport),
        remote: SocketAddr::new(ip(24)?, dport),
        state: crate::inspect::parse::net::state_name(udp, &code),
        inode: u64::from(inode),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(kind: u16, payload: &[u8]) -> Vec<u8> {
        let mut a = ((4 + payload.len()) as u16).to_ne_bytes().to_vec();
        a.extend(kind.to_ne_bytes());
        a.extend(payload);
        while !a.len().is_multiple_of(4) {
            a.push(0);
        }
        a
    }

    #[test]
    fn unix_message_with_name_and_peer() {
        let mut m = vec![libc::AF_UNIX as u8, 1, 1, 0];
        m.extend(4242u32.to_ne_bytes());
        m.extend([0u8; 8]);
        m.extend(attr(UNIX_DIAG_NAME, b"/run/postgresql/.s.PGSQL.5432"));
        m.extend(attr(UNIX_DIAG_PEER, &4243u32.to_ne_bytes()));
        let e = parse_unix_msg(&m).unwrap();
        assert_eq!(
            (e.inode, e.peer, e.state, e.socket_type),
            (4242, Some(4243), "CONNECTED", "stream")
        );
        assert_eq!(e.path.as_deref(), Some("/run/postgresql/.s.PGSQL.5432"));

        let mut m = vec![libc::AF_UNIX as u8, 2, 10, 0];
        m.extend(7u32.to_ne_bytes());
        m.extend([0u8; 8]);
        m.extend(attr(UNIX_DIAG_NAME, b"\0abstract"));
        m.extend(attr(UNIX_DIAG_PEER, &[1, 2]));
        let e = parse_unix_msg(&m).unwrap();
        assert_eq!(e.path.as_deref(), Some("@abstract"));
        assert_eq!(
            (e.state, e.peer),
            ("LISTEN", None),
            "a short peer is ignored"
        );
        assert!(parse_unix_msg(&m[..10]).is_none());
    }
}

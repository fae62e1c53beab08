//! TCP and UDP sockets through `NETLINK_SOCK_DIAG`, used when the target shares our network
//! namespace: the kernel then dumps only the sockets that exist, while reading
//! `/proc/PID/net/tcp` walks every bucket of the connection hash (milliseconds on an idle host).

use crate::inspect::net::InetEntry;
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
        dump(family as u8, protocol as u8, name, &mut all)?;
    }
    Ok(all)
}

struct Fd(i32);

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: closing an fd this struct owns, once.
        unsafe { libc::close(self.0) };
    }
}

fn dump(family: u8, protocol: u8, name: &'static str, out: &mut Vec<InetEntry>) -> io::Result<()> {
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
    let mut req = [0u8; NLMSG_HDRLEN + REQ_LEN];
    req[0..4].copy_from_slice(&((NLMSG_HDRLEN + REQ_LEN) as u32).to_ne_bytes());
    req[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    let flags = (libc::NLM_F_REQUEST | libc::NLM_F_DUMP) as u16;
    req[6..8].copy_from_slice(&flags.to_ne_bytes());
    req[8..12].copy_from_slice(&1u32.to_ne_bytes());
    // inet_diag_req_v2: family, protocol, ext, pad, states (all), then a zero sockid.
    req[16] = family;
    req[17] = protocol;
    req[20..24].copy_from_slice(&u32::MAX.to_ne_bytes());
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
                _ if len >= NLMSG_HDRLEN + MSG_LEN => {
                    if let Some(e) = parse_msg(&data[off + NLMSG_HDRLEN..off + len], name) {
                        out.push(e);
                    }
                }
                _ => {}
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
        state: crate::inspect::net::state_name(udp, &code),
        inode: u64::from(inode),
    })
}

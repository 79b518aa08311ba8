//! Network namespaces for the ping check tests: each [`Host`] is a namespace joined to the
//! test's namespace by a veth pair, with an address on each end. Needs root and iproute2
//! (and nftables for [`Host::drop_requests`]); everything is removed on drop.

use std::process::Command;

fn run(args: &[&str]) {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {args:?}: {e} (install with scripts/deps)"));
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Whether this process may create namespaces (root).
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A simulated router reachable from the test's namespace.
#[derive(Debug)]
pub struct Host {
    ns: String,
    veth: String,
    /// The router's address (inside its namespace).
    pub ip: String,
}

impl Host {
    /// Namespace number `index` (0..=250) of this test process.
    pub fn new(index: u8) -> Host {
        let pid = std::process::id();
        let tag = format!("{}{index}", pid % 100_000);
        let ns = format!("edgemon-{tag}");
        let veth = format!("emh{tag}");
        let dev_if = format!("emd{tag}");
        let net = format!("10.{}.{index}", 100 + pid % 100);
        let host = Host {
            ns: ns.clone(),
            veth: veth.clone(),
            ip: format!("{net}.2"),
        };
        run(&["ip", "netns", "add", &ns]);
        run(&[
            "ip", "link", "add", &veth, "type", "veth", "peer", "name", &dev_if,
        ]);
        run(&["ip", "link", "set", &dev_if, "netns", &ns]);
        run(&["ip", "addr", "add", &format!("{net}.1/24"), "dev", &veth]);
        run(&["ip", "link", "set", &veth, "up"]);
        run(&[
            "ip",
            "-n",
            &ns,
            "addr",
            "add",
            &format!("{net}.2/24"),
            "dev",
            &dev_if,
        ]);
        run(&["ip", "-n", &ns, "link", "set", &dev_if, "up"]);
        run(&["ip", "-n", &ns, "link", "set", "lo", "up"]);
        host
    }

    /// Cut (`false`) or restore (`true`) the link; a restored link is waited for until
    /// the kernel reports it operational.
    pub fn link(&self, up: bool) {
        run(&[
            "ip",
            "link",
            "set",
            &self.veth,
            if up { "up" } else { "down" },
        ]);
        if up {
            let state = format!("/sys/class/net/{}/operstate", self.veth);
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while std::fs::read_to_string(&state).unwrap_or_default().trim() != "up" {
                assert!(
                    std::time::Instant::now() < deadline,
                    "{} did not come up",
                    self.veth
                );
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
    }

    /// Drop `percent` % of incoming echo requests at random (nftables `numgen random`:
    /// the test kernels have no `sch_netem`).
    pub fn drop_requests(&self, percent: u8) {
        let ns = ["ip", "netns", "exec", &self.ns, "nft"];
        let nft = |rest: &[&str]| run(&[&ns[..], rest].concat());
        nft(&["add", "table", "inet", "loss"]);
        nft(&[
            "add",
            "chain",
            "inet",
            "loss",
            "in",
            "{ type filter hook input priority 0; }",
        ]);
        nft(&[
            "add",
            "rule",
            "inet",
            "loss",
            "in",
            "icmp",
            "type",
            "echo-request",
            "numgen",
            "random",
            "mod",
            "100",
            "<",
            &percent.to_string(),
            "drop",
        ]);
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["link", "del", &self.veth])
            .status();
        let _ = Command::new("ip").args(["netns", "del", &self.ns]).status();
    }
}

/// A simulated router behind a bad link: a namespace joined to the test's namespace by two
/// TAP devices that `tests/tools/impair.py` bridges, dropping each frame with probability
/// `loss` and delaying the rest by `delay_s` in each direction (the test kernels have no
/// `sch_netem`). Needs root, iproute2 and python3; removed on drop.
#[derive(Debug)]
pub struct LossyHost {
    ns: String,
    bridge: std::process::Child,
    /// The router's address (inside its namespace).
    pub ip: String,
    /// The test side's address, reachable from the router.
    pub gateway: String,
}

impl LossyHost {
    /// # Panics
    /// When the namespace or the link cannot be made.
    pub fn new(index: u8, loss: f64, delay_s: f64) -> LossyHost {
        use std::io::BufRead;
        let pid = std::process::id();
        let tag = format!("{}{index}", pid % 100_000);
        let ns = format!("edgemon-l{tag}");
        let (outer, inner) = (format!("ela{tag}"), format!("elb{tag}"));
        let net = format!("10.{}.{index}", 200 + pid % 50);
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/impair.py");
        let mut bridge = Command::new("python3")
            .arg(script)
            .args([&outer, &inner, &loss.to_string(), &delay_s.to_string()])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 (install with scripts/deps)");
        let mut ready = String::new();
        std::io::BufReader::new(bridge.stdout.take().unwrap())
            .read_line(&mut ready)
            .unwrap();
        assert_eq!(ready.trim(), "ready", "impair.py did not start");
        let host = LossyHost {
            ns: ns.clone(),
            bridge,
            ip: format!("{net}.2"),
            gateway: format!("{net}.1"),
        };
        run(&["ip", "netns", "add", &ns]);
        run(&["ip", "link", "set", &inner, "netns", &ns]);
        run(&["ip", "addr", "add", &format!("{net}.1/24"), "dev", &outer]);
        run(&["ip", "link", "set", &outer, "up"]);
        let in_ns = |rest: &[&str]| run(&[&["ip", "-n", &ns][..], rest].concat());
        in_ns(&["addr", "add", &format!("{net}.2/24"), "dev", &inner]);
        in_ns(&["link", "set", &inner, "up"]);
        in_ns(&["link", "set", "lo", "up"]);
        host
    }

    /// `program args…` run inside the router's namespace.
    pub fn command(&self, program: &std::path::Path) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.ns]).arg(program);
        c
    }
}

impl Drop for LossyHost {
    fn drop(&mut self) {
        let _ = self.bridge.kill();
        let _ = self.bridge.wait();
        let _ = Command::new("ip").args(["netns", "del", &self.ns]).status();
    }
}

//! The bridge's configuration: a TOML file (docs/adr/049), then flags. A [`Config`] exists only
//! in a valid state: [`Config::load`] is the check, and its errors name the file and the field.

use std::collections::BTreeSet;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use url::Url;

/// The environment variable that holds the API key's text, used when no key is given on the
/// command line. It wins over `key_file`.
pub const KEY_ENV: &str = "ILS_BRIDGE_KEY";

/// What flags override in the file. `None` keeps the file's value.
#[derive(Clone, Default)]
pub struct Overrides {
    /// ILS's base URL (`--server`).
    pub server: Option<String>,
    /// The API key's text. Prefer `key_file` or [`KEY_ENV`]: a key on a command line is visible
    /// to every user of the machine.
    pub key: Option<String>,
    /// Where the journal and the status live (`--data-dir`), relative to the working directory.
    pub data_dir: Option<PathBuf>,
}

impl fmt::Debug for Overrides {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Overrides")
            .field("server", &self.server)
            .field("key", &self.key.as_ref().map(|_| "…"))
            .field("data_dir", &self.data_dir)
            .finish()
    }
}

/// A bridge's configuration, checked.
#[derive(Clone)]
pub struct Config {
    origin: PathBuf,
    server: Url,
    key: String,
    data_dir: PathBuf,
    name: String,
    devices: Vec<DeviceConfig>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("origin", &self.origin)
            .field("server", &self.server.as_str())
            .field("key", &"…")
            .field("data_dir", &self.data_dir)
            .field("name", &self.name)
            .field("devices", &self.devices)
            .finish()
    }
}

/// One device: its name as registered in ILS, and how the bridge reaches it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceConfig {
    name: String,
    transport: Transport,
}

impl DeviceConfig {
    /// The name ILS knows the device by.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How the bridge reaches the device.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }
}

/// How the bridge reaches a device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transport {
    /// The device dials the bridge (`tcp_listen`); one connection at a time, a new one replaces
    /// the old.
    TcpListen(SocketAddr),
    /// The bridge dials the device (`tcp_connect`, `host:port`).
    TcpConnect(String),
    /// A serial port (`serial`) with its line settings.
    Serial(SerialSettings),
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TcpListen(addr) => write!(f, "tcp listen {addr}"),
            Self::TcpConnect(addr) => write!(f, "tcp connect {addr}"),
            Self::Serial(s) => write!(f, "serial {}", s),
        }
    }
}

/// A serial port and its line settings (defaults 9600 baud, 8 data bits, no parity, 1 stop bit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SerialSettings {
    /// The port, e.g. `/dev/ttyUSB0`.
    pub path: PathBuf,
    /// Bits per second.
    pub baud: u32,
    /// 5 to 8.
    pub data_bits: DataBits,
    /// The parity bit.
    pub parity: Parity,
    /// 1 or 2.
    pub stop_bits: StopBits,
}

impl fmt::Display for SerialSettings {
    /// `/dev/ttyUSB0 2400 7E2`, as the line settings are usually written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parity = match self.parity {
            Parity::None => 'N',
            Parity::Even => 'E',
            Parity::Odd => 'O',
        };
        write!(
            f,
            "{} {} {}{}{}",
            self.path.display(),
            self.baud,
            self.data_bits as u8,
            parity,
            self.stop_bits as u8
        )
    }
}

/// Data bits per character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum DataBits {
    Five = 5,
    Six = 6,
    Seven = 7,
    Eight = 8,
}

/// The parity bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parity {
    /// No parity bit.
    None,
    /// Even parity.
    Even,
    /// Odd parity.
    Odd,
}

/// Stop bits per character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum StopBits {
    One = 1,
    Two = 2,
}

/// Why a configuration was refused. Each message names the file and the field.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file (or the key file) could not be read.
    #[error("{}: could not read {}: {source}", origin.display(), path.display())]
    Read {
        /// The configuration file.
        origin: PathBuf,
        /// The file that could not be read.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not TOML of the expected shape (an unknown field, a number given as text, …).
    #[error("{}: {message}", origin.display())]
    Syntax {
        /// The configuration file.
        origin: PathBuf,
        /// The TOML parser's message, with the line and column.
        message: String,
    },
    /// A field has a value the bridge cannot use.
    #[error("{}: {field}: {message}", origin.display())]
    Invalid {
        /// The configuration file.
        origin: PathBuf,
        /// The field, e.g. `server` or `device "tracer-1".baud`.
        field: String,
        /// What is wrong and what would be right.
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    server: Option<String>,
    key_file: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    name: Option<String>,
    #[serde(default)]
    device: Vec<RawDevice>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDevice {
    name: Option<String>,
    tcp_listen: Option<String>,
    tcp_connect: Option<String>,
    serial: Option<PathBuf>,
    baud: Option<u32>,
    data_bits: Option<i64>,
    parity: Option<String>,
    stop_bits: Option<i64>,
}

impl Config {
    /// Reads and checks the file at `path`. The API key comes from [`KEY_ENV`] if set, else from
    /// `key_file`; relative paths in the file are relative to the file's folder.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        Self::load_with(path, &Overrides::default())
    }

    /// [`Config::load`], with flags overriding the file. A key in `overrides` wins over
    /// [`KEY_ENV`], which wins over `key_file`.
    pub fn load_with(path: impl AsRef<Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            origin: path.to_path_buf(),
            path: path.to_path_buf(),
            source,
        })?;
        let env_key = std::env::var(KEY_ENV).ok().filter(|k| !k.trim().is_empty());
        Self::parse(&text, path, overrides, env_key)
    }

    /// Checks a configuration given as text; `origin` names it in errors and anchors relative
    /// paths. The environment is not read: the key comes from `overrides` or `key_file`.
    pub fn from_toml(text: &str, origin: &Path, overrides: &Overrides) -> Result<Self, ConfigError> {
        Self::parse(text, origin, overrides, None)
    }

    fn parse(
        text: &str,
        origin: &Path,
        overrides: &Overrides,
        env_key: Option<String>,
    ) -> Result<Self, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            origin: origin.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let invalid = |field: &str, message: String| ConfigError::Invalid {
            origin: origin.to_path_buf(),
            field: field.to_string(),
            message,
        };
        let base = origin.parent().map(Path::to_path_buf).unwrap_or_default();
        let relative = |p: PathBuf| if p.is_relative() { base.join(p) } else { p };

        let server = overrides.server.clone().or(raw.server).ok_or_else(|| {
            invalid("server", "missing: ILS's base URL, e.g. \"https://ils.example.com\"".into())
        })?;
        let server = parse_server(&server).map_err(|m| invalid("server", m))?;

        let key = match (&overrides.key, env_key, raw.key_file) {
            (Some(key), _, _) => key.clone(),
            (None, Some(key), _) => key,
            (None, None, Some(file)) => {
                let file = relative(file);
                std::fs::read_to_string(&file).map_err(|source| ConfigError::Read {
                    origin: origin.to_path_buf(),
                    path: file.clone(),
                    source,
                })?
            }
            (None, None, None) => {
                return Err(invalid("key_file", format!("missing: give key_file or set {KEY_ENV}")));
            }
        };
        let key = key.trim().to_string();
        if key.is_empty() {
            return Err(invalid("key_file", "the API key is empty".into()));
        }
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid("key_file", "the API key has spaces or characters outside ASCII".into()));
        }

        let data_dir = match (&overrides.data_dir, raw.data_dir) {
            (Some(dir), _) => dir.clone(),
            (None, Some(dir)) => relative(dir),
            (None, None) => {
                return Err(invalid("data_dir", "missing: where the journal and status live".into()));
            }
        };
        if data_dir.as_os_str().is_empty() {
            return Err(invalid("data_dir", "is empty".into()));
        }

        let name = raw
            .name
            .ok_or_else(|| invalid("name", "missing: the bridge's name, e.g. \"lab-bridge-1\"".into()))?;
        check_name(&name).map_err(|m| invalid("name", m))?;

        if raw.device.is_empty() {
            return Err(invalid("device", "no [[device]]: a bridge needs at least one device".into()));
        }
        let mut devices = Vec::with_capacity(raw.device.len());
        let mut names = BTreeSet::new();
        let mut listening = BTreeSet::new();
        for (i, raw) in raw.device.into_iter().enumerate() {
            let label = match &raw.name {
                Some(name) => format!("device {name:?}"),
                None => format!("device #{}", i + 1),
            };
            let field = |f: &str| format!("{label}.{f}");
            let device = parse_device(raw, &relative).map_err(|(f, m)| invalid(&field(f), m))?;
            if !names.insert(device.name.clone()) {
                return Err(invalid(&field("name"), "another device has the same name".into()));
            }
            if let Transport::TcpListen(addr) = device.transport
                && !listening.insert(addr)
            {
                return Err(invalid(&field("tcp_listen"), format!("another device listens on {addr}")));
            }
            devices.push(device);
        }

        Ok(Self { origin: origin.to_path_buf(), server, key, data_dir, name, devices })
    }

    /// ILS's base URL.
    pub fn server(&self) -> &Url {
        &self.server
    }

    /// The bridge's name, as ILS shows it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where the journal and `status.json` live.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The devices, in the file's order.
    pub fn devices(&self) -> &[DeviceConfig] {
        &self.devices
    }

    /// The file this came from.
    pub fn origin(&self) -> &Path {
        &self.origin
    }

    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// `{server}/api/v1/bridge`, with `http` → `ws` and `https` → `wss`.
    pub(crate) fn websocket_url(&self) -> Url {
        let mut url = self.server.clone();
        let path = format!("{}/api/v1/bridge", url.path().trim_end_matches('/'));
        url.set_path(&path);
        let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
        // Both are special schemes of the same kind as http(s), so the change is accepted.
        let _ = url.set_scheme(scheme);
        url
    }
}

fn parse_server(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("{text:?} is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{text:?} is not an http:// or https:// URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{text:?} has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(format!("{text:?}: give the base URL only, without user, query or fragment"));
    }
    Ok(url)
}

fn check_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("is empty".into());
    }
    if name.chars().count() > 100 {
        return Err("is longer than 100 characters".into());
    }
    if name.chars().any(char::is_control) {
        return Err("has control characters".into());
    }
    Ok(())
}

fn parse_device(
    raw: RawDevice,
    relative: &impl Fn(PathBuf) -> PathBuf,
) -> Result<DeviceConfig, (&'static str, String)> {
    let name = raw.name.ok_or(("name", "missing: the device's name as registered in ILS".to_string()))?;
    check_name(&name).map_err(|m| ("name", m))?;
    let given: Vec<&str> = [
        raw.tcp_listen.as_ref().map(|_| "tcp_listen"),
        raw.tcp_connect.as_ref().map(|_| "tcp_connect"),
        raw.serial.as_ref().map(|_| "serial"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if given.len() != 1 {
        let what = if given.is_empty() {
            "none is given".to_string()
        } else {
            format!("{} are given", given.join(" and "))
        };
        return Err(("transport", format!("give exactly one of tcp_listen, tcp_connect, serial; {what}")));
    }
    let transport = if let Some(addr) = raw.tcp_listen {
        let addr = addr.parse::<SocketAddr>().map_err(|_| {
            ("tcp_listen", format!("{addr:?} is not an address and port to listen on, e.g. \"0.0.0.0:5450\""))
        })?;
        Transport::TcpListen(addr)
    } else if let Some(addr) = raw.tcp_connect {
        check_host_port(&addr).map_err(|m| ("tcp_connect", m))?;
        Transport::TcpConnect(addr)
    } else if let Some(path) = raw.serial {
        if path.as_os_str().is_empty() {
            return Err(("serial", "is empty: give the port, e.g. \"/dev/ttyUSB0\"".into()));
        }
        let baud = raw.baud.unwrap_or(9600);
        if baud == 0 {
            return Err(("baud", "must be more than 0".into()));
        }
        let data_bits = match raw.data_bits.unwrap_or(8) {
            5 => DataBits::Five,
            6 => DataBits::Six,
            7 => DataBits::Seven,
            8 => DataBits::Eight,
            other => return Err(("data_bits", format!("{other} is not 5, 6, 7 or 8"))),
        };
        let parity = match raw.parity.as_deref().unwrap_or("none") {
            "none" => Parity::None,
            "even" => Parity::Even,
            "odd" => Parity::Odd,
            other => return Err(("parity", format!("{other:?} is not \"none\", \"even\" or \"odd\""))),
        };
        let stop_bits = match raw.stop_bits.unwrap_or(1) {
            1 => StopBits::One,
            2 => StopBits::Two,
            other => return Err(("stop_bits", format!("{other} is not 1 or 2"))),
        };
        Transport::Serial(SerialSettings { path: relative(path), baud, data_bits, parity, stop_bits })
    } else {
        unreachable!("exactly one transport was checked above")
    };
    if !matches!(transport, Transport::Serial(_)) {
        for (field, given) in [
            ("baud", raw.baud.is_some()),
            ("data_bits", raw.data_bits.is_some()),
            ("parity", raw.parity.is_some()),
            ("stop_bits", raw.stop_bits.is_some()),
        ] {
            if given {
                return Err((field, "applies to serial devices only".into()));
            }
        }
    }
    Ok(DeviceConfig { name, transport })
}

fn check_host_port(addr: &str) -> Result<(), String> {
    let bad = || format!("{addr:?} is not a host and port to dial, e.g. \"10.0.0.40:5450\"");
    let (host, port) = addr.rsplit_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    if host.is_empty() || port == 0 {
        return Err(bad());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        let overrides = Overrides { key: Some("k".into()), ..Overrides::default() };
        Config::from_toml(text, Path::new("/etc/ils-bridge/bridge.toml"), &overrides)
    }

    #[test]
    fn the_adr_example_parses_with_the_serial_defaults() {
        let config = parse(
            r#"
            server = "https://ils.example.com"
            data_dir = "/var/lib/ils-bridge"
            name = "lab-bridge-1"
            [[device]]
            name = "tracer-1"
            tcp_listen = "0.0.0.0:5450"
            [[device]]
            name = "refractor"
            serial = "/dev/ttyUSB0"
            "#,
        )
        .unwrap();
        assert_eq!(config.websocket_url().as_str(), "wss://ils.example.com/api/v1/bridge");
        assert_eq!(config.devices()[0].transport().to_string(), "tcp listen 0.0.0.0:5450");
        assert_eq!(config.devices()[1].transport().to_string(), "serial /dev/ttyUSB0 9600 8N1");
    }

    #[test]
    fn a_server_with_a_path_keeps_it_and_http_becomes_ws() {
        let config = parse(
            "server = \"http://127.0.0.1:8080/ils/\"\ndata_dir = \"d\"\nname = \"b\"\n[[device]]\nname = \"x\"\ntcp_connect = \"localhost:1\"\n",
        )
        .unwrap();
        assert_eq!(config.websocket_url().as_str(), "ws://127.0.0.1:8080/ils/api/v1/bridge");
        assert_eq!(config.data_dir(), Path::new("/etc/ils-bridge/d"));
    }
}

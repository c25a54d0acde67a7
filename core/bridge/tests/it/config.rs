//! A bad configuration is refused with a message naming the file and the field.

use std::path::Path;

use ils_bridge::{Config, Overrides};

const HEAD: &str =
    "server = \"https://ils.example.com\"\ndata_dir = \"/var/lib/ils-bridge\"\nname = \"lab-bridge-1\"\n";
const DEVICE: &str = "[[device]]\nname = \"tracer-1\"\ntcp_listen = \"0.0.0.0:5450\"\n";

fn error(text: &str) -> String {
    let overrides = Overrides { key: Some("k".into()), ..Overrides::default() };
    match Config::from_toml(text, Path::new("/etc/ils-bridge/bridge.toml"), &overrides) {
        Ok(config) => panic!("accepted {text}: {config:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_configurations_are_refused_with_the_file_and_the_field() {
    let cases: &[(String, &str)] = &[
        (
            format!(
                "{HEAD}[[device]]\nname = \"t\"\ntcp_listen = \"0.0.0.0:1\"\ntcp_connect = \"10.0.0.40:5450\"\n"
            ),
            "device \"t\".transport: give exactly one of tcp_listen, tcp_connect, serial; tcp_listen and tcp_connect are given",
        ),
        (
            format!("{HEAD}[[device]]\nname = \"t\"\n"),
            "device \"t\".transport: give exactly one of tcp_listen, tcp_connect, serial; none is given",
        ),
        (format!("{HEAD}{DEVICE}{DEVICE}"), "device \"tracer-1\".name: another device has the same name"),
        (
            format!("{HEAD}{DEVICE}[[device]]\nname = \"t2\"\ntcp_listen = \"0.0.0.0:5450\"\n"),
            "device \"t2\".tcp_listen: another device listens on 0.0.0.0:5450",
        ),
        (
            format!("server = \"ftp://ils.example.com\"\ndata_dir = \"d\"\nname = \"b\"\n{DEVICE}"),
            "server: \"ftp://ils.example.com\" is not an http:// or https:// URL",
        ),
        (
            format!("server = \"ils.example.com\"\ndata_dir = \"d\"\nname = \"b\"\n{DEVICE}"),
            "server: \"ils.example.com\" is not a URL",
        ),
        (format!("data_dir = \"d\"\nname = \"b\"\n{DEVICE}"), "server: missing"),
        (format!("server = \"http://x\"\nname = \"b\"\n{DEVICE}"), "data_dir: missing"),
        (format!("server = \"http://x\"\ndata_dir = \"d\"\n{DEVICE}"), "name: missing"),
        (HEAD.to_string(), "device: no [[device]]"),
        (
            format!("{HEAD}[[device]]\nname = \"r\"\nserial = \"/dev/ttyUSB0\"\ndata_bits = 9\n"),
            "device \"r\".data_bits: 9 is not 5, 6, 7 or 8",
        ),
        (
            format!("{HEAD}[[device]]\nname = \"r\"\nserial = \"/dev/ttyUSB0\"\nparity = \"mark\"\n"),
            "device \"r\".parity: \"mark\" is not \"none\", \"even\" or \"odd\"",
        ),
        (
            format!("{HEAD}[[device]]\nname = \"r\"\nserial = \"/dev/ttyUSB0\"\nstop_bits = 3\n"),
            "device \"r\".stop_bits: 3 is not 1 or 2",
        ),
        (
            format!("{HEAD}[[device]]\nname = \"r\"\nserial = \"/dev/ttyUSB0\"\nbaud = 0\n"),
            "device \"r\".baud: must be more than 0",
        ),
        (
            format!("{HEAD}[[device]]\nname = \"t\"\ntcp_listen = \"0.0.0.0:1\"\nbaud = 2400\n"),
            "device \"t\".baud: applies to serial devices only",
        ),
        (
            format!("{HEAD}[[device]]\nname = \"t\"\ntcp_listen = \"localhost\"\n"),
            "device \"t\".tcp_listen: \"localhost\" is not an address and port",
        ),
        (
            format!("{HEAD}[[device]]\nname = \"t\"\ntcp_connect = \"10.0.0.40\"\n"),
            "device \"t\".tcp_connect: \"10.0.0.40\" is not a host and port",
        ),
        (format!("{HEAD}[[device]]\ntcp_connect = \"10.0.0.40:1\"\n"), "device #1.name: missing"),
        (
            format!("{HEAD}[[device]]\nname = \"\"\ntcp_connect = \"10.0.0.40:1\"\n"),
            "device \"\".name: is empty",
        ),
        (format!("{HEAD}{DEVICE}serail = \"/dev/ttyS0\"\n"), "unknown field `serail`"),
        (format!("{HEAD}{DEVICE}baud = \"fast\"\n"), "invalid type: string \"fast\""),
    ];
    for (text, expected) in cases {
        let message = error(text);
        assert!(message.starts_with("/etc/ils-bridge/bridge.toml: "), "{message}");
        assert!(message.contains(expected), "expected {expected:?} in {message:?}");
    }
}

#[test]
fn the_key_comes_from_the_key_file_beside_the_configuration_and_flags_override_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bridge.toml");
    let text = format!(
        "server = \"https://ils.example.com\"\nkey_file = \"key\"\ndata_dir = \"state\"\nname = \"b\"\n{DEVICE}"
    );
    std::fs::write(&file, &text).unwrap();

    let message = Config::load_with(&file, &Overrides::default()).map(|_| ()).unwrap_err().to_string();
    if std::env::var_os(ils_bridge::KEY_ENV).is_none() {
        assert!(
            message.contains(&format!("could not read {}", dir.path().join("key").display())),
            "{message}"
        );
    }

    std::fs::write(dir.path().join("key"), "ils_abc123\n").unwrap();
    let config = Config::load(&file).unwrap();
    assert_eq!(config.data_dir(), dir.path().join("state"));
    assert_eq!(config.name(), "b");
    assert!(!format!("{config:?}").contains("ils_abc123"), "the key stays out of debug output");

    let overrides = Overrides {
        server: Some("http://127.0.0.1:9".into()),
        key: None,
        data_dir: Some("/tmp/elsewhere".into()),
    };
    let config = Config::load_with(&file, &overrides).unwrap();
    assert_eq!(config.server().as_str(), "http://127.0.0.1:9/");
    assert_eq!(config.data_dir(), Path::new("/tmp/elsewhere"));

    let overrides = Overrides { server: Some("mailto:x@example.com".into()), ..Overrides::default() };
    let message = Config::load_with(&file, &overrides).unwrap_err().to_string();
    assert!(
        message.contains("server: \"mailto:x@example.com\" is not an http:// or https:// URL"),
        "{message}"
    );
}

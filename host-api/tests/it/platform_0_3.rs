//! What `ils:platform@0.3.0` adds: the `sms`, `recall-advisor` and `device-link` extension points, through the
//! probe (built with the SDK, so against 0.3.0); and that nothing older is asked for them.

use ils_host_api::{InvokeError, PluginVersion};
use ils_records::{RecallAdvice, SmsMessage};
use ils_registry::{ExtensionPoint, Manifest};

use crate::support::*;

fn manifest(platform: &str) -> Result<Manifest, ils_registry::ManifestError> {
    let caps = PROBE_CAPS.iter().map(|c| format!("{c:?}")).collect::<Vec<_>>().join(", ");
    Manifest::from_toml(&format!(
        r#"
id = "probe"
name = "Probe"
version = "1.0.0"
publisher = "ILS tests"
platform = "{platform}"
provides = ["http", "sms", "recall-advisor"]
capabilities = [{caps}]
outbound.hosts = ["https://api.example.com"]
"#
    ))
}

fn message(to: &str) -> SmsMessage {
    SmsMessage { to: to.into(), body: "Your glasses are ready".into(), reference: "reminder-7".into() }
}

async fn provider(t: &TestHost) -> PluginVersion {
    t.install_probe(manifest("^0.3").expect("manifest")).await
}

#[tokio::test]
async fn a_provider_sends_refuses_for_good_or_asks_to_be_tried_again() {
    let t = host();
    let plugin = provider(&t).await;
    assert_eq!(plugin.platform().minor, 3);
    let sent = t.host.send_sms(&plugin, ctx("a"), message("+447700900123")).await.expect("sent");
    assert_eq!(sent, "probe-reminder-7-22", "the provider got the reference and the whole body");
    match t.host.send_sms(&plugin, ctx("a"), message("+440000000000")).await {
        Err(e @ InvokeError::Plugin { .. }) => {
            assert!(!e.is_retryable(), "a refused number is not tried again");
            assert!(e.to_string().contains("is not a number"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    match t.host.send_sms(&plugin, ctx("a"), message("+449999999999")).await {
        Err(e @ InvokeError::Plugin { .. }) => {
            assert!(e.is_retryable(), "a gateway that is down is tried again")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_recall_advisor_answers_a_period_or_nothing() {
    let t = host();
    let plugin = provider(&t).await;
    let advice = t.host.advise_recall(&plugin, ctx("a"), "p-1", Some("1950-03-04"), "2026-12-01").await;
    assert_eq!(
        advice.expect("advice"),
        Some(RecallAdvice { months: 18, reason: "p-1 born 1950-03-04, seen 2026-12-01".into() })
    );
    let none = t.host.advise_recall(&plugin, ctx("a"), "p-2", None, "2026-12-01").await.expect("answer");
    assert_eq!(none, None);
}

#[tokio::test]
async fn the_new_points_need_a_manifest_for_0_3_and_a_plugin_that_provides_them() {
    let err = manifest("^0.2").expect_err("0.2 has no sms");
    assert!(err.to_string().contains("provides sms came with ils:platform 0.3.0"), "{err}");
    // A 0.3 plugin whose manifest does not provide sms is not asked.
    let t = host();
    let plugin = t.install_probe(probe_manifest(PROBE_CAPS, "")).await;
    match t.host.send_sms(&plugin, ctx("a"), message("+447700900123")).await {
        Err(InvokeError::NotProvided(ExtensionPoint::Sms)) => {}
        other => panic!("{other:?}"),
    }
    match t.host.advise_recall(&plugin, ctx("a"), "p-1", None, "2026-12-01").await {
        Err(InvokeError::NotProvided(ExtensionPoint::RecallAdvisor)) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn device_link_is_reached_through_0_3_and_refused_before_it() {
    let link = |platform: &str| {
        let caps = PROBE_CAPS.iter().map(|c| format!("{c:?}")).collect::<Vec<_>>().join(", ");
        Manifest::from_toml(&format!(
            "id = \"probe\"\nname = \"Probe\"\nversion = \"1.0.0\"\npublisher = \"ILS tests\"\n\
             platform = \"{platform}\"\nprovides = [\"device-link\"]\ncapabilities = [{caps}]\n\
             outbound.hosts = [\"https://api.example.com\"]\n"
        ))
    };
    let err = link("^0.2").expect_err("0.2 has no device-link");
    assert!(err.to_string().contains("provides device-link came with ils:platform 0.3.0"), "{err}");

    // The probe runs no device sessions: the SDK's default answers, through the 0.3 bindings, as
    // the plugin's own error; a plugin that does not provide device-link is not asked.
    let t = host();
    let plugin = t.install_probe(link("^0.3").expect("manifest")).await;
    match t.host.device_step(&plugin, ctx("a"), "tracer", ils_host_api::SessionCall::Open).await {
        Err(InvokeError::Plugin { message, .. }) => {
            assert!(message.contains("runs no device sessions"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    let other = t.install_probe(probe_manifest(PROBE_CAPS, "")).await;
    match t.host.read_device(&other, ctx("a"), "rt-5100", b"data".to_vec()).await {
        Err(InvokeError::NotProvided(ExtensionPoint::DeviceLink)) => {}
        other => panic!("{other:?}"),
    }
}

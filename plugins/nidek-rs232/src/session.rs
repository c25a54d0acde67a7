//! A live session with a refraction system through the site's bridge (`device-link`): the device
//! sends and expects no answer, so the session only gathers bytes until a transmission's EOT and
//! reads it as a capture ([`crate::read_output`]): its values, with a warning per line skipped.
//!
//! The state the host keeps is the bytes of the transmission still arriving, nothing else.

use ils_plugin_sdk::{DeviceStep, Happening};

/// End of transmission: the last byte the device sends.
const EOT: u8 = 0x04;

/// A transmission is a few hundred bytes; this many with no EOT is not one (a device sending
/// something else, or a line at the wrong speed).
const MAX_PENDING: usize = 16 * 1024;

/// At 2400 baud a transmission arrives in a few seconds; this much silence mid-transmission means
/// the rest is not coming.
pub const SILENCE_MS: u32 = 10_000;

/// A device connected: nothing is pending.
pub fn open() -> DeviceStep {
    DeviceStep::default()
}

/// Bytes arrived: every transmission they complete is read.
///
/// ```
/// use ils_plugin_sdk::Happening;
/// let first = nidek_rs232::session::feed(b"", b"\x01NIDEK RT-5100\r\x02@RT\rFR+ 1.00\r");
/// assert!(first.happenings.is_empty());
/// let done = nidek_rs232::session::feed(&first.state, b"FL+ 0.75\r\x04");
/// let [Happening::Reading(reading)] = done.happenings.as_slice() else { panic!() };
/// assert_eq!(reading.measurements.len(), 2);
/// assert!(done.state.is_empty() && done.wake_after_ms.is_none());
/// ```
pub fn feed(state: &[u8], bytes: &[u8]) -> DeviceStep {
    let mut pending = [state, bytes].concat();
    let mut happenings = Vec::new();
    while let Some(end) = pending.iter().position(|b| *b == EOT) {
        let transmission: Vec<u8> = pending.drain(..=end).collect();
        happenings.push(read(&transmission, None));
    }
    if pending.len() > MAX_PENDING {
        happenings.push(Happening::Note(format!(
            "{} bytes arrived with no end of transmission (EOT): dropped; check the device's output settings (2400 baud, 7E2)",
            pending.len()
        )));
        pending.clear();
    }
    let wake_after_ms = (!pending.is_empty()).then_some(SILENCE_MS);
    DeviceStep { state: pending, send: Vec::new(), happenings, wake_after_ms }
}

/// The device went quiet mid-transmission: what arrived is read, with a warning that values may
/// be missing, so that a lost EOT does not lose the refraction (it lands in a draft, checked
/// before it is finalised).
pub fn wake(state: &[u8]) -> DeviceStep {
    if state.is_empty() {
        return DeviceStep::default();
    }
    // A line is whole once its CR has arrived; what follows the last CR is a part of one.
    let whole = state.iter().rposition(|b| *b == b'\r').map_or(0, |cr| cr + 1);
    let warning = format!(
        "the transmission stopped after {} bytes with no end (EOT) and {} s of silence: values after that point are missing",
        state.len(),
        SILENCE_MS / 1000
    );
    DeviceStep { happenings: vec![read(&state[..whole], Some(warning))], ..DeviceStep::default() }
}

fn read(transmission: &[u8], warning: Option<String>) -> Happening {
    match crate::read_output(transmission) {
        Ok(reading) if reading.measurements.is_empty() => {
            Happening::Note("a transmission with no values the driver knows: nothing read".into())
        }
        Ok(mut reading) => {
            reading.warnings.extend(warning);
            Happening::Reading(reading)
        }
        Err(e) => Happening::Note(format!("a transmission was refused: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORDED: &[u8] = include_bytes!("../../fake-devices/recordings/refractor-rt5100.txt");

    fn readings(step: &DeviceStep) -> Vec<&ils_plugin_sdk::DeviceReading> {
        step.happenings
            .iter()
            .filter_map(|h| match h {
                Happening::Reading(r) => Some(r),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_transmission_arriving_a_byte_at_a_time_is_read_once_at_its_eot() {
        let mut state = open().state;
        let mut read = Vec::new();
        for byte in RECORDED {
            let step = feed(&state, &[*byte]);
            read.extend(readings(&step).into_iter().cloned());
            if *byte != EOT {
                assert_eq!(step.wake_after_ms, Some(SILENCE_MS));
            }
            state = step.state;
        }
        assert_eq!(read.len(), 1);
        assert_eq!(read[0], crate::read_output(RECORDED).unwrap());
        assert!(state.is_empty());
    }

    #[test]
    fn two_transmissions_in_one_chunk_are_two_readings() {
        let step = feed(b"", &[RECORDED, RECORDED].concat());
        assert_eq!(readings(&step).len(), 2);
    }

    #[test]
    fn a_transmission_that_stops_is_read_when_the_device_goes_quiet_with_a_warning() {
        let cut = RECORDED.len() - 20;
        let step = feed(b"", &RECORDED[..cut]);
        assert!(step.happenings.is_empty());
        let woken = wake(&step.state);
        let [reading] = readings(&woken)[..] else { panic!("{woken:?}") };
        assert!(reading.warnings.last().unwrap().contains("no end (EOT)"), "{:?}", reading.warnings);
        assert!(reading.measurements.iter().any(|m| m.name == "final.sphere"));
        assert!(woken.state.is_empty() && woken.wake_after_ms.is_none());
    }

    #[test]
    fn bytes_that_never_end_are_dropped_with_a_note() {
        let step = feed(b"", &vec![b'x'; MAX_PENDING + 1]);
        assert!(step.state.is_empty());
        assert!(matches!(&step.happenings[..], [Happening::Note(n)] if n.contains("no end of transmission")));
    }

    #[test]
    fn a_corrupt_transmission_is_noted_not_read() {
        let step = feed(b"", b"\x02@RT\rFR+1O.00\r\x04");
        assert!(matches!(&step.happenings[..], [Happening::Note(n)] if n.contains("refused")), "{step:?}");
    }
}

//! Telephone numbers as an SMS gateway takes them: E.164 (`+447700900123`). Patients' numbers
//! are written as people write them (`07700 900123`, `+44 (0)7700 900123`, `0044 7700 900123`);
//! a UK number is one with a leading 0 and ten more digits.

/// The number in E.164 form, if it reads as one: a UK number written nationally or
/// internationally, or any `+` number of 7 to 15 digits.
pub fn e164(written: &str) -> Option<String> {
    let plus = written.trim_start().starts_with('+');
    // People write "(0)" after the country code; it is not dialled from abroad.
    let written = written.replace("(0)", "");
    if written.chars().any(|c| !(c.is_ascii_digit() || " -().+".contains(c))) {
        return None;
    }
    let digits: String = written.chars().filter(char::is_ascii_digit).collect();
    let international = if plus {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_string()
    } else if let Some(national) = digits.strip_prefix('0') {
        (national.len() == 10).then(|| format!("44{national}"))?
    } else {
        return None;
    };
    let valid = (7..=15).contains(&international.len()) && !international.starts_with('0');
    let uk_length = !international.starts_with("44") || international.len() == 12;
    (valid && uk_length).then(|| format!("+{international}"))
}

#[cfg(test)]
mod tests {
    use super::e164;

    #[test]
    fn uk_numbers_as_people_write_them_become_e164() {
        for written in
            ["07700 900123", "07700-900-123", "+44 7700 900123", "+44 (0)7700 900123", "0044 7700 900123"]
        {
            assert_eq!(e164(written).as_deref(), Some("+447700900123"), "{written}");
        }
        assert_eq!(e164("01632 960001").as_deref(), Some("+441632960001"), "a landline reads too");
        assert_eq!(e164("+1 202 555 0143").as_deref(), Some("+12025550143"));
    }

    #[test]
    fn what_is_not_a_number_is_refused() {
        for written in [
            "",
            "ask at the desk",
            "0770 090",
            "7700 900123",
            "+44 7700 9001234",
            "+0 123 4567",
            "07700 9001x",
        ] {
            assert_eq!(e164(written), None, "{written}");
        }
    }
}

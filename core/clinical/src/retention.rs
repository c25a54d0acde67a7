//! How long a clinical record must be kept (College of Optometrists guidance): an adult's for
//! 10 years after the last visit; a child's until their 25th birthday or 10 years after the
//! last visit, whichever is later. The right to erasure does not shorten it.
//!
//! Where "child" ends does not matter: for anyone 15 or older at the last visit, ten years later
//! is already at or after their 25th birthday, so the two rules agree.

use jiff::civil::Date;
use jiff::{Span, ToSpan as _};

/// Age in whole years on `on` for someone born on `born` (a 29 February birthday is reached on
/// 1 March in other years).
pub fn age_on(born: Date, on: Date) -> i16 {
    let mut age = on.year() - born.year();
    if (on.month(), on.day()) < (born.month(), born.day()) {
        age -= 1;
    }
    age
}

fn plus(date: Date, span: Span) -> Date {
    date.checked_add(span).unwrap_or(Date::MAX)
}

/// The date until which the record must be kept.
pub fn retain_until(born: Date, last_visit: Date) -> Date {
    let ten_years_after = plus(last_visit, 10.years());
    let twenty_fifth_birthday = plus(born, 25.years());
    ten_years_after.max(twenty_fifth_birthday)
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn adults_are_kept_ten_years_after_the_last_visit() {
        assert_eq!(retain_until(date(1970, 5, 1), date(2026, 11, 21)), date(2036, 11, 21));
    }

    #[test]
    fn children_are_kept_to_25_or_ten_years_whichever_is_later() {
        // Seen at 6: 25th birthday (2045) is later than 2036.
        assert_eq!(retain_until(date(2020, 3, 15), date(2026, 11, 21)), date(2045, 3, 15));
        // Seen at 17: ten years after (2036) is later than the 25th birthday (2034).
        assert_eq!(retain_until(date(2009, 6, 1), date(2026, 11, 21)), date(2036, 11, 21));
    }

    #[test]
    fn at_fifteen_both_limits_coincide_and_ages_count_whole_years() {
        let born = date(2011, 11, 21);
        assert_eq!(age_on(born, date(2026, 11, 21)), 15);
        assert_eq!(retain_until(born, date(2026, 11, 21)), date(2036, 11, 21));
        // A day younger than 15: the 25th birthday is one day later than ten years after.
        assert_eq!(age_on(born, date(2026, 11, 20)), 14);
        assert_eq!(retain_until(born, date(2026, 11, 20)), date(2036, 11, 21));
        assert_eq!(age_on(date(2008, 2, 29), date(2026, 2, 28)), 17);
        assert_eq!(age_on(date(2008, 2, 29), date(2026, 3, 1)), 18);
    }
}
